package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** CpuMath's float exp and sigmoid against Math.exp in double, over every exponent and sign. */
class CpuMathExpTest {
    /** Every 613th float bit pattern: all exponents, signs, subnormals, infinities and NaNs. */
    private static final long STRIDE = 613;

    @Test
    void expIsWithinTwoUlpsOfMathExp() {
        double worst = 0;
        for (long bits = 0; bits <= 0xffffffffL; bits += STRIDE) {
            float x = Float.intBitsToFloat((int) bits);
            float e = CpuMath.exp(x);
            if (Float.isNaN(x)) {
                assertTrue(Float.isNaN(e), "exp(NaN)");
                continue;
            }
            double exact = Math.exp(x);
            double ulps = ulpsApart(e, exact);
            worst = Math.max(worst, ulps);
            assertTrue(ulps <= 2, () -> "exp(" + x + ") = " + e + ", Math.exp gives " + exact + ": " + ulps + " ulps");
        }
        System.out.printf("CpuMath.exp: at most %.2f ulps from Math.exp%n", worst);
        assertEquals(1f, CpuMath.exp(0f));
        assertEquals(1f, CpuMath.exp(-0f));
        assertEquals(0f, CpuMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, CpuMath.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, CpuMath.exp(88.73f));
        assertEquals(0f, CpuMath.exp(-104f));
    }

    @Test
    void sigmoidIsWithinThreeUlpsOfTheDoubleOne() {
        double worst = 0;
        for (long bits = 5; bits <= 0xffffffffL; bits += STRIDE) {
            float x = Float.intBitsToFloat((int) bits);
            if (Float.isNaN(x)) continue;
            float s = CpuMath.sigmoid(x);
            double exact = 1 / (1 + Math.exp(-(double) x));
            double ulps = ulpsApart(s, exact);
            worst = Math.max(worst, ulps);
            assertTrue(ulps <= 3, () -> "sigmoid(" + x + ") = " + s + ", in double " + exact + ": " + ulps + " ulps");
        }
        System.out.printf("CpuMath.sigmoid: at most %.2f ulps from the double one%n", worst);
        assertEquals(0.5f, CpuMath.sigmoid(0f));
        assertEquals(0f, CpuMath.sigmoid(Float.NEGATIVE_INFINITY));
        assertEquals(1f, CpuMath.sigmoid(Float.POSITIVE_INFINITY));
    }

    /**
     * |f - exact| in ulps of the float nearest exact (the smallest subnormal's spacing below the normal range; past
     * the largest float, the distance from infinity counts as 0 when f is infinite).
     */
    private static double ulpsApart(float f, double exact) {
        float nearest = (float) exact;
        if (Float.isInfinite(nearest)) return Float.isInfinite(f) ? 0 : (exact - f) / Math.ulp(Float.MAX_VALUE);
        if (Float.isInfinite(f)) return Double.POSITIVE_INFINITY;
        return Math.abs(f - exact) / Math.ulp(nearest);
    }
}

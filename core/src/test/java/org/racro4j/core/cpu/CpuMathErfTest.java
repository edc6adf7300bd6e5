package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * CpuMath.erf in double against the Maclaurin series summed in 80-digit decimal arithmetic, which has none of the
 * double series' cancellation (its largest term, about e^(x^2), still leaves 60 correct digits at |x| = 7).
 */
class CpuMathErfTest {
    private static final MathContext MC = new MathContext(80);
    private static final BigDecimal TWO_OVER_SQRT_PI = BigDecimal.valueOf(2).divide(
            new BigDecimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899863").sqrt(MC), MC);
    private static final BigDecimal STOP = new BigDecimal("1e-70");

    /** erf x = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)), exactly enough to round to the nearest double. */
    static double erfReference(double x) {
        BigDecimal bx = new BigDecimal(x);
        BigDecimal x2 = bx.multiply(bx, MC);
        BigDecimal power = bx;   // (-1)^n x^(2n+1) / n!
        BigDecimal sum = bx;
        for (int n = 1; n < 5000; n++) {
            power = power.multiply(x2, MC).divide(BigDecimal.valueOf(-n), MC);
            BigDecimal term = power.divide(BigDecimal.valueOf(2L * n + 1), MC);
            sum = sum.add(term, MC);
            if (term.abs().compareTo(STOP) < 0) break;
        }
        return sum.multiply(TWO_OVER_SQRT_PI, MC).doubleValue();
    }

    @Test
    void referenceHitsKnownValues() {
        assertEquals(0.5204998778130465, erfReference(0.5), 0);
        assertEquals(0.8427007929497149, erfReference(1), 0);
        assertEquals(0.9999779095030014, erfReference(3), 0);
    }

    @Test
    void relativeErrorWithin1e15FromTinyToSaturated() {
        SplittableRandom r = new SplittableRandom(7);
        double worst = 0;
        double worstAt = 0;
        for (int i = 0; i < 1500; i++) {
            double x;
            if (i < 900) x = 7 * r.nextDouble();                     // the series, the switch at 2, the fraction, saturation
            else if (i < 1200) x = 1.9 + 0.2 * r.nextDouble();       // both sides of the switch between methods
            else x = Math.pow(10, -300 * r.nextDouble());            // tiny arguments, down to 1e-300
            if (r.nextBoolean()) x = -x;
            double expected = erfReference(x);
            double actual = CpuMath.erf(x);
            double rel = Math.abs(actual - expected) / Math.abs(expected);
            if (rel > worst) {
                worst = rel;
                worstAt = x;
            }
        }
        if (worst > 1e-15) fail("erf relative error " + worst + " at x = " + worstAt);
        assertTrue(worst > 0, "some rounding difference is expected; none at all suggests the reference was not used");
    }

    @Test
    void specialValues() {
        assertEquals(1.0, CpuMath.erf(Double.POSITIVE_INFINITY), 0);
        assertEquals(-1.0, CpuMath.erf(Double.NEGATIVE_INFINITY), 0);
        assertEquals(1.0, CpuMath.erf(6.0), 0);
        assertEquals(-1.0, CpuMath.erf(-40.0), 0);
        assertTrue(Double.isNaN(CpuMath.erf(Double.NaN)));
        assertEquals(0.0, CpuMath.erf(0.0), 0);
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(CpuMath.erf(-0.0)), "erf(-0) = -0");
        assertEquals(-CpuMath.erf(1.234), CpuMath.erf(-1.234), 0, "erf is odd");
    }
}

package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

import org.junit.jupiter.api.Test;

/**
 * LaneExp must give exactly the scalar expressions' bits (a run's results may not depend on whether a kernel took
 * the vector path), so every test compares bit patterns with CpuMath / Math.exp, never with a tolerance.
 */
class LaneExpTest {
    private static final float[] SPECIAL = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 88.72283f, 88.72284f, -87.33655f, -103.97208f,
            -103.97209f, 700f, -700f, 700.5f, -745.2f, 1e-8f, -1e-8f, 36.7f, -36.7f, 16.635532f, -16.635532f};

    @Test
    void expMatchesTheScalarBitsOverEveryExponent() {
        // every 9973rd float bit pattern: all exponents and signs, with NaNs and infinities among them
        int n = 431_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = Float.intBitsToFloat((int) (i * 9973L));
        float[] o = new float[n];
        for (float shift : new float[] {0f, 0.5f, -3.25f, 80f}) {
            LaneExp.exp(x, 0, shift, o, 0, n);
            for (int i = 0; i < n; i++) assertSameBits((float) Math.exp(x[i] - shift), o[i], "exp(" + x[i] + " - " + shift + ")");
        }
    }

    @Test
    void sigmoidMatchesTheScalarBitsOverEveryExponent() {
        int n = 431_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = Float.intBitsToFloat((int) (i * 9973L + 17));
        float[] o = new float[n];
        LaneExp.sigmoid(x, 0, o, 0, n);
        for (int i = 0; i < n; i++) assertSameBits(CpuMath.sigmoid(x[i]), o[i], "sigmoid(" + x[i] + ")");
    }

    @Test
    void activationRangesAwkwardOffsetsAndSpecialValues() {
        SplittableRandom rnd = new SplittableRandom(41);
        for (int n : new int[] {1, 7, 8, 9, 15, 17, 33, 1001, 4099}) {
            int xo = rnd.nextInt(5);
            int oo = rnd.nextInt(5);
            float[] x = new float[xo + n];
            for (int i = 0; i < n; i++) {
                x[xo + i] = i < SPECIAL.length && rnd.nextBoolean() ? SPECIAL[i] : (float) (rnd.nextGaussian() * (i % 3 == 0 ? 40 : 4));
            }
            float[] o = new float[oo + n];
            LaneExp.sigmoid(x, xo, o, oo, n);
            for (int i = 0; i < n; i++) assertSameBits(CpuMath.sigmoid(x[xo + i]), o[oo + i], "sigmoid at " + i);
            LaneExp.silu(x, xo, o, oo, n);
            for (int i = 0; i < n; i++) assertSameBits(CpuMath.silu(x[xo + i]), o[oo + i], "silu at " + i);
            LaneExp.siluGrad(x, xo, o, oo, n);
            for (int i = 0; i < n; i++) assertSameBits(CpuMath.siluGrad(x[xo + i]), o[oo + i], "siluGrad at " + i);
            float shift = (float) rnd.nextGaussian() * 5;
            LaneExp.exp(x, xo, shift, o, oo, n);
            for (int i = 0; i < n; i++) assertSameBits((float) Math.exp(x[xo + i] - shift), o[oo + i], "exp at " + i);
        }
    }

    @Test
    void expAndSigmoidMayWorkInPlace() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 203;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian() * 10;
        float[] e = x.clone();
        float[] s = x.clone();
        LaneExp.exp(e, 0, 1.5f, e, 0, n);
        LaneExp.sigmoid(s, 0, s, 0, n);
        for (int i = 0; i < n; i++) {
            assertSameBits((float) Math.exp(x[i] - 1.5f), e[i], "in-place exp at " + i);
            assertSameBits(CpuMath.sigmoid(x[i]), s[i], "in-place sigmoid at " + i);
        }
    }

    /** sure() may pass a lane only when every double within 2^-46 of it rounds to one float, and passes most lanes. */
    @Test
    void sureOnlyWhereEveryNearbyDoubleRoundsToTheSameFloat() {
        VectorSpecies<Double> d = DoubleVector.SPECIES_PREFERRED;
        SplittableRandom rnd = new SplittableRandom(97);
        int passed = 0;
        int tried = 0;
        for (int trial = 0; trial < 4000; trial++) {
            // a float rounding boundary (the midpoint of two adjacent floats), normal, subnormal or past the largest
            float f = switch (trial % 4) {
                case 0 -> Float.intBitsToFloat(rnd.nextInt(0x00800000, 0x7f800000));
                case 1 -> Float.intBitsToFloat(rnd.nextInt(1, 0x00800000));
                case 2 -> Float.intBitsToFloat(0x00800000 + rnd.nextInt(-3, 3));
                default -> rnd.nextBoolean() ? Float.MAX_VALUE : Math.nextDown(Float.MAX_VALUE);
            };
            double mid = (double) f + (double) Math.ulp(f) / 2;
            long offset = rnd.nextLong(-1200, 1200);
            double v = Double.longBitsToDouble(Double.doubleToRawLongBits(mid) + offset);
            double[] lanes = new double[d.length()];
            java.util.Arrays.fill(lanes, 1.5);
            lanes[rnd.nextInt(lanes.length)] = v;
            boolean sure = LaneExp.sure(DoubleVector.fromArray(d, lanes, 0));
            boolean oneFloat = (float) (v * (1 - 0x1p-46)) == (float) (v * (1 + 0x1p-46));
            if (sure && !oneFloat) fail("sure for " + v + " (" + offset + " ulps from the boundary above " + f + ")");
            if (Math.abs(offset) > 300 && Math.abs(f) >= Float.MIN_NORMAL) {
                tried++;
                if (sure) passed++;
            }
        }
        assertTrue(passed == tried && tried > 500, passed + " of " + tried + " lanes far from a boundary were sure");
        for (double v : new double[] {Double.NaN, -Double.NaN, Double.longBitsToDouble(0xfff8000000000001L), 1e-40, 0x1p-150, 0x1p-149}) {
            double[] lanes = new double[d.length()];
            java.util.Arrays.fill(lanes, 0.75);
            lanes[lanes.length - 1] = v;
            assertFalse(LaneExp.sure(DoubleVector.fromArray(d, lanes, 0)), "sure for " + v);
        }
        for (double v : new double[] {0, 1e-60, 0x1p-152, 0.25, 7.5}) {
            double[] lanes = new double[d.length()];
            java.util.Arrays.fill(lanes, v);
            assertTrue(LaneExp.sure(DoubleVector.fromArray(d, lanes, 0)), "not sure for " + v);
        }
    }

    private static void assertSameBits(float expected, float actual, String what) {
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual), () -> what + ": expected " + expected + ", got " + actual);
    }
}

package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * LaneExp must give exactly the scalar expressions' bits (a run's results may not depend on whether a kernel took
 * the vector path), so every test compares bit patterns with CpuMath, never with a tolerance (CpuMathExpTest checks
 * CpuMath.exp against Math.exp).
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
            for (int i = 0; i < n; i++) assertSameBits(CpuMath.exp(x[i] - shift), o[i], "exp(" + x[i] + " - " + shift + ")");
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
            for (int i = 0; i < n; i++) assertSameBits(CpuMath.exp(x[xo + i] - shift), o[oo + i], "exp at " + i);
        }
    }

    @Test
    void everyFunctionMayWorkInPlace() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 203;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian() * 10;
        float[] e = x.clone();
        float[] s = x.clone();
        float[] silu = x.clone();
        float[] grad = x.clone();
        LaneExp.exp(e, 0, 1.5f, e, 0, n);
        LaneExp.sigmoid(s, 0, s, 0, n);
        LaneExp.silu(silu, 0, silu, 0, n);
        LaneExp.siluGrad(grad, 0, grad, 0, n);
        for (int i = 0; i < n; i++) {
            assertSameBits(CpuMath.exp(x[i] - 1.5f), e[i], "in-place exp at " + i);
            assertSameBits(CpuMath.sigmoid(x[i]), s[i], "in-place sigmoid at " + i);
            assertSameBits(CpuMath.silu(x[i]), silu[i], "in-place silu at " + i);
            assertSameBits(CpuMath.siluGrad(x[i]), grad[i], "in-place siluGrad at " + i);
        }
    }

    private static void assertSameBits(float expected, float actual, String what) {
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual), () -> what + ": expected " + expected + ", got " + actual);
    }
}

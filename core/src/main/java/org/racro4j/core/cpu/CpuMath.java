package org.racro4j.core.cpu;

/** Scalar functions the CPU kernels share (and the CUDA kernels mirror). */
final class CpuMath {
    private CpuMath() {}

    static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    static final float GELU_C = 0.044715f;
    static final float INV_SQRT_2 = 0.7071067811865476f;
    static final float INV_SQRT_2PI = 0.3989422804014327f;

    /**
     * erf with absolute error below 1.5e-7 (Abramowitz &amp; Stegun 7.1.26), evaluated in double: GELU's erf, where a
     * few float ulps do not matter and a short polynomial keeps the hot activation cheap. {@link #erf(double)} is
     * the accurate one.
     */
    static float erfApprox(float xf) {
        double x = xf;
        double ax = Math.abs(x);
        double t = 1.0 / (1.0 + 0.3275911 * ax);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double y = 1.0 - poly * Math.exp(-ax * ax);
        return (float) (x < 0 ? -y : y);
    }

    static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    /** Below this |x| erf sums its series; from here on 1 - erfc from the continued fraction is as accurate and faster. */
    private static final double ERF_SERIES_LIMIT = 2.0;
    /** Series depth: at |x| = 2 the terms past the 32nd add less than 1e-17 of the sum. */
    private static final int ERF_SERIES_TERMS = 32;
    /** Continued-fraction depth: enough for 1e-15 relative erfc at x = 2, the slowest point of the fraction. */
    private static final int ERFC_FRACTION_TERMS = 24;
    /** erfc(6) = 2.2e-17 is under half an ulp of 1, so erf is exactly +-1 in double from here on. */
    private static final double ERF_SATURATION = 6.0;

    /**
     * The error function to within 1e-15 relative error (about 2 ulps measured) over all doubles.
     * <ul>
     * <li>|x| &lt; 2: erf x = 2/sqrt(pi) x exp(-x^2) (1 + 2x^2/3 (1 + 2x^2/5 (1 + 2x^2/7 (...)))), the series
     * sum_{n&gt;=0} (2x^2)^n x / (1*3*...*(2n+1)) nested and evaluated from the inside out. Every term is positive,
     * so, unlike the alternating Maclaurin series, nothing cancels, and the nesting rounds each term only once.</li>
     * <li>2 &lt;= |x| &lt; 6: erf x = 1 - erfc x with the continued fraction
     * erfc x = 2x exp(-x^2)/sqrt(pi) / (2x^2+1 - 1*2/(2x^2+5 - 3*4/(2x^2+9 - ...))), evaluated bottom-up.
     * erfc &lt;= 0.005 here, so its own small relative error barely reaches erf.</li>
     * </ul>
     */
    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax >= ERF_SATURATION) return Math.copySign(1.0, x);
        double x2 = ax * ax;
        double twoX2 = 2.0 * x2;
        double r;
        if (ax < ERF_SERIES_LIMIT) {
            double nested = 1.0;
            for (int n = ERF_SERIES_TERMS; n >= 1; n--) nested = 1.0 + twoX2 / (2 * n + 1) * nested;
            r = TWO_OVER_SQRT_PI * ax * nested * Math.exp(-x2);
        } else {
            double f = twoX2 + (4 * ERFC_FRACTION_TERMS + 1);
            for (int j = ERFC_FRACTION_TERMS; j >= 1; j--) f = twoX2 + (4 * j - 3) - (2.0 * j - 1) * (2.0 * j) / f;
            r = 1.0 - TWO_OVER_SQRT_PI * ax * Math.exp(-x2) / f;
        }
        return Math.copySign(r, x);
    }

    /** exp's argument is clamped to this range first: below it the float result is 0, above it infinity. */
    static final float EXP_LOW = -150f;
    static final float EXP_HIGH = 100f;
    static final float LOG2E = 1.44269504088896341f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer, left in the low mantissa bits. */
    static final float EXP_SHIFTER = 0x1.8p23f;
    static final int EXP_SHIFTER_BITS = Float.floatToRawIntBits(EXP_SHIFTER);
    /** ln 2 in two parts: the first has 9 significant bits, so k * LN2_HI is exact for the k that occur. */
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    /** Cephes' expf polynomial on |r| <= ln2 / 2: exp(r) = 1 + r + r^2 (P0 r^5 + ... + P5). */
    static final float EXP_P0 = 1.9875691500e-4f;
    static final float EXP_P1 = 1.3981999507e-3f;
    static final float EXP_P2 = 8.3334519073e-3f;
    static final float EXP_P3 = 4.1665795894e-2f;
    static final float EXP_P4 = 1.6666665459e-1f;
    static final float EXP_P5 = 5.0000001201e-1f;

    /**
     * e^x in float arithmetic, within 2 ulps of the exact value (CpuMathExpTest measures it). {@link LaneExp} does
     * the same operations in vector lanes (fused multiply-adds are exactly rounded either way), so the CPU's exps
     * have the same bits on either path; a float exp in 16 lanes costs a fraction of Math.exp's double one.
     * x = k ln2 + r with k = round(x log2 e), and 2^k is applied in two halves so that results in the subnormal range
     * are rounded once.
     */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LOW), EXP_HIGH);
        float t = Math.fma(x, LOG2E, EXP_SHIFTER);
        float k = t - EXP_SHIFTER;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(EXP_P0, r, EXP_P1);
        p = Math.fma(p, r, EXP_P2);
        p = Math.fma(p, r, EXP_P3);
        p = Math.fma(p, r, EXP_P4);
        p = Math.fma(p, r, EXP_P5);
        float y = Math.fma(p, r * r, r) + 1f;
        int ki = Float.floatToRawIntBits(t) - EXP_SHIFTER_BITS;
        int k1 = ki >> 1;
        return y * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((ki - k1 + 127) << 23);
    }

    /** 1 / (1 + e^-x), as e^-|x| / (1 + e^-|x|) for negative x: no overflow, and tiny results keep their bits. */
    static float sigmoid(float x) {
        float e = exp(-Math.abs(x));
        return (x >= 0 ? 1f : e) / (1f + e);
    }

    static float geluTanh(float x) {
        float inner = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
        return 0.5f * x * (1f + (float) Math.tanh(inner));
    }

    static float geluTanhGrad(float x) {
        float x2 = x * x;
        float inner = SQRT_2_OVER_PI * (x + GELU_C * x2 * x);
        float th = (float) Math.tanh(inner);
        float dInner = SQRT_2_OVER_PI * (1f + 3f * GELU_C * x2);
        return 0.5f * (1f + th) + 0.5f * x * (1f - th * th) * dInner;
    }

    static float geluErf(float x) {
        return 0.5f * x * (1f + erfApprox(x * INV_SQRT_2));
    }

    static float geluErfGrad(float x) {
        return 0.5f * (1f + erfApprox(x * INV_SQRT_2)) + x * INV_SQRT_2PI * (float) Math.exp(-0.5 * x * x);
    }

    static float silu(float x) {
        return x * sigmoid(x);
    }

    static float siluGrad(float x) {
        float s = sigmoid(x);
        return s * (1f + x * (1f - s));
    }
}

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

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
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

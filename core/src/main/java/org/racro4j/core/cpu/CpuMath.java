package org.racro4j.core.cpu;

/** Scalar functions the CPU kernels share (and the CUDA kernels mirror). */
final class CpuMath {
    private CpuMath() {}

    static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    static final float GELU_C = 0.044715f;
    static final float INV_SQRT_2 = 0.7071067811865476f;
    static final float INV_SQRT_2PI = 0.3989422804014327f;

    /** erf with absolute error below 1.5e-7 (Abramowitz &amp; Stegun 7.1.26), evaluated in double. */
    static float erf(float xf) {
        double x = xf;
        double ax = Math.abs(x);
        double t = 1.0 / (1.0 + 0.3275911 * ax);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double y = 1.0 - poly * Math.exp(-ax * ax);
        return (float) (x < 0 ? -y : y);
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
        return 0.5f * x * (1f + erf(x * INV_SQRT_2));
    }

    static float geluErfGrad(float x) {
        return 0.5f * (1f + erf(x * INV_SQRT_2)) + x * INV_SQRT_2PI * (float) Math.exp(-0.5 * x * x);
    }

    static float silu(float x) {
        return x * sigmoid(x);
    }

    static float siluGrad(float x) {
        float s = sigmoid(x);
        return s * (1f + x * (1f - s));
    }
}

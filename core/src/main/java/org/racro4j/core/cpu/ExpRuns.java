package org.racro4j.core.cpu;

/**
 * exp and the sigmoid family over runs of floats: in vector lanes through {@link LaneExp} when the Vector API is on,
 * else the scalar expressions LaneExp reproduces bit for bit, so both modes give the same bits.
 */
final class ExpRuns {
    private ExpRuns() {}

    /** o[oo + i] = CpuMath.exp(x[xo + i] - shift) for i in [0, n); o may be x. */
    static void exp(float[] x, int xo, float shift, float[] o, int oo, int n) {
        if (VectorApi.ENABLED) {
            LaneExp.exp(x, xo, shift, o, oo, n);
            return;
        }
        for (int i = 0; i < n; i++) o[oo + i] = CpuMath.exp(x[xo + i] - shift);
    }

    /** o[oo + i] = CpuMath.sigmoid(x[xo + i]) for i in [0, n); o may be x. */
    static void sigmoid(float[] x, int xo, float[] o, int oo, int n) {
        if (VectorApi.ENABLED) {
            LaneExp.sigmoid(x, xo, o, oo, n);
            return;
        }
        for (int i = 0; i < n; i++) o[oo + i] = CpuMath.sigmoid(x[xo + i]);
    }

    /** o[oo + i] = CpuMath.silu(x[xo + i]) for i in [0, n); o may be x. */
    static void silu(float[] x, int xo, float[] o, int oo, int n) {
        if (VectorApi.ENABLED) {
            LaneExp.silu(x, xo, o, oo, n);
            return;
        }
        for (int i = 0; i < n; i++) o[oo + i] = CpuMath.silu(x[xo + i]);
    }

    /** o[oo + i] = CpuMath.siluGrad(x[xo + i]) for i in [0, n); o may be x. */
    static void siluGrad(float[] x, int xo, float[] o, int oo, int n) {
        if (VectorApi.ENABLED) {
            LaneExp.siluGrad(x, xo, o, oo, n);
            return;
        }
        for (int i = 0; i < n; i++) o[oo + i] = CpuMath.siluGrad(x[xo + i]);
    }
}

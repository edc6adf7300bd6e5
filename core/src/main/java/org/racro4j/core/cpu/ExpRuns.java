package org.racro4j.core.cpu;

/**
 * exp over runs of floats for the row kernels (softmax, cross-entropy, decode attention): in vector lanes through
 * {@link LaneExp} when the Vector API is on, else CpuMath.exp, which LaneExp reproduces bit for bit, so both modes give
 * the same bits. (Elementwise exp and the sigmoid family reach LaneExp through LaneElementwise.)
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
}

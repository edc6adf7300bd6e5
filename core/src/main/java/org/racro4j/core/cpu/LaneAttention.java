package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The vector loops of {@link CpuDecodeAttention}; only reached when {@link VectorApi#ENABLED}. */
final class LaneAttention {
    private static final VectorSpecies<Float> F = CpuGemmKernel.F;
    private static final int L = F.length();
    /** Floats of scratch {@link #dots} needs: four vectors. */
    static final int LANES_SCRATCH = 4 * L;

    private LaneAttention() {}

    /**
     * scores[s] = q . key s for s in [0, n), the keys at k[k0 + s * kStride ...], d floats each: four keys per
     * {@link CpuGemmKernel#dot1x4} (the query loaded once for four keys), the last group padded with repeats of its
     * last key. {@code lanes} holds {@link #LANES_SCRATCH} floats.
     */
    static void dots(float[] q, int q0, float[] k, int k0, int kStride, int n, int d, float[] scores, float[] lanes) {
        for (int s = 0; s < n; s += 4) {
            int last = n - 1;
            int b0 = k0 + s * kStride;
            int b1 = k0 + Math.min(s + 1, last) * kStride;
            int b2 = k0 + Math.min(s + 2, last) * kStride;
            int b3 = k0 + Math.min(s + 3, last) * kStride;
            CpuGemmKernel.dot1x4(d, q, q0, k, b0, b1, b2, b3, lanes);
            for (int i = 0; i < 4 && s + i < n; i++) scores[s + i] = lanes[i];
        }
    }

    /**
     * acc[j] = sum over s of w[s] * v[v0 + s * vStride + j] for j in [0, d): one vector of acc at a time stays in a
     * register across all n values (a load and a fused multiply-add per value), keys of weight 0 skipped.
     */
    static void weightedSum(float[] w, int n, float[] v, int v0, int vStride, int d, float[] acc) {
        int dv = F.loopBound(d);
        for (int j = 0; j < dv; j += L) {
            FloatVector sum = FloatVector.zero(F);
            for (int s = 0; s < n; s++) {
                if (w[s] == 0f) continue;
                sum = FloatVector.fromArray(F, v, v0 + s * vStride + j).fma(FloatVector.broadcast(F, w[s]), sum);
            }
            sum.intoArray(acc, j);
        }
        for (int j = dv; j < d; j++) {
            float sum = 0f;
            for (int s = 0; s < n; s++) if (w[s] != 0f) sum += w[s] * v[v0 + s * vStride + j];
            acc[j] = sum;
        }
    }
}

package org.racro4j.core.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The vector loops of {@link CpuDecodeAttention}; only reached when {@link VectorApi#ENABLED}. */
final class LaneAttention {
    private static final VectorSpecies<Float> F = CpuGemmKernel.F;
    private static final int L = F.length();
    /** Doubles of the preferred shape: half as many lanes as F, so a float vector widens into two of them. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats of scratch {@link #dots} needs: four vectors. */
    static final int LANES_SCRATCH = 4 * L;
    /** Keys in one block of {@link #transposeKeys}: one per lane. */
    static final int KEY_BLOCK = L;

    private LaneAttention() {}

    /**
     * scores[at + s] = q . key s for s in [0, n), the keys at k[k0 + s * kStride ...], d floats each: four keys per
     * {@link CpuGemmKernel#dot1x4} (the query loaded once for four keys), the last group padded with repeats of its
     * last key. {@code lanes} holds {@link #LANES_SCRATCH} floats.
     */
    static void dots(float[] q, int q0, float[] k, int k0, int kStride, int n, int d, float[] scores, int at, float[] lanes) {
        for (int s = 0; s < n; s += 4) {
            int last = n - 1;
            int b0 = k0 + s * kStride;
            int b1 = k0 + Math.min(s + 1, last) * kStride;
            int b2 = k0 + Math.min(s + 2, last) * kStride;
            int b3 = k0 + Math.min(s + 3, last) * kStride;
            CpuGemmKernel.dot1x4(d, q, q0, k, b0, b1, b2, b3, lanes);
            for (int i = 0; i < 4 && s + i < n; i++) scores[at + s + i] = lanes[i];
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

    /**
     * The first {@code blocks * KEY_BLOCK} keys at k[k0 + s * kStride ...], d floats each, into kt as blocks of
     * KEY_BLOCK keys: element j of key s at kt[(s / KEY_BLOCK) * d * KEY_BLOCK + j * KEY_BLOCK + s % KEY_BLOCK], so
     * one vector load gives element j of every key in the block. Done once per KV head and read by each query head
     * that shares it.
     */
    static void transposeKeys(float[] k, int k0, int kStride, int blocks, int d, float[] kt) {
        for (int blk = 0; blk < blocks; blk++) {
            int dst = blk * d * KEY_BLOCK;
            for (int key = 0; key < KEY_BLOCK; key++) {
                int src = k0 + (blk * KEY_BLOCK + key) * kStride;
                for (int j = 0; j < d; j++) kt[dst + j * KEY_BLOCK + key] = k[src + j];
            }
        }
    }

    /**
     * scores[s] = q . key s for the {@code blocks * KEY_BLOCK} keys {@link #transposeKeys} laid out in kt: the same
     * bits as {@link #dots}, one key per lane instead of one vector per key. {@link CpuGemmKernel#dot1x4} keeps a
     * vector of partial sums per key, lane l accumulating q[p + l] k[p + l] over p = 0, L, 2L, ... by fused
     * multiply-adds, then adds its lanes left to right in double ({@link Lanes#sum}), rounds that to float, and adds
     * the last d % L products in float. Here, for each l in turn, lane s of a vector accumulates key s's lane-l
     * partial sum with the same fused multiply-adds in the same order, and is added to key s's double sum: the
     * same operations on the same values, with no horizontal sum (which cost more than the products at head dim 32).
     * {@code sums} holds KEY_BLOCK doubles.
     */
    static void keyBlockDots(float[] q, int q0, float[] kt, int blocks, int d, float[] scores, double[] sums) {
        int kv = F.loopBound(d);
        for (int blk = 0; blk < blocks; blk++) {
            int base = blk * d * KEY_BLOCK;
            DoubleVector low = DoubleVector.zero(D);
            DoubleVector high = DoubleVector.zero(D);
            for (int l = 0; l < L; l++) {
                FloatVector partial = FloatVector.zero(F);
                for (int p = 0; p < kv; p += L) {
                    partial = FloatVector.broadcast(F, q[q0 + p + l]).fma(FloatVector.fromArray(F, kt, base + (p + l) * KEY_BLOCK), partial);
                }
                low = low.add(partial.convertShape(VectorOperators.F2D, D, 0));
                high = high.add(partial.convertShape(VectorOperators.F2D, D, 1));
            }
            low.intoArray(sums, 0);
            high.intoArray(sums, D.length());
            int s0 = blk * KEY_BLOCK;
            for (int key = 0; key < KEY_BLOCK; key++) {
                float dot = (float) sums[key];
                for (int p = kv; p < d; p++) dot += q[q0 + p] * kt[base + p * KEY_BLOCK + key];
                scores[s0 + key] = dot;
            }
        }
    }
}

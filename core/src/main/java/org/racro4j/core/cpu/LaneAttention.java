package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The vector loops of {@link CpuDecodeAttention}; only reached when {@link VectorApi#ENABLED}. */
final class LaneAttention {
    private static final VectorSpecies<Float> F = CpuGemmKernel.F;
    private static final int L = F.length();
    /** Keys in one block of {@link #transposeKeys}: one per lane. */
    static final int KEY_BLOCK = L;

    private LaneAttention() {}

    /**
     * scores[at + s] = q . key s for s in [0, n), the keys at k[k0 + s * kStride ...], d floats each, each the
     * chain {@link CpuDecodeAttention#dot} defines (the keys past the full blocks of a cache in row-major order).
     */
    static void dots(float[] q, int q0, float[] k, int k0, int kStride, int n, int d, float[] scores, int at) {
        for (int s = 0; s < n; s++) scores[at + s] = CpuDecodeAttention.dot(q, q0, k, k0 + s * kStride, 1, d);
    }

    /**
     * acc[j] = sum over s of w[w0 + s] * v[v0 + s * vStride + j] for j in [0, d): each vector of acc stays in a register
     * across all n values (a load and a fused multiply-add per value), keys of weight 0 skipped. Two vectors of acc are
     * carried through one pass over the values: each is a chain of dependent fused multiply-adds, and one chain alone
     * left the CPU waiting on its latency. Every lane sees the same operations in the same order either way. With
     * {@code add} the sums go on from those in acc (values before these, read from elsewhere: a shared prefix), which
     * gives the bits of one pass over both runs.
     */
    static void weightedSum(float[] w, int w0, int n, float[] v, int v0, int vStride, int d, float[] acc, boolean add) {
        int dv = F.loopBound(d);
        int j = 0;
        for (; j + 2 * L <= dv; j += 2 * L) {
            FloatVector s0 = start(acc, j, add);
            FloatVector s1 = start(acc, j + L, add);
            for (int s = 0; s < n; s++) {
                if (w[w0 + s] == 0f) continue;
                FloatVector ws = FloatVector.broadcast(F, w[w0 + s]);
                int at = v0 + s * vStride + j;
                s0 = FloatVector.fromArray(F, v, at).fma(ws, s0);
                s1 = FloatVector.fromArray(F, v, at + L).fma(ws, s1);
            }
            s0.intoArray(acc, j);
            s1.intoArray(acc, j + L);
        }
        for (; j < dv; j += L) {
            FloatVector s0 = start(acc, j, add);
            for (int s = 0; s < n; s++) {
                if (w[w0 + s] == 0f) continue;
                s0 = FloatVector.fromArray(F, v, v0 + s * vStride + j).fma(FloatVector.broadcast(F, w[w0 + s]), s0);
            }
            s0.intoArray(acc, j);
        }
        for (j = dv; j < d; j++) {
            float sum = add ? acc[j] : 0f;
            for (int s = 0; s < n; s++) if (w[w0 + s] != 0f) sum += w[w0 + s] * v[v0 + s * vStride + j];
            acc[j] = sum;
        }
    }

    /**
     * {@link #weightedSum} for two query heads that read the same values: accA[j] from weights w[wa ...], accB[j] from
     * w[wb ...], each value vector loaded once for both. Twice the independent chains of fused multiply-adds of two
     * calls, each lane's chain the same as there ({@code add} as there).
     */
    static void weightedSumPair(float[] w, int wa, int wb, int n, float[] v, int v0, int vStride, int d, float[] acc, int accA,
                                int accB, boolean add) {
        int dv = F.loopBound(d);
        int j = 0;
        for (; j + 2 * L <= dv; j += 2 * L) {
            FloatVector a0 = start(acc, accA + j, add);
            FloatVector a1 = start(acc, accA + j + L, add);
            FloatVector b0 = start(acc, accB + j, add);
            FloatVector b1 = start(acc, accB + j + L, add);
            for (int s = 0; s < n; s++) {
                FloatVector x0 = FloatVector.fromArray(F, v, v0 + s * vStride + j);
                FloatVector x1 = FloatVector.fromArray(F, v, v0 + s * vStride + j + L);
                float weightA = w[wa + s];
                float weightB = w[wb + s];
                if (weightA != 0f) {
                    FloatVector ws = FloatVector.broadcast(F, weightA);
                    a0 = x0.fma(ws, a0);
                    a1 = x1.fma(ws, a1);
                }
                if (weightB != 0f) {
                    FloatVector ws = FloatVector.broadcast(F, weightB);
                    b0 = x0.fma(ws, b0);
                    b1 = x1.fma(ws, b1);
                }
            }
            a0.intoArray(acc, accA + j);
            a1.intoArray(acc, accA + j + L);
            b0.intoArray(acc, accB + j);
            b1.intoArray(acc, accB + j + L);
        }
        for (; j < dv; j += L) {
            FloatVector a0 = start(acc, accA + j, add);
            FloatVector b0 = start(acc, accB + j, add);
            for (int s = 0; s < n; s++) {
                FloatVector x0 = FloatVector.fromArray(F, v, v0 + s * vStride + j);
                if (w[wa + s] != 0f) a0 = x0.fma(FloatVector.broadcast(F, w[wa + s]), a0);
                if (w[wb + s] != 0f) b0 = x0.fma(FloatVector.broadcast(F, w[wb + s]), b0);
            }
            a0.intoArray(acc, accA + j);
            b0.intoArray(acc, accB + j);
        }
        for (j = dv; j < d; j++) {
            float sumA = add ? acc[accA + j] : 0f;
            float sumB = add ? acc[accB + j] : 0f;
            for (int s = 0; s < n; s++) {
                float x = v[v0 + s * vStride + j];
                if (w[wa + s] != 0f) sumA += w[wa + s] * x;
                if (w[wb + s] != 0f) sumB += w[wb + s] * x;
            }
            acc[accA + j] = sumA;
            acc[accB + j] = sumB;
        }
    }

    /** A sum's start: the vector at acc[at ...] to go on from, or zero. */
    private static FloatVector start(float[] acc, int at, boolean add) {
        return add ? FloatVector.fromArray(F, acc, at) : FloatVector.zero(F);
    }

    /**
     * scores[s0 + s] *= scale for s in [0, n), or -infinity where mask[m0 + s] == 0 (no mask: null); returns the
     * largest result by Math.max, -infinity if none. Lanewise MAX is Math.max, which is associative and commutative (NaN
     * absorbs, -0 below +0) and leaves a max unchanged when given -infinity, so the masked lanes can join the
     * reduction and the result is the one a left-to-right scalar loop gives.
     */
    static float scaleMaskMax(float[] scores, int s0, int n, float scale, float[] mask, int m0) {
        FloatVector minus = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector max = minus;
        int nv = F.loopBound(n);
        for (int s = 0; s < nv; s += L) {
            FloatVector x = FloatVector.fromArray(F, scores, s0 + s).mul(scale);
            if (mask != null) x = x.blend(minus, FloatVector.fromArray(F, mask, m0 + s).eq(0f));
            x.intoArray(scores, s0 + s);
            max = max.lanewise(VectorOperators.MAX, x);
        }
        float tail = CpuDecodeAttention.scaleMaskMax(scores, s0 + nv, n - nv, scale, mask, m0 + nv);
        return Math.max(max.reduceLanes(VectorOperators.MAX), tail);
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
     * n keys of a cache that stores keys transposed, element j of key i at k[k0 + j * elementStride + i], into kt as
     * ceil(n / KEY_BLOCK) blocks of {@link #transposeKeys}' layout, the last one padded with zeros.
     */
    static void copyBlocks(float[] k, int k0, int elementStride, int n, int d, float[] kt) {
        for (int blk = 0; blk * KEY_BLOCK < n; blk++) {
            int keys = Math.min(KEY_BLOCK, n - blk * KEY_BLOCK);
            // One vector per element (a masked load past the keys, whose unset lanes read as zeros): a call to
            // System.arraycopy and Arrays.fill per element took most of a step's copying, for 16 floats at a time.
            VectorMask<Float> valid = F.indexInRange(0, keys);
            for (int j = 0; j < d; j++) {
                FloatVector.fromArray(F, k, k0 + j * elementStride + blk * KEY_BLOCK, valid).intoArray(kt, (blk * d + j) * KEY_BLOCK);
            }
        }
    }

    /**
     * scores[at + s] = q . key s for {@code blocks * KEY_BLOCK} keys held one key per lane: element j of key
     * blk * KEY_BLOCK + i at kt[k0 + blk * blockStep + j * elementStride + i], which is {@link #transposeKeys}' scratch
     * (blockStep d * KEY_BLOCK, elementStride KEY_BLOCK) or a KV cache that stores each head's keys transposed
     * (blockStep KEY_BLOCK, elementStride the capacity). Lane i of a vector runs key i's chain of
     * {@link CpuDecodeAttention#dot}: one load and one fused multiply-add per element for a whole block, no horizontal
     * sum. Four blocks go through d together, four independent chains for the CPU to overlap: one chain alone waits on
     * each multiply-add's latency.
     */
    static void keyBlockDots(float[] q, int q0, float[] kt, int k0, int blockStep, int elementStride, int blocks, int d,
                             float[] scores, int at) {
        int blk = 0;
        for (; blk + 3 < blocks; blk += 4) {
            int b0 = k0 + blk * blockStep;
            int b1 = b0 + blockStep;
            int b2 = b1 + blockStep;
            int b3 = b2 + blockStep;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            FloatVector s2 = FloatVector.zero(F);
            FloatVector s3 = FloatVector.zero(F);
            for (int j = 0; j < d; j++) {
                FloatVector qj = FloatVector.broadcast(F, q[q0 + j]);
                int e = j * elementStride;
                s0 = qj.fma(FloatVector.fromArray(F, kt, b0 + e), s0);
                s1 = qj.fma(FloatVector.fromArray(F, kt, b1 + e), s1);
                s2 = qj.fma(FloatVector.fromArray(F, kt, b2 + e), s2);
                s3 = qj.fma(FloatVector.fromArray(F, kt, b3 + e), s3);
            }
            int o = at + blk * KEY_BLOCK;
            s0.intoArray(scores, o);
            s1.intoArray(scores, o + KEY_BLOCK);
            s2.intoArray(scores, o + 2 * KEY_BLOCK);
            s3.intoArray(scores, o + 3 * KEY_BLOCK);
        }
        for (; blk + 1 < blocks; blk += 2) {
            int b0 = k0 + blk * blockStep;
            int b1 = b0 + blockStep;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            for (int j = 0; j < d; j++) {
                FloatVector qj = FloatVector.broadcast(F, q[q0 + j]);
                s0 = qj.fma(FloatVector.fromArray(F, kt, b0 + j * elementStride), s0);
                s1 = qj.fma(FloatVector.fromArray(F, kt, b1 + j * elementStride), s1);
            }
            s0.intoArray(scores, at + blk * KEY_BLOCK);
            s1.intoArray(scores, at + (blk + 1) * KEY_BLOCK);
        }
        if (blk < blocks) {
            int b0 = k0 + blk * blockStep;
            FloatVector s0 = FloatVector.zero(F);
            for (int j = 0; j < d; j++) s0 = FloatVector.broadcast(F, q[q0 + j]).fma(FloatVector.fromArray(F, kt, b0 + j * elementStride), s0);
            s0.intoArray(scores, at + blk * KEY_BLOCK);
        }
    }
}

package org.racro4j.core.cpu;

import org.racro4j.core.Tensor;

/**
 * One new query per sequence against its KV cache (Backend.decodeAttention), F32: for each row and query head, the
 * scores of the row's first lengths[b] keys where the key mask is not 0, their softmax (summed in double) and
 * the weighted sum of the values. One pass over the keys and one over the values, with no score tensor or mask
 * tensor, and the scratch rows are the calling thread's: a decode step of a small model was a dozen ops and their
 * allocations here, in a step whose arithmetic takes microseconds. In vector mode the keys of each (row, KV head) are
 * first copied, in full blocks of one key per lane, into that scratch ({@link LaneAttention#transposeKeys}), once for
 * the query heads that share them; the keys past the last full block go through the per-key kernel, with the same bits.
 */
final class CpuDecodeAttention {
    private CpuDecodeAttention() {}

    /**
     * Per thread: a row's scores [C], the output accumulator [D], and in vector mode the dot kernel's lanes, a KV
     * head's keys in {@link LaneAttention#transposeKeys}' blocks, and a block's double sums.
     */
    private static final class Scratch {
        float[] scores = new float[0];
        float[] acc = new float[0];
        float[] keys = new float[0];
        final float[] lanes = VectorApi.ENABLED ? new float[LaneAttention.LANES_SCRATCH] : null;
        final double[] sums = VectorApi.ENABLED ? new double[LaneAttention.KEY_BLOCK] : null;

        Scratch fit(int c, int d) {
            if (scores.length < c) scores = new float[c];
            if (acc.length < d) acc = new float[d];
            if (VectorApi.ENABLED && keys.length < c * d) keys = new float[c * d];
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** q [B, Hq, 1, D], caches [B, Hkv, C, D] (last stride 1), lengths [B] I32, keyMask [B, C] F32 (last stride 1) or null. */
    static void run(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale, Tensor out) {
        int b = q.size(0);
        int hq = q.size(1);
        int d = q.size(3);
        int hkv = kCache.size(1);
        int c = kCache.size(2);
        int perKv = hq / hkv;
        float[] qs = Floats.read(q);
        float[] ks = Floats.read(kCache);
        float[] vs = Floats.read(vCache);
        float[] ms = keyMask == null ? null : Floats.read(keyMask);
        float[] os = Floats.writable(out);
        int[] lens = Floats.storage(lengths).ints();
        int lenOff = lengths.offset();
        int lenStride = lengths.stride(0);
        // One unit per (row, KV head): its keys are transposed once (vector mode) for the perKv query heads that read them.
        Parallel.range(b * hkv, Math.max(1, 4096 / Math.max(1, perKv * c * d)), (u0, u1) -> {
            Scratch scratch = SCRATCH.get().fit(c, d);
            float[] scores = scratch.scores;
            float[] acc = scratch.acc;
            for (int u = u0; u < u1; u++) {
                int row = u / hkv;
                int kvHead = u % hkv;
                int len = Math.min(c, Math.max(0, lens[lenOff + row * lenStride]));
                int kb = kCache.offset() + row * kCache.stride(0) + kvHead * kCache.stride(1);
                int vb = vCache.offset() + row * vCache.stride(0) + kvHead * vCache.stride(1);
                int mb = keyMask == null ? 0 : keyMask.offset() + row * keyMask.stride(0);
                int blocks = VectorApi.ENABLED ? len / LaneAttention.KEY_BLOCK : 0;
                int blocked = blocks == 0 ? 0 : blocks * LaneAttention.KEY_BLOCK;
                if (blocks > 0) LaneAttention.transposeKeys(ks, kb, kCache.stride(2), blocks, d, scratch.keys);
                for (int head = kvHead * perKv; head < (kvHead + 1) * perKv; head++) {
                    int qb = q.offset() + row * q.stride(0) + head * q.stride(1);
                    if (VectorApi.ENABLED) {
                        LaneAttention.keyBlockDots(qs, qb, scratch.keys, blocks, d, scores, scratch.sums);
                        LaneAttention.dots(qs, qb, ks, kb + blocked * kCache.stride(2), kCache.stride(2), len - blocked, d, scores, blocked,
                                scratch.lanes);
                    } else {
                        for (int s = 0; s < len; s++) scores[s] = dot(qs, qb, ks, kb + s * kCache.stride(2), d);
                    }
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s < len; s++) {
                        if (ms != null && ms[mb + s] == 0f) {
                            scores[s] = Float.NEGATIVE_INFINITY;
                        } else {
                            scores[s] *= scale;
                            max = Math.max(max, scores[s]);
                        }
                    }
                    int ob = out.offset() + row * out.stride(0) + head * out.stride(1);
                    java.util.Arrays.fill(acc, 0, d, 0f);
                    if (max != Float.NEGATIVE_INFINITY) {
                        ExpRuns.exp(scores, 0, max, scores, 0, len);   // masked keys: exp(-inf) = 0, skipped below
                        double sum = 0;
                        for (int s = 0; s < len; s++) sum += scores[s];
                        if (VectorApi.ENABLED) {
                            LaneAttention.weightedSum(scores, len, vs, vb, vCache.stride(2), d, acc);
                        } else {
                            for (int s = 0; s < len; s++) {
                                float w = scores[s];
                                if (w == 0f) continue;
                                int vo = vb + s * vCache.stride(2);
                                for (int j = 0; j < d; j++) acc[j] += w * vs[vo + j];
                            }
                        }
                        float inv = (float) (1.0 / sum);
                        for (int j = 0; j < d; j++) acc[j] *= inv;
                    }
                    for (int j = 0; j < d; j++) os[ob + j * out.stride(3)] = acc[j];
                }
            }
        });
        Floats.commit(out, os);
    }

    /** a[ao ...] . b[bo ...] over n floats, in four float partial sums (independent chains the CPU overlaps). */
    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2];
            s3 += a[ao + i + 3] * b[bo + i + 3];
        }
        for (; i < n; i++) s0 += a[ao + i] * b[bo + i];
        return (s0 + s1) + (s2 + s3);
    }
}

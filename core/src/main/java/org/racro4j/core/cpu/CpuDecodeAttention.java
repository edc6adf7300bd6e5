package org.racro4j.core.cpu;

import org.racro4j.core.Tensor;

/**
 * One new query per sequence against its KV cache (Backend.decodeAttention), F32: for each row and query head, the
 * scores of the row's first lengths[b] keys where the key mask is not 0, their softmax (summed in double) and
 * the weighted sum of the values. One pass over the keys and one over the values, with no score tensor or mask
 * tensor, and the scratch rows are the calling thread's: a decode step of a small model was a dozen ops and their
 * allocations here, in a step whose arithmetic takes microseconds.
 *
 * <p>In vector mode the dot products take their keys in blocks of one key per lane ({@link LaneAttention#keyBlockDots}).
 * A cache that stores each head's keys transposed ([D, C] storage viewed as [C, D]: stride 1 along the keys, as
 * models' CPU caches do) holds them so already, and only the keys past its last full block are copied, into one
 * padded block. From a cache in row-major order the full blocks are first copied transposed into the scratch
 * ({@link LaneAttention#transposeKeys}), once for the query heads that share them, and the keys past them go through
 * the per-key kernel. Every path gives the same bits.
 */
final class CpuDecodeAttention {
    private CpuDecodeAttention() {}

    /**
     * Per thread: a row's scores [C] (and a block more, which a padded block writes), the output accumulator [D], and
     * in vector mode the dot kernel's lanes, a KV head's keys in {@link LaneAttention#transposeKeys}' blocks (at least
     * one block), and a block's double sums.
     */
    private static final class Scratch {
        float[] scores = new float[0];
        float[] acc = new float[0];
        float[] keys = new float[0];
        final float[] lanes = VectorApi.ENABLED ? new float[LaneAttention.LANES_SCRATCH] : null;
        final double[] sums = VectorApi.ENABLED ? new double[LaneAttention.KEY_BLOCK] : null;

        Scratch fit(int c, int d) {
            int block = VectorApi.ENABLED ? LaneAttention.KEY_BLOCK : 0;
            if (scores.length < c + block) scores = new float[c + block];
            if (acc.length < d) acc = new float[d];
            if (keys.length < Math.max(c, block) * d && VectorApi.ENABLED) keys = new float[Math.max(c, block) * d];
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * q [B, Hq, 1, D], caches [B, Hkv, C, D] (values: last stride 1; keys: last stride 1, or stride 1 along C),
     * lengths [B] I32, keyMask [B, C] F32 (last stride 1) or null.
     */
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
        boolean keysTransposed = kCache.stride(3) != 1;
        if (keysTransposed && kCache.stride(2) != 1) {
            throw new IllegalArgumentException("decodeAttention: the key cache needs stride 1 along its last dim or along the keys, "
                    + "got strides " + java.util.Arrays.toString(kCache.strides()));
        }
        // One unit per (row, KV head): its keys are put in blocks once (vector mode) for the perKv query heads reading them.
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
                boolean transposed = keysTransposed && VectorApi.ENABLED;
                int blocks = VectorApi.ENABLED ? len / LaneAttention.KEY_BLOCK : 0;
                int blocked = blocks == 0 ? 0 : blocks * LaneAttention.KEY_BLOCK;
                int keyStride = kCache.stride(2);
                int elementStride = kCache.stride(3);
                if (blocks > 0 && !transposed) LaneAttention.transposeKeys(ks, kb, keyStride, blocks, d, scratch.keys);
                if (transposed && len > blocked) LaneAttention.tailBlock(ks, kb + blocked, elementStride, len - blocked, d, scratch.keys);
                for (int head = kvHead * perKv; head < (kvHead + 1) * perKv; head++) {
                    int qb = q.offset() + row * q.stride(0) + head * q.stride(1);
                    if (transposed) {
                        // Full blocks straight from the cache, the rest from the padded block (its extra scores are not read).
                        int block = LaneAttention.KEY_BLOCK;
                        LaneAttention.keyBlockDots(qs, qb, ks, kb, block, elementStride, blocks, d, scores, 0, scratch.sums);
                        if (len > blocked) LaneAttention.keyBlockDots(qs, qb, scratch.keys, 0, 0, block, 1, d, scores, blocked, scratch.sums);
                    } else if (VectorApi.ENABLED) {
                        int block = LaneAttention.KEY_BLOCK;
                        LaneAttention.keyBlockDots(qs, qb, scratch.keys, 0, d * block, block, blocks, d, scores, 0, scratch.sums);
                        LaneAttention.dots(qs, qb, ks, kb + blocked * keyStride, keyStride, len - blocked, d, scores, blocked, scratch.lanes);
                    } else {
                        for (int s = 0; s < len; s++) scores[s] = dot(qs, qb, ks, kb + s * keyStride, elementStride, d);
                    }
                    float max = VectorApi.ENABLED
                            ? LaneAttention.scaleMaskMax(scores, len, scale, ms, mb)
                            : scaleMaskMax(scores, len, scale, ms, mb);
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

    /** scores[s] *= scale, or -infinity where the mask is 0; the largest result (-infinity if none). */
    private static float scaleMaskMax(float[] scores, int n, float scale, float[] mask, int m0) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s < n; s++) {
            if (mask != null && mask[m0 + s] == 0f) {
                scores[s] = Float.NEGATIVE_INFINITY;
            } else {
                scores[s] *= scale;
                max = Math.max(max, scores[s]);
            }
        }
        return max;
    }

    /**
     * a[ao ...] . b[bo ...] over n floats, b's at stride bStride, in four float partial sums (independent chains the
     * CPU overlaps).
     */
    private static float dot(float[] a, int ao, float[] b, int bo, int bStride, int n) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[ao + i] * b[bo + i * bStride];
            s1 += a[ao + i + 1] * b[bo + (i + 1) * bStride];
            s2 += a[ao + i + 2] * b[bo + (i + 2) * bStride];
            s3 += a[ao + i + 3] * b[bo + (i + 3) * bStride];
        }
        for (; i < n; i++) s0 += a[ao + i] * b[bo + i * bStride];
        return (s0 + s1) + (s2 + s3);
    }
}

package org.racro4j.core.cpu;

import org.racro4j.core.SharedPrefix;
import org.racro4j.core.Tensor;

/**
 * One new query per sequence against its KV cache (Backend.decodeAttention), F32: for each row and query head, the
 * scores of the row's first lengths[b] keys where the key mask is not 0, their softmax (summed in double) and
 * the weighted sum of the values. One pass over the keys and one over the values, with no score tensor or mask
 * tensor, and the scratch rows are the calling thread's: a decode step of a small model was a dozen ops and their
 * allocations here, in a step whose arithmetic takes microseconds.
 *
 * <p>A score is the chain of fused multiply-adds {@link #dot} defines, on every path. In vector mode the
 * dot products take their keys in blocks of one key per lane ({@link LaneAttention#keyBlockDots}). A cache that stores
 * each head's keys transposed ([D, C] storage viewed as [C, D]: stride 1 along the keys, as models' CPU caches do)
 * holds them so already: its full blocks are read in place, and only the keys past them are copied, into a padded
 * block. From a cache in row-major order the full blocks are first copied transposed into the scratch
 * ({@link LaneAttention#transposeKeys}), once for the query heads that share them, and the keys past them go through
 * the per-key loop. Query heads then go through the values two at a time ({@link LaneAttention#weightedSumPair}).
 * Every path gives the same bits.
 *
 * <p>Where the rows come in groups that share a prefix ({@link SharedPrefix}: a prompt's samples, forked from one
 * prefill), every row of a group reads the prefix's full key blocks and its values from the group's first row, and the
 * units run group by group, so a group reads its prefix from memory once and then from the core's cache: the
 * same values at the same places in each row's sums, so the same bits. In vector mode only (the plain loops read each
 * row's own copy).
 */
final class CpuDecodeAttention {
    private CpuDecodeAttention() {}

    /**
     * Per thread, for one (row, KV head): the scores of each of its query heads, a row of C (and a block more, which a
     * padded block writes) per head; each head's max; the heads' output accumulators [perKv x D]; and in vector
     * mode the keys in {@link LaneAttention#transposeKeys}' blocks (at least one block).
     */
    private static final class Scratch {
        float[] scores = new float[0];
        float[] max = new float[0];
        float[] acc = new float[0];
        float[] keys = new float[0];

        Scratch fit(int heads, int scoreRow, int c, int d) {
            if (scores.length < heads * scoreRow) scores = new float[heads * scoreRow];
            if (max.length < heads) max = new float[heads];
            if (acc.length < heads * d) acc = new float[heads * d];
            int block = VectorApi.ENABLED ? LaneAttention.KEY_BLOCK : 0;
            if (keys.length < Math.max(c, block) * d && VectorApi.ENABLED) keys = new float[Math.max(c, block) * d];
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * q [B, Hq, 1, D], caches [B, Hkv, C, D] (values: last stride 1; keys: last stride 1, or stride 1 along C),
     * lengths [B] I32, keyMask [B, C] F32 (last stride 1) or null, shared null or groups that divide B.
     */
    static void run(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale, SharedPrefix shared, Tensor out) {
        if (kCache.stride(3) != 1 && kCache.stride(2) != 1) {
            throw new IllegalArgumentException("decodeAttention: the key cache needs stride 1 along its last dim or along the keys, "
                    + "got strides " + java.util.Arrays.toString(kCache.strides()));
        }
        if (shared != null && q.size(0) % shared.rows() != 0) {
            throw new IllegalArgumentException("decodeAttention: groups of " + shared.rows() + " rows do not divide " + q.size(0) + " rows");
        }
        Call call = new Call(q, kCache, vCache, lengths, keyMask, scale, shared, out);
        int units = q.size(0) * call.hkv;
        // One unit per (row, KV head), group by group where rows share a prefix: its keys are put in blocks once (vector
        // mode) for the perKv query heads reading them.
        Parallel.range(units, Math.max(1, 4096 / Math.max(1, call.perKv * call.c * call.d)), (u0, u1) -> {
            Scratch scratch = SCRATCH.get().fit(call.perKv, call.scoreRow, call.c, call.d);
            for (int u = u0; u < u1; u++) call.unit(u, scratch);
        });
        Floats.commit(out, call.os);
    }

    /** One call's operands, read once, and the work of one (row, KV head). */
    private static final class Call {
        final Tensor q, kCache, vCache, keyMask, out;
        final float[] qs, ks, vs, ms, os;
        final int[] lens;
        final int lenOff, lenStride, hkv, perKv, c, d, scoreRow;
        final float scale;
        /** Keys stored transposed (stride 1 along C) and read in place, in vector mode. */
        final boolean keysInBlocks;
        /** Rows per group sharing entries [0, sharedLength) (1 and 0: none); read from the group's first row in vector mode. */
        final int groupRows, sharedLength;

        Call(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale, SharedPrefix shared, Tensor out) {
            this.q = q;
            this.kCache = kCache;
            this.vCache = vCache;
            this.keyMask = keyMask;
            this.out = out;
            this.scale = scale;
            qs = Floats.read(q);
            ks = Floats.read(kCache);
            vs = Floats.read(vCache);
            ms = keyMask == null ? null : Floats.read(keyMask);
            os = Floats.writable(out);
            lens = Floats.storage(lengths).ints();
            lenOff = lengths.offset();
            lenStride = lengths.stride(0);
            hkv = kCache.size(1);
            perKv = q.size(1) / hkv;
            c = kCache.size(2);
            d = q.size(3);
            scoreRow = c + (VectorApi.ENABLED ? LaneAttention.KEY_BLOCK : 0);
            keysInBlocks = kCache.stride(3) != 1 && VectorApi.ENABLED;
            boolean sharing = shared != null && VectorApi.ENABLED && shared.rows() > 1 && shared.length() > 0;
            groupRows = sharing ? shared.rows() : 1;
            sharedLength = sharing ? Math.min(shared.length(), c) : 0;
        }

        /**
         * Unit u = (row, KV head): first each query head's scores, scaled and masked, their max and their exp; then the
         * softmax sums and the weighted sums of the values, two query heads at a time where there are two (in vector
         * mode): they read the same values, and two heads' dependent chains of additions overlap.
         */
        void unit(int u, Scratch scratch) {
            // Without groups u = (row, KV head); with groups u = (group, KV head, row in the group), so that a group's
            // rows follow each other over the same shared entries.
            int row;
            int kvHead;
            if (groupRows == 1) {
                row = u / hkv;
                kvHead = u % hkv;
            } else {
                int inGroup = u % (hkv * groupRows);
                row = u / (hkv * groupRows) * groupRows + inGroup % groupRows;
                kvHead = inGroup / groupRows;
            }
            int leader = row - row % groupRows;
            int len = Math.min(c, Math.max(0, lens[lenOff + row * lenStride]));
            int shared = Math.min(sharedLength, len);
            int vb = vCache.offset() + row * vCache.stride(0) + kvHead * vCache.stride(1);
            int vbShared = vCache.offset() + leader * vCache.stride(0) + kvHead * vCache.stride(1);
            int mb = keyMask == null ? 0 : keyMask.offset() + row * keyMask.stride(0);
            float[] scores = scratch.scores;
            float[] max = scratch.max;
            scores(row, leader, kvHead, len, scratch);
            for (int i = 0; i < perKv; i++) {
                int at = i * scoreRow;
                max[i] = VectorApi.ENABLED
                        ? LaneAttention.scaleMaskMax(scores, at, len, scale, ms, mb)
                        : scaleMaskMax(scores, at, len, scale, ms, mb);
                if (max[i] != Float.NEGATIVE_INFINITY) ExpRuns.exp(scores, at, max[i], scores, at, len);   // masked: exp(-inf) = 0
            }
            float[] acc = scratch.acc;
            int vStride = vCache.stride(2);
            for (int i = 0; i < perKv; i++) {
                int at = i * scoreRow;
                boolean visible = max[i] != Float.NEGATIVE_INFINITY;
                if (VectorApi.ENABLED && visible && i + 1 < perKv && max[i + 1] != Float.NEGATIVE_INFINITY) {
                    int next = at + scoreRow;
                    double sum = 0;
                    double nextSum = 0;
                    for (int s = 0; s < len; s++) {
                        sum += scores[at + s];
                        nextSum += scores[next + s];
                    }
                    // the shared values from the group's first row, then the row's own, one chain of sums over both
                    LaneAttention.weightedSumPair(scores, at, next, shared, vs, vbShared, vStride, d, acc, 0, d, false);
                    LaneAttention.weightedSumPair(scores, at + shared, next + shared, len - shared, vs, vb + shared * vStride, vStride, d,
                            acc, 0, d, shared > 0);
                    write(row, kvHead * perKv + i, acc, 0, sum);
                    write(row, kvHead * perKv + i + 1, acc, d, nextSum);
                    i++;
                    continue;
                }
                if (!visible) {   // no key to attend: 0
                    int ob = out.offset() + row * out.stride(0) + (kvHead * perKv + i) * out.stride(1);
                    for (int j = 0; j < d; j++) os[ob + j * out.stride(3)] = 0f;
                    continue;
                }
                double sum = 0;
                for (int s = 0; s < len; s++) sum += scores[at + s];
                if (VectorApi.ENABLED) {
                    LaneAttention.weightedSum(scores, at, shared, vs, vbShared, vStride, d, acc, false);
                    LaneAttention.weightedSum(scores, at + shared, len - shared, vs, vb + shared * vStride, vStride, d, acc, shared > 0);
                } else {
                    java.util.Arrays.fill(acc, 0, d, 0f);
                    for (int s = 0; s < len; s++) {
                        float w = scores[at + s];
                        if (w == 0f) continue;
                        int vo = vb + s * vStride;
                        for (int j = 0; j < d; j++) acc[j] += w * vs[vo + j];
                    }
                }
                write(row, kvHead * perKv + i, acc, 0, sum);
            }
        }

        /**
         * Every query head's raw scores q . k of the unit's len keys, head i's at scores[i * scoreRow ...]; the full key
         * blocks of the shared entries are read from row {@code leader} (the row itself without groups).
         */
        private void scores(int row, int leader, int kvHead, int len, Scratch scratch) {
            float[] scores = scratch.scores;
            int kb = kCache.offset() + row * kCache.stride(0) + kvHead * kCache.stride(1);
            int kbShared = kCache.offset() + leader * kCache.stride(0) + kvHead * kCache.stride(1);
            int keyStride = kCache.stride(2);
            int elementStride = kCache.stride(3);
            int block = VectorApi.ENABLED ? LaneAttention.KEY_BLOCK : 0;
            int blocks = VectorApi.ENABLED ? len / block : 0;
            int blocked = blocks * block;
            // Transposed keys: full blocks are read in place (LaneAttention.keyBlockDots), and the keys past them are
            // copied into a padded scratch block.
            int inPlace = keysInBlocks ? blocks : 0;
            int sharedBlocks = keysInBlocks ? Math.min(inPlace, Math.min(sharedLength, len) / Math.max(1, block)) : 0;
            int copied = len - inPlace * block;
            if (keysInBlocks && copied > 0) LaneAttention.copyBlocks(ks, kb + inPlace * block, elementStride, copied, d, scratch.keys);
            if (!keysInBlocks && blocks > 0) LaneAttention.transposeKeys(ks, kb, keyStride, blocks, d, scratch.keys);
            for (int i = 0; i < perKv; i++) {
                int qb = q.offset() + row * q.stride(0) + (kvHead * perKv + i) * q.stride(1);
                int at = i * scoreRow;
                if (keysInBlocks) {   // the copied blocks' padding scores land in the row's spare block and are not read
                    LaneAttention.keyBlockDots(qs, qb, ks, kbShared, block, elementStride, sharedBlocks, d, scores, at);
                    LaneAttention.keyBlockDots(qs, qb, ks, kb + sharedBlocks * block, block, elementStride, inPlace - sharedBlocks, d, scores,
                            at + sharedBlocks * block);
                    int copiedBlocks = (copied + block - 1) / block;
                    LaneAttention.keyBlockDots(qs, qb, scratch.keys, 0, d * block, block, copiedBlocks, d, scores, at + inPlace * block);
                } else if (VectorApi.ENABLED) {
                    LaneAttention.keyBlockDots(qs, qb, scratch.keys, 0, d * block, block, blocks, d, scores, at);
                    LaneAttention.dots(qs, qb, ks, kb + blocked * keyStride, keyStride, len - blocked, d, scores, at + blocked);
                } else {
                    for (int s = 0; s < len; s++) scores[at + s] = dot(qs, qb, ks, kb + s * keyStride, elementStride, d);
                }
            }
        }

        /** out[row, head] = acc[a ...] / sum (the scale rounded to float once, as one multiply per element). */
        private void write(int row, int head, float[] acc, int a, double sum) {
            float inv = (float) (1.0 / sum);
            int ob = out.offset() + row * out.stride(0) + head * out.stride(1);
            for (int j = 0; j < d; j++) os[ob + j * out.stride(3)] = acc[a + j] * inv;
        }
    }

    /** scores[s0 + s] *= scale, or -infinity where the mask is 0; the largest result (-infinity if none). */
    static float scaleMaskMax(float[] scores, int s0, int n, float scale, float[] mask, int m0) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s < n; s++) {
            if (mask != null && mask[m0 + s] == 0f) {
                scores[s0 + s] = Float.NEGATIVE_INFINITY;
            } else {
                scores[s0 + s] *= scale;
                max = Math.max(max, scores[s0 + s]);
            }
        }
        return max;
    }

    /**
     * q . k over d floats, k's at stride kStride: the chain of fused multiply-adds along d, from 0, in order. The one
     * definition of a decode score, which every path gives, the plain loops too. It is the order the tile kernel of a
     * matrix product takes along K, so a decode step's scores have the bits of a prefill's q k^T for the same query and
     * key.
     */
    static float dot(float[] q, int q0, float[] k, int k0, int kStride, int d) {
        float sum = 0f;
        for (int j = 0; j < d; j++) sum = Math.fma(q[q0 + j], k[k0 + j * kStride], sum);
        return sum;
    }
}

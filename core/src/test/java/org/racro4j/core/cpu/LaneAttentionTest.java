package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.SharedPrefix;
import org.racro4j.core.Tensor;

/**
 * Decode attention's vector kernels against the loops they replace, bit for bit. Every dot product must be the chain
 * of fused multiply-adds along the head dim that the test writes out (a step's scores may not depend on whether a key
 * fell in a full block of transposed keys, read from the scratch or from a cache that stores keys transposed, in a
 * padded block copied from there, or went through the per-key loop), on head dims that are and are not multiples of
 * the vector length, keys at an awkward stride, and values that make the order of additions show: wide magnitude
 * ranges, signed zeros, subnormals, infinities and NaNs. The scaling
 * and masking, and the weighted sum of the values, against their scalar loops on the same kinds of values.
 */
class LaneAttentionTest {
    @Test
    void keyBlocksGiveThePerKeyKernelsBits() {
        SplittableRandom rnd = new SplittableRandom(17);
        int block = LaneAttention.KEY_BLOCK;
        for (int d : new int[] {1, 3, 16, 17, 31, 32, 33, 48, 64, 100, 128}) {
            for (int kind = 0; kind < 5; kind++) {
                int blocks = 1 + rnd.nextInt(7);   // the kernel takes four blocks, then two, then one
                int n = blocks * block;
                int stride = d + rnd.nextInt(5);
                int k0 = rnd.nextInt(7);
                int q0 = rnd.nextInt(7);
                float[] k = new float[k0 + n * stride];
                float[] q = new float[q0 + d];
                for (int i = 0; i < k.length; i++) k[i] = value(kind, rnd);
                for (int i = 0; i < q.length; i++) q[i] = value(kind, rnd);

                float[] chain = new float[n + 3];
                for (int s = 0; s < n; s++) {
                    float sum = 0f;
                    for (int j = 0; j < d; j++) sum = Math.fma(q[q0 + j], k[k0 + s * stride + j], sum);
                    chain[3 + s] = sum;
                }
                float[] perKey = new float[n + 1];
                LaneAttention.dots(q, q0, k, k0, stride, n, d, perKey, 1);
                assertSameBits(chain, 3, perKey, 1, n, "d " + d + ", kind " + kind + ", per key");
                float[] kt = new float[n * d];
                LaneAttention.transposeKeys(k, k0, stride, blocks, d, kt);
                float[] blocked = new float[n];
                LaneAttention.keyBlockDots(q, q0, kt, 0, d * block, block, blocks, d, blocked, 0);
                assertSameBits(chain, 3, blocked, 0, n, "d " + d + ", kind " + kind + ", scratch blocks");

                // The same keys in a cache that stores them transposed (capacity above n, at an offset): some full
                // blocks read in place, then up to two blocks' worth copied into padded blocks.
                int capacity = n + rnd.nextInt(20);
                int c0 = rnd.nextInt(5);
                float[] cache = new float[c0 + d * capacity];
                for (int s = 0; s < n; s++) for (int j = 0; j < d; j++) cache[c0 + j * capacity + s] = k[k0 + s * stride + j];
                int full = rnd.nextInt(blocks);
                int copied = 1 + rnd.nextInt(Math.min(n - full * block, 2 * block - 1));
                float[] inPlace = new float[5 + (full + 2) * block];
                LaneAttention.keyBlockDots(q, q0, cache, c0, block, capacity, full, d, inPlace, 5);
                float[] padded = new float[2 * block * d];
                LaneAttention.copyBlocks(cache, c0 + full * block, capacity, copied, d, padded);
                int copiedBlocks = (copied + block - 1) / block;
                LaneAttention.keyBlockDots(q, q0, padded, 0, d * block, block, copiedBlocks, d, inPlace, 5 + full * block);
                assertSameBits(chain, 3, inPlace, 5, full * block + copied, "d " + d + ", kind " + kind + ", transposed cache, " + full
                        + " blocks in place and " + copied + " keys copied");
            }
        }
    }

    /**
     * A decode score has the bits of a prefill's q k^T (the tile kernel's chain along K), for query rows enough to take
     * the tile path and head dims below, at and above the vector length.
     */
    @Test
    void aScoreHasThePrefillProductsBits() {
        SplittableRandom rnd = new SplittableRandom(23);
        for (int d : new int[] {7, 16, 32, 64, 100}) {
            int rows = 16;
            int keys = 1 + rnd.nextInt(90);
            float[] q = new float[rows * d];
            float[] k = new float[keys * d];
            for (int i = 0; i < q.length; i++) q[i] = value(1, rnd);
            for (int i = 0; i < k.length; i++) k[i] = value(1, rnd);
            float[] product = Tensor.of(q, rows, d).matmul(Tensor.of(k, keys, d).t()).toFloatArray();
            for (int r = 0; r < rows; r++) {
                float[] score = {CpuDecodeAttention.dot(q, r * d, k, 0, 1, d)};
                assertSameBits(product, r * keys, score, 0, 1, "d " + d + ", row " + r + ", key 0");
                float[] scores = new float[keys];
                LaneAttention.dots(q, r * d, k, 0, d, keys, d, scores, 0);
                assertSameBits(product, r * keys, scores, 0, keys, "d " + d + ", row " + r);
            }
        }
    }

    /** The vector loop gives Math.max's result and the same scores as the scalar loop, with and without a mask. */
    @Test
    void scaleMaskMaxMatchesTheScalarLoop() {
        SplittableRandom rnd = new SplittableRandom(23);
        for (int n : new int[] {1, 5, 16, 17, 40, 95}) {
            for (int kind = 0; kind < 5; kind++) {
                for (boolean masked : new boolean[] {false, true}) {
                    float[] scores = new float[n];
                    for (int s = 0; s < n; s++) scores[s] = value(kind, rnd);
                    int m0 = rnd.nextInt(4);
                    float[] mask = masked ? new float[m0 + n] : null;
                    for (int s = 0; masked && s < n; s++) {
                        mask[m0 + s] = switch (rnd.nextInt(4)) {
                            case 0 -> 0f;
                            case 1 -> -0f;
                            default -> 1f;
                        };
                    }
                    float scale = (float) (0.1 + rnd.nextDouble());
                    float[] want = scores.clone();
                    float wantMax = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s < n; s++) {
                        if (masked && mask[m0 + s] == 0f) {
                            want[s] = Float.NEGATIVE_INFINITY;
                        } else {
                            want[s] *= scale;
                            wantMax = Math.max(wantMax, want[s]);
                        }
                    }
                    float got = LaneAttention.scaleMaskMax(scores, 0, n, scale, mask, m0);
                    String at = "n " + n + ", kind " + kind + ", masked " + masked;
                    assertEquals(Float.floatToIntBits(wantMax), Float.floatToIntBits(got), at + ": max " + wantMax + " vs " + got);
                    assertSameBits(want, 0, scores, 0, n, at);
                }
            }
        }
    }

    /**
     * Every element of the weighted sum is the chain of fused multiply-adds over the values in key order (keys of
     * weight 0 skipped), whether its lane runs alone or beside others; head dims past the last full vector add
     * plain products.
     */
    @Test
    void weightedSumIsOneFusedChainPerElement() {
        SplittableRandom rnd = new SplittableRandom(29);
        int lanes = LaneAttention.KEY_BLOCK;
        for (int d : new int[] {1, 7, lanes, lanes + 3, 2 * lanes, 3 * lanes, 4 * lanes, 5 * lanes + 1, 8 * lanes}) {
            for (int kind = 0; kind < 5; kind++) {
                int n = 1 + rnd.nextInt(70);
                int stride = d + rnd.nextInt(4);
                int v0 = rnd.nextInt(6);
                float[] v = new float[v0 + n * stride];
                for (int i = 0; i < v.length; i++) v[i] = value(kind, rnd);
                float[] w = new float[n];
                for (int s = 0; s < n; s++) w[s] = rnd.nextInt(5) == 0 ? 0f : (float) rnd.nextDouble();
                int vectorDims = d / lanes * lanes;
                float[] want = new float[d];
                for (int j = 0; j < d; j++) {
                    float sum = 0f;
                    for (int s = 0; s < n; s++) {
                        if (w[s] == 0f) continue;
                        float x = v[v0 + s * stride + j];
                        sum = j < vectorDims ? Math.fma(x, w[s], sum) : sum + w[s] * x;
                    }
                    want[j] = sum;
                }
                float[] got = new float[d];
                LaneAttention.weightedSum(w, 0, n, v, v0, stride, d, got, false);
                assertSameBits(want, 0, got, 0, d, "d " + d + ", kind " + kind + ", keys " + n);

                // The keys in two runs read from different places (a shared prefix elsewhere, then the rest): one chain.
                int split = rnd.nextInt(n + 1);
                float[] elsewhere = new float[7 + split * stride];
                for (int s = 0; s < split; s++) System.arraycopy(v, v0 + s * stride, elsewhere, 7 + s * stride, d);
                float[] runs = new float[d];
                LaneAttention.weightedSum(w, 0, split, elsewhere, 7, stride, d, runs, false);
                LaneAttention.weightedSum(w, split, n - split, v, v0 + split * stride, stride, d, runs, split > 0);
                assertSameBits(want, 0, runs, 0, d, "two runs split at " + split + ", d " + d + ", kind " + kind);

                // Two heads at once: this head's weights second, another head's (zeros elsewhere) first, both at offsets.
                float[] pair = new float[3 + 2 * n];
                for (int s = 0; s < n; s++) {
                    pair[3 + s] = rnd.nextInt(5) == 0 ? 0f : (float) rnd.nextDouble();
                    pair[3 + n + s] = w[s];
                }
                float[] other = new float[d];
                LaneAttention.weightedSum(pair, 3, n, v, v0, stride, d, other, false);
                float[] both = new float[1 + 2 * d];
                LaneAttention.weightedSumPair(pair, 3, 3 + n, n, v, v0, stride, d, both, 1, 1 + d, false);
                assertSameBits(other, 0, both, 1, d, "pair, first head, d " + d + ", kind " + kind);
                assertSameBits(want, 0, both, 1 + d, d, "pair, second head, d " + d + ", kind " + kind);
                float[] bothRuns = new float[1 + 2 * d];
                LaneAttention.weightedSumPair(pair, 3, 3 + n, split, elsewhere, 7, stride, d, bothRuns, 1, 1 + d, false);
                LaneAttention.weightedSumPair(pair, 3 + split, 3 + n + split, n - split, v, v0 + split * stride, stride, d, bothRuns, 1,
                        1 + d, split > 0);
                assertSameBits(other, 0, bothRuns, 1, d, "pair in two runs, first head, d " + d + ", kind " + kind);
                assertSameBits(want, 0, bothRuns, 1 + d, d, "pair in two runs, second head, d " + d + ", kind " + kind);
            }
        }
    }

    /**
     * With a shared prefix every row of a group reads the prefix's values, and its first full block of keys, from the
     * group's first row: the other rows' copies there are made NaN, and the result is still the bits of the intact cache.
     */
    @Test
    void aSharedPrefixIsReadFromTheGroupsFirstRow() {
        int groups = 2, rows = 4, hq = 4, hkv = 2, c = 80, d = 32, p = 40;
        int b = groups * rows;
        SplittableRandom rnd = new SplittableRandom(41);
        float[] k = new float[b * hkv * c * d];
        float[] v = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) rnd.nextGaussian();
            v[i] = (float) rnd.nextGaussian();
        }
        int[] lengths = new int[b];
        for (int r = 0; r < b; r++) {
            lengths[r] = 2 * LaneAttention.KEY_BLOCK + rnd.nextInt(c - 2 * LaneAttention.KEY_BLOCK + 1);
            int leader = r - r % rows;
            for (int h = 0; h < hkv; h++) {
                for (int s = 0; s < p; s++) {
                    System.arraycopy(k, ((leader * hkv + h) * c + s) * d, k, ((r * hkv + h) * c + s) * d, d);
                    System.arraycopy(v, ((leader * hkv + h) * c + s) * d, v, ((r * hkv + h) * c + s) * d, d);
                }
            }
        }
        float[] qs = new float[b * hq * d];
        for (int i = 0; i < qs.length; i++) qs[i] = (float) rnd.nextGaussian();
        Tensor q = Tensor.of(qs, b, hq, 1, d);
        Tensor lens = Tensor.ofInts(lengths, b);
        SharedPrefix shared = new SharedPrefix(rows, p);
        float[] intact = Functional.decodeAttention(q, transposed(k, b, hkv, c, d), Tensor.of(v, b, hkv, c, d), lens, null, Float.NaN)
                .toFloatArray();
        for (int r = 0; r < b; r++) {
            if (r % rows == 0) continue;
            for (int h = 0; h < hkv; h++) {
                for (int s = 0; s < p; s++) {
                    int at = ((r * hkv + h) * c + s) * d;
                    java.util.Arrays.fill(v, at, at + d, Float.NaN);
                    if (s < LaneAttention.KEY_BLOCK) java.util.Arrays.fill(k, at, at + d, Float.NaN);
                }
            }
        }
        float[] got = Functional.decodeAttention(q, transposed(k, b, hkv, c, d), Tensor.of(v, b, hkv, c, d), lens, null, Float.NaN, shared)
                .toFloatArray();
        assertSameBits(intact, 0, got, 0, intact.length, "shared prefix read from the group's first row");
    }

    /** A [B, Hkv, C, D] cache of these keys stored transposed, as models' CPU caches hold them. */
    private static Tensor transposed(float[] k, int b, int hkv, int c, int d) {
        Tensor t = Tensor.zeros(DType.F32, Device.CPU, b, hkv, d, c).transpose(2, 3);
        t.copyFrom(Tensor.of(k, b, hkv, c, d));
        return t;
    }

    private static void assertSameBits(float[] want, int w0, float[] got, int g0, int n, String at) {
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToIntBits(want[w0 + i]), Float.floatToIntBits(got[g0 + i]),
                    at + ", element " + i + ": " + want[w0 + i] + " vs " + got[g0 + i]);
        }
    }

    /**
     * Gaussian; magnitudes over 60 binades; special values; signs only; signed powers of two 30 binades apart, whose
     * products cancel and absorb each other, so that a sum in another order, even in double, gives other bits.
     */
    private static float value(int kind, SplittableRandom r) {
        return switch (kind) {
            case 0 -> (float) r.nextGaussian();
            case 1 -> (float) (r.nextGaussian() * Math.pow(2, r.nextInt(60) - 30));
            case 2 -> switch (r.nextInt(10)) {
                case 0 -> -0f;
                case 1 -> 0f;
                case 2 -> Float.MIN_VALUE * (1 + r.nextInt(100));
                case 3 -> r.nextInt(50) == 0 ? Float.POSITIVE_INFINITY : 1e30f;
                case 4 -> r.nextInt(80) == 0 ? Float.NaN : -1e30f;
                default -> (float) r.nextGaussian();
            };
            case 3 -> r.nextBoolean() ? 1f : -1f;
            default -> (r.nextBoolean() ? 1f : -1f) * (float) Math.pow(2, 30 * (r.nextInt(4) - 1));
        };
    }
}

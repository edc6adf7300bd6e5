package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.normal;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Decode attention (one query per row against its KV cache) on the CPU: the backend's kernel and Functional's composite
 * (what backends without a kernel run, and GPU kernels are tested against), both against a float64 loop, on awkward
 * sizes with grouped heads, padding keys, rows of length 0 and fully masked rows, a strided query and a mask view; and
 * the kernel on keys stored transposed against itself on row-major keys, bit for bit.
 */
class DecodeAttentionTest {
    @Test
    void theKernelAndTheCompositeMatchAFloat64Reference() {
        assertTrue(((DecodeAttentionKernel) Device.CPU.backend()).supportsDecode(DType.F32, 7));
        Random rnd = new Random(3);
        int[][] shapes = {{3, 4, 2, 13, 7}, {5, 6, 3, 9, 32}, {1, 2, 2, 1, 5}, {4, 8, 1, 40, 16}, {3, 8, 2, 75, 32}, {2, 6, 3, 50, 40}};
        for (int[] shape : shapes) {
            int b = shape[0], hq = shape[1], hkv = shape[2], c = shape[3], d = shape[4];
            int[] lengths = new int[b];
            float[] mask = new float[b * (c + 2)];   // a [B, C] view of a wider tensor
            for (int r = 0; r < b; r++) {
                lengths[r] = r == 1 ? 0 : 1 + rnd.nextInt(c);
                for (int s = 0; s < c + 2; s++) mask[r * (c + 2) + s] = rnd.nextInt(4) == 0 ? 0f : 1f;
            }
            if (b > 2) java.util.Arrays.fill(mask, 2 * (c + 2), 3 * (c + 2), 0f);   // row 2: every key masked
            // q as the transpose of [B, 1, Hq, D]: strides that are not the contiguous ones
            Tensor q = Tensor.of(normal(1 + d, b * hq * d), b, 1, hq, d).transpose(1, 2);
            Tensor k = Tensor.of(normal(2 + d, b * hkv * c * d), b, hkv, c, d);
            Tensor v = Tensor.of(normal(3 + d, b * hkv * c * d), b, hkv, c, d);
            Tensor lens = Tensor.ofInts(lengths, b);
            Tensor keyMask = Tensor.of(mask, b, c + 2).narrow(1, 1, c);
            float scale = 0.37f;
            double[] want = reference(q.contiguous().toFloatArray(), k.toFloatArray(), v.toFloatArray(), lengths,
                    keyMask.contiguous().toFloatArray(), b, hq, hkv, c, d, scale);
            float[] kernel = Functional.decodeAttention(q, k, v, lens, keyMask, scale).toFloatArray();
            float[] composite = Functional.decodeAttentionComposite(q, k, v, lens, keyMask, scale).toFloatArray();
            String at = java.util.Arrays.toString(shape);
            // The same keys stored transposed ([D, C] per head, as models' CPU caches hold them): the same bits.
            Tensor kTransposed = Tensor.zeros(DType.F32, Device.CPU, b, hkv, d, c).transpose(2, 3);
            kTransposed.copyFrom(k);
            assertEquals(1, kTransposed.stride(2));
            float[] fromTransposed = Functional.decodeAttention(q, kTransposed, v, lens, keyMask, scale).toFloatArray();
            for (int i = 0; i < kernel.length; i++) {
                assertEquals(Float.floatToIntBits(kernel[i]), Float.floatToIntBits(fromTransposed[i]),
                        at + " transposed keys, element " + i + ": " + kernel[i] + " vs " + fromTransposed[i]);
            }
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], kernel[i], 2e-6 * (1 + Math.abs(want[i])), at + " kernel, element " + i);
                // the composite leaves rows without a visible key undefined (a softmax of nothing); the kernel writes 0
                int row = i / (hq * d);
                if (lengths[row] > 0 && !(b > 2 && row == 2)) {
                    assertEquals(want[i], composite[i], 2e-6 * (1 + Math.abs(want[i])), at + " composite, element " + i);
                }
            }
        }
    }

    @Test
    void withoutAMaskEveryKeyBelowTheLengthIsAttended() {
        int b = 2, hq = 2, hkv = 1, c = 6, d = 3;
        int[] lengths = {6, 2};
        Tensor q = Tensor.of(normal(7, b * hq * d), b, hq, 1, d);
        Tensor k = Tensor.of(normal(8, b * hkv * c * d), b, hkv, c, d);
        Tensor v = Tensor.of(normal(9, b * hkv * c * d), b, hkv, c, d);
        float[] ones = new float[b * c];
        java.util.Arrays.fill(ones, 1f);
        double[] want = reference(q.toFloatArray(), k.toFloatArray(), v.toFloatArray(), lengths, ones, b, hq, hkv, c, d, 0.5f);
        float[] got = Functional.decodeAttention(q, k, v, Tensor.ofInts(lengths, b), null, 0.5f).toFloatArray();
        assertArrayEquals(new int[] {b, hq, 1, d}, Functional.decodeAttention(q, k, v, Tensor.ofInts(lengths, b), null, 0.5f).shape());
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 2e-6, "element " + i);
    }

    /**
     * Rows in groups that share a prefix (SharedPrefix): the same bits as without the sharing, on keys stored transposed
     * and row-major, prefixes that do and do not end on a block of keys, rows whose length stops inside the prefix, and a
     * mask with zeros in the prefix and after it.
     */
    @Test
    void aSharedPrefixGivesTheBitsOfTheUnsharedCall() {
        Random rnd = new Random(11);
        // groups, rows per group, Hq, Hkv, C, D, shared length
        int[][] shapes = {{3, 4, 4, 2, 75, 32, 37}, {2, 3, 6, 3, 50, 40, 33}, {4, 2, 8, 2, 96, 32, 64}, {2, 5, 2, 1, 20, 7, 9},
            {1, 8, 4, 2, 130, 32, 100}};
        for (int[] shape : shapes) {
            int groups = shape[0], rows = shape[1], hq = shape[2], hkv = shape[3], c = shape[4], d = shape[5], p = shape[6];
            int b = groups * rows;
            float[] k = normal(20 + d, b * hkv * c * d);
            float[] v = normal(21 + d, b * hkv * c * d);
            float[] mask = new float[b * c];
            int[] lengths = new int[b];
            for (int r = 0; r < b; r++) {
                lengths[r] = r % rows == 1 ? 1 + rnd.nextInt(p) : p + rnd.nextInt(c - p + 1);   // one row per group stops early
                for (int s = 0; s < c; s++) mask[r * c + s] = rnd.nextInt(5) == 0 ? 0f : 1f;
                int leader = r - r % rows;
                for (int s = 0; s < p; s++) {   // the group's first row's prefix in every row of the group
                    mask[r * c + s] = mask[leader * c + s];
                    for (int h = 0; h < hkv; h++) {
                        int at = ((r * hkv + h) * c + s) * d;
                        int from = ((leader * hkv + h) * c + s) * d;
                        System.arraycopy(k, from, k, at, d);
                        System.arraycopy(v, from, v, at, d);
                    }
                }
            }
            Tensor q = Tensor.of(normal(22 + d, b * hq * d), b, hq, 1, d);
            Tensor keys = Tensor.of(k, b, hkv, c, d);
            Tensor kTransposed = Tensor.zeros(DType.F32, Device.CPU, b, hkv, d, c).transpose(2, 3);
            kTransposed.copyFrom(keys);
            Tensor values = Tensor.of(v, b, hkv, c, d);
            Tensor lens = Tensor.ofInts(lengths, b);
            Tensor keyMask = Tensor.of(mask, b, c);
            SharedPrefix shared = new SharedPrefix(rows, p);
            for (Tensor kc : new Tensor[] {kTransposed, keys}) {
                float[] plain = Functional.decodeAttention(q, kc, values, lens, keyMask, Float.NaN).toFloatArray();
                float[] got = Functional.decodeAttention(q, kc, values, lens, keyMask, Float.NaN, shared).toFloatArray();
                for (int i = 0; i < plain.length; i++) {
                    assertEquals(Float.floatToIntBits(plain[i]), Float.floatToIntBits(got[i]), java.util.Arrays.toString(shape)
                            + (kc == keys ? " row-major" : " transposed") + " keys, element " + i + ": " + got[i] + " vs " + plain[i]);
                }
            }
        }
        Tensor q = Tensor.of(normal(1, 6 * 2 * 4), 6, 2, 1, 4);
        Tensor kv = Tensor.of(normal(2, 6 * 1 * 5 * 4), 6, 1, 5, 4);
        Tensor lens = Tensor.ofInts(new int[] {5, 5, 5, 5, 5, 5}, 6);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Functional.decodeAttention(q, kv, kv, lens, null, Float.NaN, new SharedPrefix(4, 3)));
        assertTrue(e.getMessage().contains("groups of 4 rows"), e.getMessage());
    }

    /** Softmax attention in double over keys s &lt; lengths[b] with mask != 0; 0 where no key is visible. */
    private static double[] reference(float[] q, float[] k, float[] v, int[] lengths, float[] mask, int b, int hq, int hkv, int c, int d,
                                      float scale) {
        double[] out = new double[b * hq * d];
        for (int r = 0; r < b; r++) {
            for (int h = 0; h < hq; h++) {
                int kvh = h / (hq / hkv);
                double[] scores = new double[c];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s < lengths[r]; s++) {
                    if (mask[r * c + s] == 0f) continue;
                    double dot = 0;
                    for (int j = 0; j < d; j++) dot += (double) q[(r * hq + h) * d + j] * k[((r * hkv + kvh) * c + s) * d + j];
                    scores[s] = scale * dot;
                    max = Math.max(max, scores[s]);
                }
                if (max == Double.NEGATIVE_INFINITY) continue;
                double sum = 0;
                double[] acc = new double[d];
                for (int s = 0; s < lengths[r]; s++) {
                    if (mask[r * c + s] == 0f) continue;
                    double w = Math.exp(scores[s] - max);
                    sum += w;
                    for (int j = 0; j < d; j++) acc[j] += w * v[((r * hkv + kvh) * c + s) * d + j];
                }
                for (int j = 0; j < d; j++) out[(r * hq + h) * d + j] = acc[j] / sum;
            }
        }
        return out;
    }
}

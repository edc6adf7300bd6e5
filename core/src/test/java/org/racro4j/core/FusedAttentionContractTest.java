package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.normal;

import org.junit.jupiter.api.Test;

/**
 * The optional fused-attention and graph parts of the backend contract as the CPU backend (which has only an F32
 * decode-attention kernel) sees them, and Functional.decodeAttention's composite, which is what backends without a decode kernel run and
 * the reference a decode kernel is tested against.
 */
class FusedAttentionContractTest {
    private final Backend cpu = Device.CPU.backend();

    @Test
    void theCpuBackendHasNoFusedAttentionOrGraphsAndSaysSo() {
        assertFalse(cpu instanceof FusedAttention);
        assertFalse(cpu instanceof GraphCapture);
        assertTrue(cpu instanceof DecodeAttentionKernel);
        assertTrue(((DecodeAttentionKernel) cpu).supportsDecode(DType.F32, 64));
        assertFalse(((DecodeAttentionKernel) cpu).supportsDecode(DType.BF16, 64));
    }

    @Test
    void keyPaddingMasksAreTheFusableForm() {
        assertTrue(AttentionOps.keyMaskFusable(null, 2, 5));
        assertTrue(AttentionOps.keyMaskFusable(Tensor.ones(2, 1, 1, 5), 2, 5));
        assertTrue(AttentionOps.keyMaskFusable(Tensor.ones(1, 1, 1, 5), 2, 5), "one mask for the whole batch");
        assertFalse(AttentionOps.keyMaskFusable(Tensor.ones(2, 1, 3, 5), 2, 5), "a per-query mask");
        assertFalse(AttentionOps.keyMaskFusable(Tensor.ones(2, 4, 1, 5), 2, 5), "a per-head mask");
        assertFalse(AttentionOps.keyMaskFusable(Tensor.ones(2, 5), 2, 5), "not 4-D");
        assertNull(AttentionOps.keyMask(null, 2, 5));
        Tensor shared = AttentionOps.keyMask(Tensor.of(new float[] {1, 0, 1, 1, 0}, 1, 1, 1, 5), 3, 5);
        assertArrayEquals(new int[] {3, 5}, shared.shape());
        assertEquals(0, shared.stride(0), "broadcast over the batch without a copy");
        assertEquals(1, shared.stride(1));
        Tensor ints = AttentionOps.keyMask(Tensor.ofInts(new int[] {1, 0, 1, 1, 1, 0}, 2, 1, 1, 3), 2, 3);
        assertEquals(DType.F32, ints.dtype());
        assertArrayEquals(new float[] {1, 0, 1, 1, 1, 0}, ints.toFloatArray());
    }

    /** q [B, Hq, 1, D] against caches [B, Hkv, C, D]: the composite equals attention over each row's first lengths[b] keys. */
    @Test
    void decodeAttentionAttendsEachRowsValidPrefix() {
        int b = 3, hq = 4, hkv = 2, c = 9, d = 6;
        int[] lengths = {9, 4, 1};
        float[] keep = new float[b * c];
        java.util.Arrays.fill(keep, 1f);
        keep[1 * c + 2] = 0;   // row 1: a padding key inside its prefix
        Tensor q = Tensor.of(normal(1, b * hq * d), b, hq, 1, d);
        Tensor k = Tensor.of(normal(2, b * hkv * c * d), b, hkv, c, d);
        Tensor v = Tensor.of(normal(3, b * hkv * c * d), b, hkv, c, d);
        Tensor out = Functional.decodeAttention(q, k, v, Tensor.ofInts(lengths, b), Tensor.of(keep, b, c), Float.NaN);
        assertArrayEquals(new int[] {b, hq, 1, d}, out.shape());
        for (int r = 0; r < b; r++) {
            int len = lengths[r];
            Tensor qr = q.narrow(0, r, 1);
            Tensor kr = k.narrow(0, r, 1).narrow(2, 0, len);
            Tensor vr = v.narrow(0, r, 1).narrow(2, 0, len);
            Tensor mask = Tensor.of(java.util.Arrays.copyOfRange(keep, r * c, r * c + len), 1, 1, 1, len);
            float[] want = Functional.scaledDotProductAttention(qr, kr, vr, mask, false, Float.NaN).toFloatArray();
            float[] got = out.narrow(0, r, 1).toFloatArray();
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5, "row " + r + " element " + i);
        }
    }

    @Test
    void decodeAttentionChecksItsShapes() {
        Tensor q = Tensor.ones(2, 2, 1, 4);
        Tensor cache = Tensor.ones(2, 1, 8, 4);
        assertThrows(IllegalArgumentException.class,
                () -> Functional.decodeAttention(Tensor.ones(2, 2, 2, 4), cache, cache, Tensor.ofInts(new int[] {1, 1}, 2), null, Float.NaN),
                "two queries per row");
        assertThrows(IllegalArgumentException.class,
                () -> Functional.decodeAttention(q, cache, cache, Tensor.ofLongs(new long[] {1, 1}, 2), null, Float.NaN), "lengths must be I32");
        assertThrows(IllegalArgumentException.class,
                () -> Functional.decodeAttention(q, cache, cache, Tensor.ofInts(new int[] {1, 1}, 2), Tensor.ones(2, 7), Float.NaN),
                "the key mask covers the capacity");
        assertEquals(4, Functional.decodeAttention(q, cache, cache, Tensor.ofInts(new int[] {3, 8}, 2), null, 0.5f).dim());
    }
}

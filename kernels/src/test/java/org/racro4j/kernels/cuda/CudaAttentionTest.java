package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.racro4j.core.DType;

/** Launch rules of attention.cu, without a GPU. */
class CudaAttentionTest {
    @Test
    void supportedDtypesAndHeadDims() {
        assertTrue(CudaAttention.supports(DType.BF16, 128));
        assertTrue(CudaAttention.supports(DType.F16, 64));
        assertFalse(CudaAttention.supports(DType.F32, 64), "the fused training kernels are tensor-core BF16/F16");
        assertFalse(CudaAttention.supports(DType.BF16, 96));
        assertTrue(CudaAttention.supportsDecode(DType.F32, 64), "decode is memory bound: F32 models get it too");
        assertFalse(CudaAttention.supportsDecode(DType.BF16, 80));
    }

    @Test
    void forwardAndBackwardLaunches() {
        LaunchShape f = CudaAttention.forwardShape(4, 16, 4096, 128);
        assertEquals(64, f.gridX(), "64 query rows per block");
        assertEquals(16, f.gridY());
        assertEquals(4, f.gridZ());
        assertEquals(128, f.blockX());
        assertEquals(3 * 64 * 136 * 2, f.sharedBytes());
        assertEquals(3 * 64 * 72 * 2, CudaAttention.forwardSharedBytes(64));
        LaunchShape b = CudaAttention.backwardShape(4, 2, 1000, 64);
        assertEquals(16, b.gridX(), "64 keys per block");
        assertEquals(2, b.gridY(), "one block column per key/value head");
        assertEquals((2 * 64 + 2 * 32) * 72 * 2 + 64 * 40 * 2 + 256, b.sharedBytes());
        assertTrue(CudaAttention.backwardSharedBytes(128) < 227 * 1024);
    }

    @Test
    void decodeSplitsCoverTheMultiprocessors() {
        // Qwen2-0.5B decoding a batch of 64 (2 key/value heads): 128 blocks per split, so 3 splits of a 1024 cache.
        CudaAttention.DecodeSplit s = CudaAttention.decodeSplit(64, 2, 1024, 132);
        assertEquals(352, s.chunk());
        assertEquals(3, s.splits());
        // One sequence: many splits, each at least 64 keys.
        CudaAttention.DecodeSplit one = CudaAttention.decodeSplit(1, 2, 4096, 132);
        assertEquals(64, one.chunk());
        assertEquals(64, one.splits());
        // Chunks never exceed 512 keys, and cover the capacity.
        CudaAttention.DecodeSplit big = CudaAttention.decodeSplit(512, 8, 32768, 132);
        assertEquals(512, big.chunk());
        assertEquals(64, big.splits());
        for (int c : new int[] {1, 63, 64, 65, 1000, 4097}) {
            CudaAttention.DecodeSplit d = CudaAttention.decodeSplit(3, 1, c, 132);
            assertTrue((long) d.chunk() * d.splits() >= c, "capacity " + c);
            assertTrue((long) d.chunk() * (d.splits() - 1) < c, "no empty split for capacity " + c);
            assertEquals(0, d.chunk() % 32);
        }
    }

    @Test
    void decodeSharedMemory() {
        // 7 query heads per key/value head, D 64, 352-key chunks.
        assertEquals((7 * 64 + 7 * 352 + 4 * 7 * 64 + 14) * 4, CudaAttention.decodeSharedBytes(7, 64, 352));
        // Groups above 16 run in rounds of 16.
        assertEquals(CudaAttention.decodeSharedBytes(16, 128, 512), CudaAttention.decodeSharedBytes(40, 128, 512));
        assertTrue(CudaAttention.decodeSharedBytes(16, 128, 512) < 227 * 1024);
    }

    // ------------------------------------------------------------------------------------------ decode's checks

    private static CudaAttention.Operand contiguous(DType dt, int... shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        return new CudaAttention.Operand(dt, shape, strides);
    }

    /** Qwen2-0.5B-like decode: B 3, Hq 14, Hkv 2, C 40, D 64. */
    private static final CudaAttention.Operand Q = contiguous(DType.BF16, 3, 14, 1, 64);
    private static final CudaAttention.Operand K = contiguous(DType.BF16, 3, 2, 40, 64);
    private static final CudaAttention.Operand LENGTHS = contiguous(DType.I32, 3);
    private static final CudaAttention.Operand MASK = contiguous(DType.F32, 3, 40);
    private static final CudaAttention.Operand OUT = contiguous(DType.BF16, 3, 14, 1, 64);

    private static String refusal(CudaAttention.Operand q, CudaAttention.Operand k, CudaAttention.Operand v, CudaAttention.Operand lengths,
                                  CudaAttention.Operand mask, CudaAttention.Operand out) {
        return assertThrows(IllegalArgumentException.class, () -> CudaAttention.checkDecode(q, k, v, lengths, mask, out)).getMessage();
    }

    @Test
    void decodeAcceptsWhatItsKernelReads() {
        assertDoesNotThrow(() -> CudaAttention.checkDecode(Q, K, K, LENGTHS, MASK, OUT));
        assertDoesNotThrow(() -> CudaAttention.checkDecode(Q, K, K, LENGTHS, null, OUT));
        // A query sliced from a wider projection (head stride 3 D, batch stride larger still) is read through its strides.
        CudaAttention.Operand sliced = new CudaAttention.Operand(DType.BF16, new int[] {3, 14, 1, 64}, new int[] {14 * 192, 192, 192, 1});
        assertDoesNotThrow(() -> CudaAttention.checkDecode(sliced, K, K, LENGTHS, MASK, OUT));
        // A cache transposed in D is copied by decode, not refused.
        CudaAttention.Operand kT = new CudaAttention.Operand(DType.BF16, new int[] {3, 2, 40, 64}, new int[] {5120, 2560, 1, 40});
        assertDoesNotThrow(() -> CudaAttention.checkDecode(Q, kT, K, LENGTHS, MASK, OUT));
    }

    @Test
    void decodeRefusesAQueryItWouldMisread() {
        CudaAttention.Operand strided = new CudaAttention.Operand(DType.BF16, new int[] {3, 14, 1, 64}, new int[] {14 * 128, 128, 128, 2});
        String why = refusal(strided, K, K, LENGTHS, MASK, OUT);
        assertTrue(why.startsWith("attn_decode: q must be unit-strided along D") && why.contains("strides [1792, 128, 128, 2]"), why);
        assertTrue(refusal(contiguous(DType.BF16, 3, 14, 2, 64), K, K, LENGTHS, MASK, OUT).startsWith("attn_decode: q must be [B, Hq, 1, D]"));
        assertTrue(refusal(contiguous(DType.BF16, 3, 14, 1, 80), K, K, LENGTHS, MASK, OUT).contains("head dim 64 or 128"));
    }

    @Test
    void decodeRefusesI64LengthsAndMisshapenTensors() {
        String why = refusal(Q, K, K, contiguous(DType.I64, 3), MASK, OUT);
        assertTrue(why.startsWith("attn_decode: lengths must be I32") && why.contains("got I64 [3]"), why);
        assertTrue(refusal(Q, K, K, contiguous(DType.I32, 4), MASK, OUT).startsWith("attn_decode: lengths must be [B=3]"));
        assertTrue(refusal(Q, contiguous(DType.BF16, 3, 3, 40, 64), contiguous(DType.BF16, 3, 3, 40, 64), LENGTHS, MASK, OUT)
                .startsWith("attn_decode: kCache must be [B=3, Hkv, C, D=64] of BF16 with Hq=14 a multiple of Hkv"), "14 heads over 3");
        assertTrue(refusal(Q, contiguous(DType.BF16, 2, 2, 40, 64), contiguous(DType.BF16, 2, 2, 40, 64), LENGTHS, MASK, OUT)
                .startsWith("attn_decode: kCache"), "batch");
        assertTrue(refusal(Q, contiguous(DType.F16, 3, 2, 40, 64), K, LENGTHS, MASK, OUT).startsWith("attn_decode: kCache"), "dtype");
        assertTrue(refusal(Q, K, contiguous(DType.BF16, 3, 2, 41, 64), LENGTHS, MASK, OUT).startsWith("attn_decode: vCache must be the shape"));
        assertTrue(refusal(Q, K, K, LENGTHS, contiguous(DType.F32, 3, 39), OUT).startsWith("attn_decode: keyMask must be null or [B=3, C=40]"));
        assertTrue(refusal(Q, K, K, LENGTHS, MASK, contiguous(DType.F32, 3, 14, 1, 64)).startsWith("attn_decode: out must be [3, 14, 1, 64] of BF16"));
    }
}

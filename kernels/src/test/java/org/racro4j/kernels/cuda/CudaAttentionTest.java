package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
}

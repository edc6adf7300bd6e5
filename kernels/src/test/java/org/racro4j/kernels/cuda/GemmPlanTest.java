package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.racro4j.core.DType;
import org.racro4j.kernels.cuda.GemmPlan.Choice;
import org.racro4j.kernels.cuda.GemmPlan.Problem;
import org.racro4j.kernels.cuda.GemmPlan.Rung;
import org.racro4j.kernels.cuda.GemmPlan.WgmmaConfig;

/** The GEMM ladder's selection rules, launch shapes and TMA maps, without a GPU. */
class GemmPlanTest {
    static final GemmPlan.Device H200 = new GemmPlan.Device(9, 0, 132, true, true);
    static final GemmPlan.Device H200_NO_CUBLAS = new GemmPlan.Device(9, 0, 132, false, true);
    static final GemmPlan.Device A100 = new GemmPlan.Device(8, 0, 108, true, false);
    static final GemmPlan.Device T4 = new GemmPlan.Device(7, 5, 40, true, false);
    static final long BASE = 1L << 32;

    /** out [batch, m, n] = x [batch, m, k] @ w^T with w [n, k] (Linear's forward: both operands K-major). */
    static Problem linear(DType dt, int batch, int m, int n, int k) {
        return new Problem(dt, m, n, k, batch, k, 1, (long) m * k, 1, k, 0, BASE, BASE + (1L << 30), BASE + (2L << 30), false);
    }

    /** Row-major A [m, k] and row-major B [k, n] (gradient of Linear's input: B N-major). */
    static Problem rowMajor(DType dt, int m, int n, int k) {
        return new Problem(dt, m, n, k, 1, k, 1, 0, n, 1, 0, BASE, BASE + (1L << 30), BASE + (2L << 30), false);
    }

    /** A^T [m, k] from a row-major [k, m] and row-major B [k, n] (gradient of Linear's weight: A M-major). */
    static Problem transposedA(DType dt, int m, int n, int k) {
        return new Problem(dt, m, n, k, 1, 1, m, 0, n, 1, 0, BASE, BASE + (1L << 30), BASE + (2L << 30), false);
    }

    @Test
    void rungOrderFollowsDtypeAndDevice() {
        assertEquals(List.of(Rung.WGMMA, Rung.MMA, Rung.CUBLAS, Rung.TILED), GemmPlan.order(DType.BF16, H200, null, false));
        assertEquals(List.of(Rung.MMA, Rung.CUBLAS, Rung.TILED), GemmPlan.order(DType.F16, H200, null, false), "F16 has no wgmma rung");
        assertEquals(List.of(Rung.CUBLAS, Rung.TILED), GemmPlan.order(DType.F32, H200, null, false), "F32 stays exact by default");
        assertEquals(List.of(Rung.MMA, Rung.CUBLAS, Rung.TILED), GemmPlan.order(DType.F32, H200, null, true), "TF32 when allowed");
        assertEquals(List.of(Rung.MMA, Rung.CUBLAS, Rung.TILED), GemmPlan.order(DType.BF16, A100, null, false));
        assertEquals(List.of(Rung.CUBLAS, Rung.TILED), GemmPlan.order(DType.BF16, T4, null, false), "no mma.sync BF16 before sm_80");
        assertEquals(List.of(Rung.TILED), GemmPlan.order(DType.F32, new GemmPlan.Device(9, 0, 132, false, true), null, false));
        assertEquals(List.of(Rung.CUBLAS, Rung.WGMMA, Rung.MMA, Rung.TILED), GemmPlan.order(DType.BF16, H200, Rung.CUBLAS, false),
                "a preferred rung goes first, the default order stays behind it");
    }

    @Test
    void preferenceProperty() {
        assertNull(GemmPlan.parsePreference(null));
        assertNull(GemmPlan.parsePreference("auto"));
        assertEquals(Rung.CUBLAS, GemmPlan.parsePreference("cublas"));
        assertEquals(Rung.WGMMA, GemmPlan.parsePreference(" WGMMA "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmPlan.parsePreference("fast"));
        assertTrue(e.getMessage().contains(GemmPlan.PROP_GEMM), e.getMessage());
    }

    @Test
    void linearLayerRunsOnWgmmaWithBothOperandsKMajor() {
        Choice c = GemmPlan.candidates(linear(DType.BF16, 1, 4096, 4096, 4096), H200, null, false).get(0);
        assertEquals(Rung.WGMMA, c.rung());
        assertEquals("gemm_wgmma_bf16_128x256_akbk", c.kernel());
        assertTrue(c.aKMajor() && c.bKMajor());
        assertEquals(4096, c.lda());
        assertEquals(4096, c.ldb());
        assertEquals(32 * 16, c.shape().gridX(), "one block per 128 x 256 tile");
        assertEquals(1, c.shape().gridZ());
        assertEquals(384, c.shape().blockX(), "producer + two consumer warpgroups");
        assertEquals(4 * (128 + 256) * 64 * 2 + 2 * 4 * 8 + 1024, c.shape().sharedBytes());
        assertTrue(c.shape().sharedBytes() <= 227 * 1024, "fits Hopper's 227 KiB per block");
        assertEquals("wgmma 128x256 akbk", c.describe());
    }

    @Test
    void backwardLayoutsUseTheTransposeBits() {
        Choice dx = GemmPlan.candidates(rowMajor(DType.BF16, 512, 896, 4864), H200, null, false).get(0);
        // 512 x 896: 16 wide tiles or 28 narrow ones, one wave either way: the narrow blocks finish sooner.
        assertEquals("gemm_wgmma_bf16_128x128_akbn", dx.kernel(), "g @ w: B row-major is N-major");
        assertEquals(896, dx.ldb());
        Choice dw = GemmPlan.candidates(transposedA(DType.BF16, 896, 4864, 512), H200, null, false).get(0);
        // 896 x 4864: 133 wide tiles are two waves on 132 SMs (one nearly empty); 266 narrow ones are three full waves.
        assertEquals("gemm_wgmma_bf16_128x128_ambn", dw.kernel(), "x^T @ g: A a transposed view is M-major");
        assertEquals(896, dw.lda());
        Choice mma = GemmPlan.candidates(transposedA(DType.BF16, 896, 4864, 512), A100, null, false).get(0);
        assertEquals("gemm_mma_bf16_ambn", mma.kernel());
    }

    @Test
    void blockTileFollowsTheShape() {
        assertEquals(WgmmaConfig.TILE_64x128, GemmPlan.wgmmaConfig(64, 896, 1, 132), "a decode batch fits one warpgroup's rows");
        assertEquals(WgmmaConfig.TILE_128x256, GemmPlan.wgmmaConfig(4096, 4096, 1, 132));
        // 4096 x 896: 128 tiles of 128 x 256 are one wave; 224 tiles of 128 x 128 are two.
        assertEquals(WgmmaConfig.TILE_128x256, GemmPlan.wgmmaConfig(4096, 896, 1, 132));
        // 256 x 128 (k/v projections of a short batch): 2 wide tiles (128 columns wasted) or 2 narrow ones, one wave each.
        assertEquals(WgmmaConfig.TILE_128x128, GemmPlan.wgmmaConfig(256, 128, 1, 132));
        assertEquals(1, GemmPlan.waves(4096, 896, 1, 128, 256, 132));
        assertEquals(2, GemmPlan.waves(4096, 896, 1, 128, 128, 132));
        for (WgmmaConfig cfg : WgmmaConfig.values()) {
            assertTrue(cfg.sharedBytes() <= 227 * 1024, cfg + " fits in shared memory");
            assertEquals(cfg.bm == 128 ? 384 : 256, cfg.threads());
        }
    }

    @Test
    void unalignedRowsFallToTheTiledKernel() {
        // K = 135 BF16 elements per row: 270 bytes, not a multiple of 16.
        List<Choice> c = GemmPlan.candidates(linear(DType.BF16, 1, 100, 200, 135), H200_NO_CUBLAS, null, false);
        assertEquals(1, c.size());
        assertEquals(Rung.TILED, c.get(0).rung());
        assertEquals("matmul_tiled_bf16", c.get(0).kernel());
        // A misaligned base address likewise.
        Problem p = linear(DType.BF16, 1, 128, 128, 128);
        Problem shifted = new Problem(p.dtype(), p.m(), p.n(), p.k(), p.batch(), p.aRow(), p.aCol(), p.aBatch(), p.bRow(), p.bCol(),
                p.bBatch(), p.aAddress() + 2, p.bAddress(), p.cAddress(), false);
        assertNull(GemmPlan.plan(Rung.WGMMA, shifted, H200, false));
        assertNull(GemmPlan.plan(Rung.MMA, shifted, H200, false));
        assertNotNull(GemmPlan.plan(Rung.CUBLAS, shifted, H200, false), "cuBLAS takes any alignment");
    }

    @Test
    void stridesNeitherRowNorColumnMajorFallToTheTiledKernel() {
        Problem p = new Problem(DType.BF16, 64, 64, 64, 1, 128, 2, 0, 64, 1, 0, BASE, BASE, BASE, false);
        assertNull(GemmPlan.operands(p));
        assertEquals(Rung.TILED, GemmPlan.candidates(p, H200_NO_CUBLAS, null, false).get(0).rung());
    }

    @Test
    void fusedEpiloguesSkipCublas() {
        Problem p = linear(DType.F32, 1, 64, 64, 64);
        Problem fused = new Problem(p.dtype(), p.m(), p.n(), p.k(), p.batch(), p.aRow(), p.aCol(), p.aBatch(), p.bRow(), p.bCol(),
                p.bBatch(), p.aAddress(), p.bAddress(), p.cAddress(), true);
        assertEquals(Rung.CUBLAS, GemmPlan.candidates(p, H200, null, false).get(0).rung());
        assertEquals(Rung.TILED, GemmPlan.candidates(fused, H200, null, false).get(0).rung());
        assertNull(GemmPlan.plan(Rung.CUBLAS, fused, H200, false));
    }

    @Test
    void tf32AndF16KernelNames() {
        assertEquals("gemm_mma_tf32_akbk", GemmPlan.plan(Rung.MMA, linear(DType.F32, 1, 64, 64, 64), H200, true).kernel());
        assertNull(GemmPlan.plan(Rung.MMA, linear(DType.F32, 1, 64, 64, 64), H200, false), "no TF32 unless allowed");
        assertEquals("gemm_mma_f16_akbk", GemmPlan.plan(Rung.MMA, linear(DType.F16, 1, 64, 64, 64), H200, false).kernel());
        assertNull(GemmPlan.plan(Rung.WGMMA, linear(DType.F16, 1, 64, 64, 64), H200, false));
    }

    @Test
    void mmaSharedMemoryMatchesTheKernelsTiles() {
        assertEquals((128 * 40 + 128 * 40) * 2 * 4, GemmPlan.mmaSharedBytes(2, true, true));      // BF16 K-major: 80 KiB
        assertEquals((32 * 136 + 32 * 136) * 2 * 4, GemmPlan.mmaSharedBytes(2, false, false));    // BF16 M/N-major
        assertEquals((128 * 20 + 128 * 20) * 4 * 4, GemmPlan.mmaSharedBytes(4, true, true));      // TF32 K-major
        assertEquals((16 * 136 + 16 * 136) * 4 * 4, GemmPlan.mmaSharedBytes(4, false, false));    // TF32 M/N-major
        Choice c = GemmPlan.plan(Rung.MMA, linear(DType.BF16, 3, 300, 200, 64), A100, false);
        assertEquals(81920, c.shape().sharedBytes());
        assertEquals(3 * 2, c.shape().gridX(), "ceil(300/128) x ceil(200/128) tiles");
        assertEquals(3, c.shape().gridZ());
    }

    @Test
    void batchedOperandsAndBroadcastWeights() {
        // 70000 batches exceed grid.z: rung 3 declines, rung 2 walks the batch with a stride.
        Problem many = linear(DType.BF16, 70000, 16, 16, 16);
        assertNull(GemmPlan.plan(Rung.WGMMA, many, H200, false));
        assertEquals(65535, GemmPlan.plan(Rung.MMA, many, H200, false).shape().gridZ());
        // A batch stride that breaks 16-byte alignment.
        Problem odd = new Problem(DType.BF16, 16, 16, 16, 2, 16, 1, 16 * 16 + 4, 1, 16, 0, BASE, BASE, BASE, false);
        assertNull(GemmPlan.plan(Rung.MMA, odd, H200, false));
    }

    @Test
    void tensorMapsOfKMajorOperands() {
        Problem p = linear(DType.BF16, 2, 300, 200, 136);
        Choice c = GemmPlan.plan(Rung.WGMMA, p, H200, false);
        TensorMapSpec a = GemmPlan.tensorMapA(p, c, p.aAddress());
        assertArrayEquals(new long[] {136, 300, 2}, a.dims(), "(K, M, batch)");
        assertArrayEquals(new long[] {136 * 2, 300L * 136 * 2}, a.strides());
        assertArrayEquals(new int[] {64, c.config().bm, 1}, a.box(), "64 elements of K x BM rows");
        assertEquals(TensorMapSpec.SWIZZLE_128B, a.swizzle());
        TensorMapSpec b = GemmPlan.tensorMapB(p, c, p.bAddress());
        assertArrayEquals(new long[] {136, 200, 1}, b.dims(), "a weight shared by every batch: one plane");
        assertArrayEquals(new int[] {64, c.config().bn, 1}, b.box());
        assertEquals((long) 64 * c.config().bm * 2, a.boxBytes());
        a.validate();
        b.validate();
    }

    @Test
    void tensorMapsOfMnMajorOperands() {
        Problem p = transposedA(DType.BF16, 896, 4864, 512);
        Choice c = GemmPlan.plan(Rung.WGMMA, p, H200, false);
        TensorMapSpec a = GemmPlan.tensorMapA(p, c, p.aAddress());
        assertArrayEquals(new long[] {896, 512, 1}, a.dims(), "(M, K, 1): M contiguous");
        assertArrayEquals(new int[] {64, 64, 1}, a.box(), "64 x 64 panels");
        TensorMapSpec b = GemmPlan.tensorMapB(p, c, p.bAddress());
        assertArrayEquals(new long[] {4864, 512, 1}, b.dims());
        assertEquals(4864 * 2, b.strides()[0]);
        a.validate();
        b.validate();
        // Per stage the kernel expects BM x 64 + BN x 64 elements, whichever way they arrive.
        long panels = (c.config().bm / 64) * a.boxBytes() + (c.config().bn / 64) * b.boxBytes();
        assertEquals((long) (c.config().bm + c.config().bn) * 64 * 2, panels);
    }

    @Test
    void tensorMapLimits() {
        TensorMapSpec ok = new TensorMapSpec(TensorMapSpec.BFLOAT16, 1024, new long[] {64, 64, 1}, new long[] {128, 8192},
                new int[] {64, 64, 1}, TensorMapSpec.SWIZZLE_128B);
        ok.validate();
        assertThrows(IllegalArgumentException.class, () -> new TensorMapSpec(TensorMapSpec.BFLOAT16, 1032, ok.dims(), ok.strides(),
                ok.box(), ok.swizzle()).validate(), "address not 16-byte aligned");
        assertThrows(IllegalArgumentException.class, () -> new TensorMapSpec(TensorMapSpec.BFLOAT16, 1024, ok.dims(), new long[] {120, 8192},
                ok.box(), ok.swizzle()).validate(), "stride not a multiple of 16");
        assertThrows(IllegalArgumentException.class, () -> new TensorMapSpec(TensorMapSpec.BFLOAT16, 1024, ok.dims(), ok.strides(),
                new int[] {64, 257, 1}, ok.swizzle()).validate(), "box over 256");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TensorMapSpec(TensorMapSpec.BFLOAT16, 1024,
                ok.dims(), ok.strides(), new int[] {128, 64, 1}, ok.swizzle()).validate());
        assertTrue(e.getMessage().contains("128-byte swizzle"), e.getMessage());
        assertFalse(ok.equals(new TensorMapSpec(TensorMapSpec.BFLOAT16, 2048, ok.dims(), ok.strides(), ok.box(), ok.swizzle())));
        assertEquals(ok, new TensorMapSpec(TensorMapSpec.BFLOAT16, 1024, ok.dims(), ok.strides(), ok.box(), ok.swizzle()));
    }

    @Test
    void qwenLayerShapesAllRunOnRung3() {
        int tokens = 4096;
        int[][] shapes = {{896, 896}, {128, 896}, {4864, 896}, {896, 4864}, {151936, 896}};
        for (int[] s : shapes) {
            Choice c = GemmPlan.candidates(linear(DType.BF16, 1, tokens, s[0], s[1]), H200, null, false).get(0);
            assertEquals(Rung.WGMMA, c.rung(), "N=" + s[0] + " K=" + s[1]);
        }
    }
}

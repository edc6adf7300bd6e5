package org.racro4j.kernels.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.racro4j.core.DType;

/**
 * Which GEMM kernel runs a product and how it is launched: the ladder's selection rules, pure arithmetic (tested
 * without a GPU). The rungs, llm.c style, with the vendor library as version 0:
 * <ol start="0">
 * <li>{@link Rung#CUBLAS}: cublasGemmStridedBatchedEx (optional; alpha/beta only, no fused epilogue);</li>
 * <li>{@link Rung#TILED}: matmul_tiled.cu, plain FMA, any strides and alignment (the always-available fallback);</li>
 * <li>{@link Rung#MMA}: gemm_mma.cu, mma.sync tensor cores (sm_80+; BF16, F16, and F32 as TF32 when allowed);</li>
 * <li>{@link Rung#WGMMA}: gemm_wgmma.cu, Hopper wgmma fed by TMA (sm_90; BF16).</li>
 * </ol>
 * By default the engine takes the highest rung that can run a product (F32 keeps exact FP32 arithmetic: cuBLAS,
 * else the tiled kernel, unless TF32 is allowed); {@code -Dracro4j.cuda.gemm=cublas|wgmma|mma|tiled} puts one rung
 * first, and the rest of the default order stays behind it as the fallback.
 */
public final class GemmPlan {
    /** -D property naming the preferred rung: auto (default), cublas, wgmma, mma or tiled. */
    public static final String PROP_GEMM = "racro4j.cuda.gemm";
    /** -D property: true lets F32 products run on TF32 tensor cores (rung 2), as torch's allow_tf32. */
    public static final String PROP_TF32 = "racro4j.cuda.tf32";

    public enum Rung { CUBLAS, TILED, MMA, WGMMA }

    /** Threads per block of gemm_mma.cu and matmul_tiled.cu. */
    static final int MMA_THREADS = 256;
    static final int MMA_TILE = 128;
    static final int MMA_STAGES = 4;
    static final int TILED_TILE = 64;
    /** K elements per stage of gemm_wgmma.cu (one 128-byte swizzle row of BF16). */
    static final int WGMMA_BK = 64;

    /** The gemm_wgmma.cu configurations: block tile BM x BN and pipeline depth. */
    public enum WgmmaConfig {
        TILE_128x256(128, 256, 4), TILE_128x128(128, 128, 6), TILE_64x128(64, 128, 8);

        public final int bm;
        public final int bn;
        public final int stages;

        WgmmaConfig(int bm, int bn, int stages) {
            this.bm = bm;
            this.bn = bn;
            this.stages = stages;
        }

        int consumers() {
            return bm / 64;
        }

        int threads() {
            return 128 * (consumers() + 1);
        }

        /** WgmmaConfig::SMEM_BYTES in gemm_wgmma.cu: the stages, their 2 x STAGES barriers, 1 KiB for alignment. */
        int sharedBytes() {
            return stages * (bm + bn) * WGMMA_BK * 2 + 2 * stages * 8 + 1024;
        }
    }

    /**
     * A product as the backend sees it: C [batch, M, N] contiguous, A (i, p) at i aRow + p aCol (+ b aBatch), B (p, j)
     * at p bRow + j bCol; element strides, device addresses of element 0 (for alignment), and whether a fused
     * epilogue (bias, activation or residual) is asked for.
     */
    public record Problem(DType dtype, int m, int n, int k, int batch, long aRow, long aCol, long aBatch, long bRow, long bCol,
                          long bBatch, long aAddress, long bAddress, long cAddress, boolean fusedEpilogue) {
        long flops() {
            return 2L * m * n * k * batch;
        }
    }

    /** What the device offers: its architecture, multiprocessors, whether cuBLAS loaded and TMA maps can be encoded. */
    public record Device(int major, int minor, int multiprocessors, boolean cublas, boolean tensorMaps) {
        boolean hopper() {
            return major == 9 && minor == 0;
        }
    }

    /**
     * How one rung runs a product. For MMA and WGMMA: the kernel's operand majorness and leading dimensions (in
     * elements); for WGMMA also its configuration.
     */
    public record Choice(Rung rung, String family, String kernel, LaunchShape shape, boolean aKMajor, boolean bKMajor, long lda,
                         long ldb, WgmmaConfig config) {
        /** A short name for reports, e.g. "wgmma 128x256 akbk". */
        public String describe() {
            return switch (rung) {
                case CUBLAS -> "cublas";
                case TILED -> "tiled";
                case MMA -> "mma " + layoutName();
                case WGMMA -> "wgmma " + config.bm + "x" + config.bn + " " + layoutName();
            };
        }

        String layoutName() {
            return "a" + (aKMajor ? "k" : "m") + "b" + (bKMajor ? "k" : "n");
        }
    }

    private GemmPlan() {}

    /** The rungs to try, best first, for a dtype on a device, with the preferred rung (null = auto) in front. */
    static List<Rung> order(DType dtype, Device d, Rung preferred, boolean tf32) {
        List<Rung> auto = new ArrayList<>();
        boolean sixteen = dtype == DType.BF16 || dtype == DType.F16;
        if (dtype == DType.BF16 && d.hopper() && d.tensorMaps()) auto.add(Rung.WGMMA);
        if (d.major() >= 8 && (sixteen || (dtype == DType.F32 && tf32))) auto.add(Rung.MMA);
        if (d.cublas()) auto.add(Rung.CUBLAS);
        auto.add(Rung.TILED);
        if (preferred == null) return auto;
        List<Rung> out = new ArrayList<>();
        out.add(preferred);
        for (Rung r : auto) if (r != preferred) out.add(r);
        return out;
    }

    /** The rung a -Dracro4j.cuda.gemm value names; null for auto. */
    static Rung parsePreference(String value) {
        if (value == null || value.isBlank() || value.equalsIgnoreCase("auto")) return null;
        try {
            return Rung.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-D" + PROP_GEMM + "=" + value + ": expected auto, cublas, wgmma, mma or tiled");
        }
    }

    /** Every way to run p, best first; the tiled kernel (which runs anything) is always last. */
    static List<Choice> candidates(Problem p, Device d, Rung preferred, boolean tf32) {
        List<Choice> out = new ArrayList<>();
        for (Rung r : order(p.dtype(), d, preferred, tf32)) {
            Choice c = plan(r, p, d, tf32);
            if (c != null) out.add(c);
        }
        return out;
    }

    /** How rung r runs p, or null when it cannot. */
    static Choice plan(Rung r, Problem p, Device d, boolean tf32) {
        return switch (r) {
            case CUBLAS -> d.cublas() && !p.fusedEpilogue() && p.k() > 0 && p.dtype().isFloatingPoint()
                    && GemmLayout.of(p.m(), p.n(), p.k(), p.aBatch(), p.aRow(), p.aCol(), p.bBatch(), p.bRow(), p.bCol()) != null
                    ? new Choice(Rung.CUBLAS, null, null, null, false, false, 0, 0, null) : null;
            case TILED -> tiled(p);
            case MMA -> mma(p, d, tf32);
            case WGMMA -> wgmma(p, d);
        };
    }

    private static Choice tiled(Problem p) {
        LaunchShape shape = new LaunchShape((int) LaunchShape.ceilDiv(p.n(), TILED_TILE), (int) LaunchShape.ceilDiv(p.m(), TILED_TILE),
                Math.min(p.batch(), LaunchShape.MAX_GRID_YZ), MMA_THREADS, 0);
        return new Choice(Rung.TILED, "matmul_tiled", "matmul_tiled_" + suffix(p.dtype()), shape, false, false, 0, 0, null);
    }

    private static Choice mma(Problem p, Device d, boolean tf32) {
        if (d.major() < 8) return null;
        String type = switch (p.dtype()) {
            case BF16 -> "bf16";
            case F16 -> "f16";
            case F32 -> tf32 ? "tf32" : null;
            default -> null;
        };
        if (type == null) return null;
        Operands o = operands(p);
        if (o == null || !aligned(p, o, 16)) return null;
        long tiles = LaunchShape.ceilDiv(p.m(), MMA_TILE) * LaunchShape.ceilDiv(p.n(), MMA_TILE);
        if (tiles > Integer.MAX_VALUE) return null;
        LaunchShape shape = new LaunchShape((int) tiles, 1, Math.min(p.batch(), LaunchShape.MAX_GRID_YZ), MMA_THREADS,
                mmaSharedBytes(p.dtype().byteSize(), o.aK, o.bK));
        String layout = "a" + (o.aK ? "k" : "m") + "b" + (o.bK ? "k" : "n");
        return new Choice(Rung.MMA, "gemm_mma", "gemm_mma_" + type + "_" + layout, shape, o.aK, o.bK, o.lda, o.ldb, null);
    }

    private static Choice wgmma(Problem p, Device d) {
        return wgmma(p, d, wgmmaConfig(p.m(), p.n(), p.batch(), d.multiprocessors()));
    }

    /** Rung 3 with a given block tile (the selection rule picks it from the shape otherwise). */
    static Choice wgmma(Problem p, Device d, WgmmaConfig cfg) {
        if (!d.hopper() || !d.tensorMaps() || p.dtype() != DType.BF16 || p.k() == 0 || p.batch() > LaunchShape.MAX_GRID_YZ) return null;
        Operands o = operands(p);
        if (o == null || !aligned(p, o, 16)) return null;
        long tiles = LaunchShape.ceilDiv(p.m(), cfg.bm) * LaunchShape.ceilDiv(p.n(), cfg.bn);
        if (tiles > Integer.MAX_VALUE) return null;
        LaunchShape shape = new LaunchShape((int) tiles, 1, p.batch(), cfg.threads(), cfg.sharedBytes());
        String layout = "a" + (o.aK ? "k" : "m") + "b" + (o.bK ? "k" : "n");
        return new Choice(Rung.WGMMA, "gemm_wgmma", "gemm_wgmma_bf16_" + cfg.bm + "x" + cfg.bn + "_" + layout, shape, o.aK, o.bK, o.lda,
                o.ldb, cfg);
    }

    /**
     * The block tile for a wgmma product: 64 x 128 when M fits one 64-row warpgroup (decode batches), else the one
     * of 128 x 256 and 128 x 128 with fewer waves of blocks over the multiprocessors, each wave weighted by its
     * tile width; 128 x 256 counts 10% cheaper per column (twice the reuse of each A tile), so it wins ties.
     */
    static WgmmaConfig wgmmaConfig(int m, int n, int batch, int sms) {
        if (m <= 64) return WgmmaConfig.TILE_64x128;
        double wide = waves(m, n, batch, 128, 256, sms) * 256 * 0.9;
        double narrow = waves(m, n, batch, 128, 128, sms) * 128;
        return wide <= narrow ? WgmmaConfig.TILE_128x256 : WgmmaConfig.TILE_128x128;
    }

    static long waves(int m, int n, int batch, int bm, int bn, int sms) {
        long tiles = LaunchShape.ceilDiv(m, bm) * LaunchShape.ceilDiv(n, bn) * batch;
        return LaunchShape.ceilDiv(tiles, Math.max(1, sms));
    }

    /** MmaTiles::SMEM_BYTES in gemm_mma.cu. */
    static int mmaSharedBytes(int elementSize, boolean aK, boolean bK) {
        int bk = 64 / elementSize;
        int epc = 16 / elementSize;
        int mnPad = elementSize == 4 ? 8 : epc;
        int aPitch = aK ? bk + epc : MMA_TILE + mnPad;
        int bPitch = bK ? bk + epc : MMA_TILE + mnPad;
        int aElems = aK ? MMA_TILE * aPitch : bk * aPitch;
        int bElems = bK ? MMA_TILE * bPitch : bk * bPitch;
        return (aElems + bElems) * elementSize * MMA_STAGES;
    }

    /** Operand majorness and leading dimensions as the tensor-core kernels read them. */
    record Operands(boolean aK, long lda, boolean bK, long ldb) {}

    /**
     * A is K-major when its column stride is 1 (row-major, ld = row stride) and M-major when its row stride is 1
     * (a transposed view, ld = column stride); B is K-major when its row stride is 1 (the rows of B^T, as Linear's
     * weight, ld = column stride) and N-major when its column stride is 1. K-major wins when both hold (a single
     * row or column). Null when neither holds or rows would overlap. A leading dimension that is never used (one
     * row) is made the smallest aligned one.
     */
    static Operands operands(Problem p) {
        int m = p.m(), n = p.n(), k = p.k();
        Boolean aK = null;
        long lda = 0;
        if (p.aCol() == 1 && (m == 1 || p.aRow() >= k)) {
            aK = true;
            lda = m == 1 ? roundUp(Math.max(k, 1), 8) : p.aRow();
        } else if (p.aRow() == 1 && (k == 1 || p.aCol() >= m)) {
            aK = false;
            lda = k == 1 ? roundUp(Math.max(m, 1), 8) : p.aCol();
        }
        Boolean bK = null;
        long ldb = 0;
        if (p.bRow() == 1 && (n == 1 || p.bCol() >= k)) {
            bK = true;
            ldb = n == 1 ? roundUp(Math.max(k, 1), 8) : p.bCol();
        } else if (p.bCol() == 1 && (k == 1 || p.bRow() >= n)) {
            bK = false;
            ldb = k == 1 ? roundUp(Math.max(n, 1), 8) : p.bRow();
        }
        if (aK == null || bK == null) return null;
        return new Operands(aK, lda, bK, ldb);
    }

    /** 16-byte aligned addresses, rows and batch strides (cp.async and TMA copy 16 bytes at a time). */
    static boolean aligned(Problem p, Operands o, int bytes) {
        long es = p.dtype().byteSize();
        if (p.aAddress() % bytes != 0 || p.bAddress() % bytes != 0 || p.cAddress() % bytes != 0) return false;
        if (o.lda() * es % bytes != 0 || o.ldb() * es % bytes != 0) return false;
        if (p.batch() > 1 && (p.aBatch() * es % bytes != 0 || p.bBatch() * es % bytes != 0)) return false;
        return p.aBatch() >= 0 && p.bBatch() >= 0;
    }

    static long roundUp(long v, long m) {
        return (v + m - 1) / m * m;
    }

    static String suffix(DType d) {
        return switch (d) {
            case F32 -> "f32";
            case BF16 -> "bf16";
            case F16 -> "f16";
            default -> throw new IllegalArgumentException("matmul needs a floating dtype, got " + d);
        };
    }

    /**
     * The tensor maps rung 3 loads A and B through: 3-D (inner, outer, batch), 128-byte swizzle, boxes of 64 inner
     * elements by BM/BN rows (K-major) or 64 x 64 panels (M/N-major). {@code batched} is false for a batch stride of
     * 0 (one matrix shared by every batch): the kernel then reads plane 0.
     */
    static TensorMapSpec tensorMapA(Problem p, Choice c, long address) {
        return operandMap(c.aKMajor() ? p.k() : p.m(), c.aKMajor() ? p.m() : p.k(), c.lda(), p.batch(), p.aBatch(), address,
                c.aKMajor() ? c.config().bm : 64);
    }

    static TensorMapSpec tensorMapB(Problem p, Choice c, long address) {
        return operandMap(c.bKMajor() ? p.k() : p.n(), c.bKMajor() ? p.n() : p.k(), c.ldb(), p.batch(), p.bBatch(), address,
                c.bKMajor() ? c.config().bn : 64);
    }

    private static TensorMapSpec operandMap(int inner, int outer, long ld, int batch, long batchStride, long address, int boxOuter) {
        boolean batched = batch > 1 && batchStride != 0;
        long planes = batched ? batch : 1;
        long planeStride = batched ? batchStride * 2 : roundUp(ld * 2 * Math.max(outer, 1), 16);
        return new TensorMapSpec(TensorMapSpec.BFLOAT16, address, new long[] {Math.max(inner, 1), Math.max(outer, 1), planes},
                new long[] {ld * 2, planeStride}, new int[] {WGMMA_BK, boxOuter, 1}, TensorMapSpec.SWIZZLE_128B);
    }
}

package org.racro4j.core.cpu;

import static org.racro4j.core.cpu.CpuGemmKernel.MR;
import static org.racro4j.core.cpu.CpuGemmKernel.NR;

import java.nio.ShortBuffer;
import java.util.Arrays;

import org.racro4j.core.DType;
import org.racro4j.core.Tensor;

/**
 * Batched single-precision GEMM, C[b] = alpha A[b] B[b] + beta C[b], where each A and B matrix is row-major or
 * a transposed view (see {@link org.racro4j.core.Backend#matmul}), blocked GotoBLAS/BLIS style:
 *
 * <pre>
 *   for jc over N in steps of NC                                B block  KC x NC  (4 MB, in L3)
 *     for pc over K in steps of KC
 *       pack B[pc:pc+KC, jc:jc+NC] into NR-wide panels          (all threads)
 *       for each (row block ic of MC rows, run of B panels)      (one task each, spread over the threads)
 *         A[ic:ic+MC, pc:pc+KC] in place (alpha = 1) or packed    A block  MC x KC  (192 KB, in L2)
 *         for jr over the B panels of the run                    B panel  KC x NR  (64 KB, L1/L2)
 *           for ir over the A panels                             A panel  MR x KC  (16 KB)
 *             C[ir tile, jr tile] (+)= A panel x B panel         micro-kernel, CpuGemmKernel: MR x NR = 8 x 32
 * </pre>
 *
 * Packing makes every operand layout look the same to the micro-kernel: a transposed B is handled by reading it in
 * the transposed order while packing (no extra full copy), and edge panels are zero-padded so any M, N and K work.
 * A is read in place, in either layout, wherever alpha is 1: the kernel broadcasts A's elements one at a time, so
 * its layout costs nothing there, and packing it cost more than it saved (see {@link #packsA}). Where alpha is not 1
 * it is folded into a packed A, except in the narrow products that read A in place anyway; beta is applied by the
 * first K block's stores only (beta == 0 never reads C). The products, their order and so the bits are the same
 * on every path.
 *
 * <p>Blocking, for the Zen 5 dev box (L1d 48 KB, L2 1 MB per core, L3 32 MB shared), chosen by measurement:
 * single-threaded 2048^3 ran at 188 / 202 / 215 GFLOP/s with (KC, MC) = (256, 192) / (384, 192) / (512, 96),
 * 1024^3 at 192 / 201 / 204. The textbook choice KC = 256 keeps the B panel in L1; KC = 512 lets it spill to
 * L2 (the kernel needs only 16 B/cycle of B, well within L2 bandwidth) but halves the passes over C and the
 * fork-join barriers. MC = 96 keeps an A block at 192 KB of L2. NC = 2048 bounds the packed B (4 MB,
 * in L3) and with it the per-thread scratch.
 *
 * <p>Small problems, where a packed panel would serve too few tiles for packing to pay (packing is a scalar
 * copy, about as costly per element as 32 FMAs): with few rows a row-major B is read in place; with few
 * columns a row-major B is read in place, so batched attention shapes are not packed at all; with few
 * rows and a transposed B (a linear layer x W^T at decode) a dot-product kernel runs along the contiguous K.
 * The thresholds below say what was measured.
 *
 * <p>A half-precision B (BF16/F16 bits in a short[], a frozen model's weight) is read in place too: packing widens it
 * to float on the way into the panels, and the dot-product path widens four columns at a time into a small block
 * that serves every row of A; the paths that read a float B unpacked are not taken for it.
 *
 * <p>A row-major F32 B that was packed ahead ({@link PackedB}: a generation's weight copies) is read from its panels
 * wherever the tile kernel would otherwise pack it or read it in place; the row and dot kernels do not use it.
 *
 * <p>Parallelism: a batch of at least as many matrices as threads is split over matrices (each one runs the
 * serial path, no barriers); otherwise one matrix at a time is split into (row block x B-panel run) tasks,
 * with the row blocks sized so the count divides evenly over the threads. Problems under 2^22 multiply-adds
 * run on the calling thread: splitting them costs more than it saves (see PARALLEL_MIN_MNK).
 */
final class CpuMatmul {
    static final int KC = 512;
    static final int MC = 96;
    static final int NC = 2048 / NR * NR;
    /**
     * A transposed B (x W^T) with at most this many rows goes to the dot-product path, and with up to
     * DOT_MAX_M_LONG_K rows when K >= DOT_MIN_K and K >= DOT_K_PER_ROW * M: packing B there costs more than the
     * product (a scalar transpose of K x N for only M / MR tiles per panel), while the dot kernel pays one horizontal
     * sum per output, which only a K long next to M amortises. Measured on one thread, N = 1024 (GFLOP/s, dot vs
     * packed): K = 256: M = 9 43 vs 30, M = 16 47 vs 53, M = 32 47 vs 79, M = 64 47 vs 101; K = 1024: M = 16 92-104
     * vs 47, M = 32 93-107 vs 78, M = 64 93-108 vs 112. So the dot kernel's rate is flat in M and the packed one grows
     * with it; they cross near M = K / 20. (An earlier rule sent every M up to 64 with K >= 256 here: a batch-64
     * decode step of a dim-256 model ran at 1500 tokens/s instead of 3500.)
     */
    static final int DOT_MAX_M = 8;
    static final int DOT_MAX_M_LONG_K = 64;
    static final int DOT_MIN_K = 256;
    static final int DOT_K_PER_ROW = 20;
    /**
     * Up to this many rows with a row-major B: stream B row by row through the C rows (axpy order). Measured at
     * N = K = 1024 (loaded machine): M = 1: 13-14 GFLOP/s vs 4-5 through the in-place tile path (which walks B
     * in 32-column strips with a 4 KB stride and computes 8 rows for 1); M = 4: 19-22 vs 10-17; M = 8: even.
     */
    static final int ROWS_MAX_M = 4;
    /** Columns of C per task and per pass of the row kernel: four 4 KB rows of B stay in L1 across the rows of A. */
    private static final int ROWS_CHUNK = 1024;
    /**
     * Up to this many rows a row-major B is read in place (no packing). Measured at N = K = 1024: better up to
     * M = 128 (150-180 vs 120-150 GFLOP/s), worse from M = 256 (130 vs 150-190), where the unpacked panel's
     * 4 KB row stride keeps it out of L1.
     */
    static final int DIRECT_B_MAX_M = 128;
    /**
     * Up to this many columns a row-major B, and A whatever alpha is, are read in place: an A panel then serves at
     * most four B panels, too few to repay packing. Measured: M = K = 1024, N = 64 / 128: 160-220 / 200-260 GFLOP/s
     * in place vs 100-150 / 40-90 packed; batched attention 64 x [48x48]x[48x64]: 160-225 vs 70-120.
     */
    static final int DIRECT_MAX_N = 128;
    /**
     * M N K below which one matmul (or a whole batch) runs single-threaded: 2^22 multiply-adds, ~20 us on one core
     * here. It was 2^24 while a Parallel.range woke parked fork-join threads (60-150 us a round trip on this VM);
     * RangeHelpers' spinning helpers split a 2-part region of 70 us parts in 75-80 us. Measured with
     * {@code bench train-step} on 2 threads, 6 runs each: 2^22 gave 8.7-11.7 ms a step at the small report shape
     * (2^24: 8.6-12.8, 2^23: 10.7-14.1) and 102-113 ms at the larger one (2^24: 112-127, 2^23: 109-136), and
     * {@code bench rollout} of 64 rows in groups of 8 at the larger shape decoded 10.5-11.2k tokens/s (2^24:
     * 9.0-9.9k); 2^21 was slower again (11.9-12.3 and 116-120 ms).
     */
    private static final long PARALLEL_MIN_MNK = 1L << 22;

    private CpuMatmul() {}

    /**
     * Packing buffers, reused per thread: the B block (caller) and the A block plus an edge tile (workers), and a run
     * of a mapped half-precision B's bits on their way to floats.
     */
    private static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        short[] bits = new short[0];
        final float[] tile = new float[MR * NR];

        short[] bits(int n) {
            if (bits.length < n) bits = new short[n];
            return bits;
        }

        float[] a(int n) {
            if (a.length < n) a = new float[n];
            return a;
        }

        float[] b(int n) {
            if (b.length < n) b = new float[n];
            return b;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static void matmul(Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        int batch = out.size(0);
        int m = out.size(1);
        int n = out.size(2);
        int k = a.size(2);
        float[] as = Floats.read(a);
        // A half-precision B (a frozen model's weight) is read in place, a few columns or one panel at a time:
        // converting its whole storage would cost a float copy of the weight on every product.
        // A mapped B (a frozen checkpoint's file) is read in place the same way, through a ShortBuffer.
        Object bs = HalfRuns.isHalf(b.dtype()) ? Floats.storage(b).bits() : Floats.read(b);
        boolean bf16 = b.dtype() == DType.BF16;
        // With beta != 0 the old C is an input: Floats.writable gives zeroed scratch for half-precision outputs.
        float[] cs = beta == 0f ? Floats.writable(out) : Floats.read(out);
        int aOff = a.offset(), aBatch = a.stride(0), aRow = a.stride(1), aCol = a.stride(2);
        int bOff = b.offset(), bBatch = b.stride(0), bRow = b.stride(1), bCol = b.stride(2);
        int cOff = out.offset(), cBatch = out.stride(0), ldc = out.stride(1);
        int threads = Parallel.threads();
        // Whole matrices per thread when the batch divides well: no barriers, no shared packed B. Otherwise
        // (batch 1, or 3 matrices on 2 threads) each matmul is itself split over the threads. A batch too small
        // in total to be worth waking the pool runs serially either way.
        boolean enoughWork = (long) batch * m * n * k >= PARALLEL_MIN_MNK;
        boolean overBatch = threads > 1 && enoughWork && batch >= threads && (batch % threads == 0 || batch >= 4 * threads);
        if (overBatch) {
            Parallel.range(batch, 1, (b0, b1) -> {
                for (int bi = b0; bi < b1; bi++) {
                    sgemm(m, n, k, alpha, as, aOff + bi * aBatch, aRow, aCol, bs, bf16, bOff + bi * bBatch, bRow, bCol,
                            beta, cs, cOff + bi * cBatch, ldc, false);
                }
            });
        } else {
            for (int bi = 0; bi < batch; bi++) {
                sgemm(m, n, k, alpha, as, aOff + bi * aBatch, aRow, aCol, bs, bf16, bOff + bi * bBatch, bRow, bCol,
                        beta, cs, cOff + bi * cBatch, ldc, true);
            }
        }
        Floats.commit(out, cs);
    }

    /**
     * C = alpha A B + beta C for one matrix: element (i, p) of A at aOff + i*aRow + p*aCol, (p, j) of B at
     * bOff + p*bRow + j*bCol (any strides), C row-major at cOff with leading dimension ldc. With
     * {@code parallel} false everything runs on the calling thread. B is a float[], or the short[] bits of a
     * BF16 (bf16 true) or F16 matrix, read in place: converted while packing, or a few columns at a time for the
     * dot-product path; the in-place float paths (rows kernel, unpacked B panels) are for float[] only.
     */
    static void sgemm(int m, int n, int k, float alpha,
                      float[] a, int aOff, int aRow, int aCol,
                      Object b, boolean bf16, int bOff, int bRow, int bCol,
                      float beta, float[] c, int cOff, int ldc, boolean parallel) {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) { // no product to add (BLAS semantics: A and B are not read)
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        int threads = parallel && (long) m * n * k >= PARALLEL_MIN_MNK ? Parallel.threads() : 1;
        if (bCol != 1 && bRow == 1
                && (m <= DOT_MAX_M || m <= DOT_MAX_M_LONG_K && k >= DOT_MIN_K && k >= DOT_K_PER_ROW * m)) {
            dotGemm(m, n, k, alpha, a, aOff, aRow, aCol, b, bf16, bOff, bCol, beta, c, cOff, ldc, threads);
            return;
        }
        float[] bFloats = b instanceof float[] f ? f : null; // null: half-precision bits, always packed
        if (bCol == 1 && m <= ROWS_MAX_M && bFloats != null) {
            rowsGemm(m, n, k, alpha, a, aOff, aRow, aCol, bFloats, bOff, bRow, beta, c, cOff, ldc, threads);
            return;
        }
        // Few rows (columns): each B (A) panel would serve only a few tiles, so packing it costs about as much as
        // the product; read it in place instead. Only a partial last panel is still packed, so that vector loads
        // never run past a row of B and the kernel never reads rows of A that do not exist.
        PackedB packed = bFloats != null && bCol == 1 ? PackedB.lookup(bFloats, bOff, bRow, k, n) : null;
        boolean directB = packed == null && bCol == 1 && (m <= DIRECT_B_MAX_M || n <= DIRECT_MAX_N) && bFloats != null;
        boolean directA = !packsA(n, alpha);

        // Row blocks: at most MC rows, a multiple of MR, and (when there is enough M) a multiple of the thread
        // count so the tasks come out even.
        int mBlocks = ceilDiv(m, MC);
        if (threads > 1 && mBlocks % threads != 0 && ceilDiv(m, MR) >= threads * (mBlocks / threads + 1)) {
            mBlocks = (mBlocks / threads + 1) * threads;
        }
        int mc = ceilDiv(ceilDiv(m, mBlocks), MR) * MR;
        mBlocks = ceilDiv(m, mc);
        int mcBlocks = mBlocks;

        Scratch scratch = SCRATCH.get();
        for (int jc = 0; jc < n; jc += NC) {
            int nb = Math.min(NC, n - jc);
            int nPanels = ceilDiv(nb, NR);
            // Too few row blocks to feed every thread (small M): also split the B panels into runs.
            int nRuns = mcBlocks >= threads ? 1 : Math.min(nPanels, ceilDiv(threads, mcBlocks));
            int tasks = mcBlocks * nRuns;
            for (int pc = 0; pc < k; pc += KC) {
                int kb = Math.min(KC, k - pc);
                float bEff = pc == 0 ? beta : 1f; // later K blocks accumulate onto the first one's result
                int bBlock = bOff + pc * bRow + jc * bCol;
                float[] bp;
                int bBase = 0;
                if (packed != null) {
                    bp = packed.panels;
                    bBase = packed.blockStart(jc, pc);
                } else if (directB) {
                    bp = scratch.b(NR * kb);
                    int last = nPanels - 1;
                    if (nb % NR != 0) packB(bFloats, bBlock + last * NR, bRow, bCol, kb, nb - last * NR, 0, 1, bp, 0);
                } else if (threads > 1) {
                    bp = scratch.b(nPanels * NR * kb);
                    Parallel.range(nPanels, Math.max(1, nPanels / (4 * threads)),
                            (p0, p1) -> packB(b, bf16, bBlock, bRow, bCol, kb, nb, p0, p1, bp));
                } else {
                    bp = scratch.b(nPanels * NR * kb);
                    packB(b, bf16, bBlock, bRow, bCol, kb, nb, 0, nPanels, bp);
                }
                int jcF = jc;
                int pcF = pc;
                int bBaseF = bBase;
                Parallel.RangeBody body = (t0, t1) -> {
                    Scratch s = SCRATCH.get();
                    for (int t = t0; t < t1; t++) {
                        int ib = t / nRuns;
                        int run = t % nRuns;
                        int i0 = ib * mc;
                        int mb = Math.min(mc, m - i0);
                        int aBlock = aOff + i0 * aRow + pcF * aCol;
                        float[] ap;
                        if (directA) {
                            ap = s.a(MR * kb);
                            int last = (mb - 1) / MR * MR;
                            if (mb % MR != 0) packA(a, aBlock + last * aRow, aRow, aCol, mb - last, kb, alpha, ap);
                        } else {
                            ap = s.a(ceilDiv(mb, MR) * MR * kb);
                            packA(a, aBlock, aRow, aCol, mb, kb, alpha, ap);
                        }
                        int jp0 = (int) ((long) nPanels * run / nRuns);
                        int jp1 = (int) ((long) nPanels * (run + 1) / nRuns);
                        macroKernel(a, ap, directA ? aBlock : -1, aRow, aCol, mb, alpha, bFloats, bp, bBaseF, directB ? bBlock : -1, bRow,
                                jp0, jp1, nb, kb, c, cOff + i0 * ldc + jcF, ldc, bEff, s.tile);
                    }
                };
                if (threads > 1) Parallel.range(tasks, 1, body);
                else body.run(0, tasks);
            }
        }
    }

    /**
     * Whether the tile path packs A: only to fold an alpha other than 1 into it, in products wider than DIRECT_MAX_N.
     * Packing A into MR-high panels was the textbook step for every product, but the kernel reads A one broadcast at
     * a time, from an MR x KC block that stays in L1 or L2 in either layout, and the packing pass cost more than it
     * saved. Measured on a Zen 4 (one thread, GFLOP/s packed vs in place, each the median of 7 rounds alternated in
     * one JVM): 256^3 96.7 vs 103.0, 1024^3 93.5 vs 95.3, x W^T at M K N = 1024 x 768 x 256 90.7 vs 99.8, a weight
     * gradient g^T x at 768 x 1024 x 256 81.1 vs 96.2, the same at 1024 x 1024 x 256 (a 4 KB stride along K) 88.1 vs 95.5;
     * on two threads 256^3 133 vs 177 and the weight gradient 149 vs 166; and no shape tried was slower. A training
     * step of the larger report model took 4.6% less time on two threads.
     */
    static boolean packsA(int n, float alpha) {
        return alpha != 1f && n > DIRECT_MAX_N;
    }

    /**
     * C block (mb rows from c[co]) for B panels [jp0, jp1) of an nb-column block: every tile, B panel outermost.
     * A panels come packed (and scaled by alpha) from ap, or with aDirect >= 0 straight from a at
     * a[aDirect + ip*MR*aRow], except a partial last panel, which is packed at ap[0]. B panels likewise come
     * packed from bp at bp[bBase + jp*NR*kb], or with bDirect >= 0 straight from row-major b at b[bDirect + jp*NR],
     * except a partial last panel, packed at bp[0].
     */
    private static void macroKernel(float[] a, float[] ap, int aDirect, int aRow, int aCol, int mb, float alpha,
                                    float[] b, float[] bp, int bBase, int bDirect, int bRow, int jp0, int jp1, int nb, int kb,
                                    float[] c, int co, int ldc, float beta, float[] tile) {
        int aPanels = ceilDiv(mb, MR);
        for (int jp = jp0; jp < jp1; jp++) {
            int cols = Math.min(NR, nb - jp * NR);
            boolean bInPlace = bDirect >= 0 && cols == NR;
            float[] bs = bInPlace ? b : bp;
            int bo = bInPlace ? bDirect + jp * NR : bDirect >= 0 ? 0 : bBase + jp * NR * kb;
            int ldb = bInPlace ? bRow : NR;
            for (int ip = 0; ip < aPanels; ip++) {
                int rows = Math.min(MR, mb - ip * MR);
                boolean aInPlace = aDirect >= 0 && rows == MR;
                float[] as = aInPlace ? a : ap;
                int ao = aInPlace ? aDirect + ip * MR * aRow : aDirect >= 0 ? 0 : ip * MR * kb;
                int ars = aInPlace ? aRow : 1;
                int aps = aInPlace ? aCol : MR;
                float tileAlpha = aInPlace ? alpha : 1f; // packed panels already carry alpha
                int ct = co + ip * MR * ldc + jp * NR;
                if (rows == MR && cols == NR && beta == 0f && tileAlpha == 1f) {
                    CpuGemmKernel.tile(kb, as, ao, ars, aps, bs, bo, ldb, c, ct, ldc);
                } else { // edge tile, or C to scale and add to: through the scratch tile
                    CpuGemmKernel.tile(kb, as, ao, ars, aps, bs, bo, ldb, tile, 0, NR);
                    CpuGemmKernel.addTile(tile, c, ct, ldc, rows, cols, tileAlpha, beta);
                }
            }
        }
    }

    /**
     * C = alpha A B + beta C for a few rows of A and a transposed B (column j of B contiguous along K at
     * bOff + j*bCol): dot products along K, 4 rows x 4 columns at a time, B read once per 4 rows of A and never
     * copied. Columns are split over the threads. Half-precision B (short[] bits) is converted four columns at a
     * time into a 4 x K float block (in L1 for any model's K), which then serves every row of A.
     */
    private static void dotGemm(int m, int n, int k, float alpha, float[] a, int aOff, int aRow, int aCol,
                                Object bAny, boolean bf16, int bOff, int bCol, float beta, float[] c, int cOff, int ldc,
                                int threads) {
        float[] ar = a;
        int arOff = aOff;
        int lda = aRow;
        if (aCol != 1) { // A rows must be contiguous along K: copy the few rows (m * k floats) once
            ar = SCRATCH.get().a(m * k);
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) ar[i * k + p] = a[aOff + i * aRow + p * aCol];
            }
            arOff = 0;
            lda = k;
        }
        float[] as = ar;
        int ao = arOff;
        int ld = lda;
        int groups = ceilDiv(n, 4);
        Object half = bAny instanceof float[] ? null : bAny;
        Parallel.RangeBody body = (g0, g1) -> {
            Scratch s = SCRATCH.get();
            float[] out = s.tile;
            float[] b = half != null ? s.b(4 * k) : (float[]) bAny;
            for (int g = g0; g < g1; g++) {
                int j0 = 4 * g;
                int cols = Math.min(4, n - j0);
                // Past the last column, repeat it: same loads, results not stored.
                int b0 = bOff + j0 * bCol;
                int b1 = bOff + (j0 + Math.min(1, cols - 1)) * bCol;
                int b2 = bOff + (j0 + Math.min(2, cols - 1)) * bCol;
                int b3 = bOff + (j0 + Math.min(3, cols - 1)) * bCol;
                if (half != null) { // the four columns as floats, at 0, k, 2k, 3k of the block
                    widenColumns(half, bf16, k, b0, b1, b2, b3, b);
                    b0 = 0;
                    b1 = k;
                    b2 = 2 * k;
                    b3 = 3 * k;
                }
                int i = 0;
                for (; i + 4 <= m; i += 4) {
                    int a0 = ao + i * ld;
                    CpuGemmKernel.dot4x4(k, as, a0, a0 + ld, a0 + 2 * ld, a0 + 3 * ld, b, b0, b1, b2, b3, out);
                    for (int r = 0; r < 4; r++) storeDots(out, 4 * r, c, cOff + (i + r) * ldc + j0, cols, alpha, beta);
                }
                for (; i < m; i++) {
                    CpuGemmKernel.dot1x4(k, as, ao + i * ld, b, b0, b1, b2, b3, out);
                    storeDots(out, 0, c, cOff + i * ldc + j0, cols, alpha, beta);
                }
            }
        };
        if (threads > 1) Parallel.range(groups, Math.max(1, groups / (4 * threads)), body);
        else body.run(0, groups);
    }

    /**
     * C = alpha A B + beta C for a few rows of A and a row-major B, in axpy order: for each run of columns,
     * C rows are scaled by beta, then four rows of B at a time are folded into every C row. B is read once, as
     * contiguous rows; column runs are split over the threads.
     */
    private static void rowsGemm(int m, int n, int k, float alpha, float[] a, int aOff, int aRow, int aCol,
                                 float[] b, int bOff, int bRow, float beta, float[] c, int cOff, int ldc, int threads) {
        int width = ROWS_CHUNK;
        if (threads > 1) { // at least two runs per thread, each a whole number of vectors
            int l = CpuGemmKernel.L;
            width = Math.min(width, Math.max(l, ceilDiv(ceilDiv(n, 2 * threads), l) * l));
        }
        int chunks = ceilDiv(n, width);
        int w = width;
        Parallel.RangeBody body = (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                int j0 = ch * w;
                int len = Math.min(w, n - j0);
                scale(m, len, beta, c, cOff + j0, ldc);
                int p = 0;
                for (; p + 4 <= k; p += 4) {
                    int bo = bOff + p * bRow + j0;
                    for (int i = 0; i < m; i++) {
                        int ai = aOff + i * aRow + p * aCol;
                        CpuGemmKernel.axpy4(c, cOff + i * ldc + j0, b, bo, bRow, alpha * a[ai], alpha * a[ai + aCol],
                                alpha * a[ai + 2 * aCol], alpha * a[ai + 3 * aCol], len);
                    }
                }
                for (; p < k; p++) {
                    for (int i = 0; i < m; i++) {
                        float x = alpha * a[aOff + i * aRow + p * aCol];
                        CpuGemmKernel.axpy1(c, cOff + i * ldc + j0, b, bOff + p * bRow + j0, x, len);
                    }
                }
            }
        };
        if (threads > 1) Parallel.range(chunks, 1, body);
        else body.run(0, chunks);
    }

    private static void storeDots(float[] dots, int d, float[] c, int co, int cols, float alpha, float beta) {
        for (int q = 0; q < cols; q++) {
            c[co + q] = beta == 0f ? alpha * dots[d + q] : alpha * dots[d + q] + beta * c[co + q];
        }
    }

    /**
     * Packs B panels [p0, p1) of the kb x nb block at b[bo] (element (p, j) at bo + p*bRow + j*bCol): panel jp
     * holds columns jp*NR.. as kb rows of NR floats at dst[jp*NR*kb], zero-padded past nb.
     */
    private static void packB(Object b, boolean bf16, int bo, int bRow, int bCol, int kb, int nb, int p0, int p1, float[] dst) {
        if (b instanceof float[] f) packB(f, bo, bRow, bCol, kb, nb, p0, p1, dst, 0);
        else packHalfB(b, bf16, bo, bRow, bCol, kb, nb, p0, p1, dst);
    }

    /** {@link #packB} of BF16 (bf16) or F16 bits (short[] or a mapped ShortBuffer), converted to float on the way into the panels. */
    private static void packHalfB(Object b, boolean bf16, int bo, int bRow, int bCol, int kb, int nb, int p0, int p1,
                                  float[] dst) {
        for (int jp = p0; jp < p1; jp++) {
            int j0 = jp * NR;
            int cols = Math.min(NR, nb - j0);
            int d = jp * NR * kb;
            if (bCol == 1) { // row-major: each step's NR columns are contiguous in B
                for (int p = 0; p < kb; p++) {
                    int at = d + p * NR;
                    toFloats(b, bf16, bo + p * bRow + j0, dst, at, cols);
                    if (cols < NR) Arrays.fill(dst, at + cols, at + NR, 0f);
                }
            } else { // transposed view or any strides: walk each column of B along K
                for (int j = 0; j < cols; j++) {
                    int src = bo + (j0 + j) * bCol;
                    for (int p = 0; p < kb; p++) dst[d + p * NR + j] = HalfRuns.toFloat(bitAt(b, src + p * bRow), bf16);
                }
                for (int j = cols; j < NR; j++) {
                    for (int p = 0; p < kb; p++) dst[d + p * NR + j] = 0f;
                }
            }
        }
    }

    /**
     * Columns c0..c3 of a half-precision B (each contiguous along K) as floats at 0, k, 2k, 3k of block. One call site
     * for the conversion loop, so the dot-product task that inlines it stays small: with four inlined copies next to
     * dot4x4, C2 compiled the task with its vectors boxed in some runs (decode 3x slower, dot4x4 in FloatVector.stOp).
     */
    private static void widenColumns(Object half, boolean bf16, int k, int c0, int c1, int c2, int c3, float[] block) {
        for (int q = 0; q < 4; q++) {
            int from = q == 0 ? c0 : q == 1 ? c1 : q == 2 ? c2 : c3;
            toFloats(half, bf16, from, block, q * k, k);
        }
    }

    /**
     * dst[at + i] = the float of the half-precision bits b[from + i], i < n: in lanes for BF16. The bits of a mapped
     * file (a ShortBuffer) come through a per-thread run of shorts first.
     */
    private static void toFloats(Object b, boolean bf16, int from, float[] dst, int at, int n) {
        short[] bits = b instanceof short[] h ? h : null;
        int start = from;
        if (bits == null) {
            bits = SCRATCH.get().bits(n);
            ((ShortBuffer) b).get(from, bits, 0, n);
            start = 0;
        }
        if (bf16) LaneHalf.bf16ToFloats(bits, start, dst, at, n);
        else HalfRuns.toFloats(bits, start, 1, false, dst, at, n);
    }

    /** The half-precision bits at i of a short[] or a mapped ShortBuffer. */
    private static short bitAt(Object b, int i) {
        return b instanceof short[] h ? h[i] : ((ShortBuffer) b).get(i);
    }

    /** The kb x nb row-major block at b[bo] as {@link #packB} lays it out, its panels [p0, p1), at dst[at]. */
    static void packRowMajorB(float[] b, int bo, int bRow, int kb, int nb, int p0, int p1, float[] dst, int at) {
        packB(b, bo, bRow, 1, kb, nb, p0, p1, dst, at);
    }

    private static void packB(float[] b, int bo, int bRow, int bCol, int kb, int nb, int p0, int p1, float[] dst, int at) {
        for (int jp = p0; jp < p1; jp++) {
            int j0 = jp * NR;
            int cols = Math.min(NR, nb - j0);
            int d = at + jp * NR * kb;
            if (bCol == 1) { // row-major: each step's NR columns are contiguous in B
                for (int p = 0; p < kb; p++) {
                    int src = bo + p * bRow + j0;
                    System.arraycopy(b, src, dst, d + p * NR, cols);
                    if (cols < NR) Arrays.fill(dst, d + p * NR + cols, d + (p + 1) * NR, 0f);
                }
            } else { // transposed view (bRow == 1) or any strides: walk each column of B along K
                for (int j = 0; j < cols; j++) {
                    int src = bo + (j0 + j) * bCol;
                    for (int p = 0; p < kb; p++) dst[d + p * NR + j] = b[src + p * bRow];
                }
                for (int j = cols; j < NR; j++) {
                    for (int p = 0; p < kb; p++) dst[d + p * NR + j] = 0f;
                }
            }
        }
    }

    /**
     * Packs alpha times the mb x kb block at a[ao] (element (i, p) at ao + i*aRow + p*aCol) into MR-high panels:
     * panel ip holds rows ip*MR.. as kb columns of MR floats at dst[ip*MR*kb], zero-padded past mb.
     */
    private static void packA(float[] a, int ao, int aRow, int aCol, int mb, int kb, float alpha, float[] dst) {
        int panels = ceilDiv(mb, MR);
        for (int ip = 0; ip < panels; ip++) {
            int i0 = ip * MR;
            int rows = Math.min(MR, mb - i0);
            int d = ip * MR * kb;
            if (aCol == 1 && aRow != 1) { // row-major: read each row along K, write it down the panel
                for (int r = 0; r < rows; r++) {
                    int src = ao + (i0 + r) * aRow;
                    for (int p = 0; p < kb; p++) dst[d + p * MR + r] = alpha * a[src + p];
                }
            } else { // transposed view (aRow == 1): each step's MR rows are contiguous in A
                for (int p = 0; p < kb; p++) {
                    int src = ao + i0 * aRow + p * aCol;
                    for (int r = 0; r < rows; r++) dst[d + p * MR + r] = alpha * a[src + r * aRow];
                }
            }
            if (rows < MR) {
                for (int p = 0; p < kb; p++) {
                    for (int r = rows; r < MR; r++) dst[d + p * MR + r] = 0f;
                }
            }
        }
    }

    /** C = beta C (C = 0 when beta == 0, whatever C held). */
    private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            if (beta == 0f) Arrays.fill(c, row, row + n, 0f);
            else if (beta != 1f) for (int j = 0; j < n; j++) c[row + j] *= beta;
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}

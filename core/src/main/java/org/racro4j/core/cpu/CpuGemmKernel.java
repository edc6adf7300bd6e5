package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SGEMM micro-kernel: one MR x NR tile of C from packed panels of A and B,
 *
 * <pre>
 *   C[0:MR, 0:NR] = sum over p < kc of  A_panel[p][0:MR] (outer) B_panel[p][0:NR]   (+ beta C)
 * </pre>
 *
 * with MR = 8 rows and NR = 2 vectors (32 floats with 512-bit vectors). The 16 accumulators are explicit
 * FloatVector locals so C2 keeps them in registers (16 + 2 B vectors + 1 broadcast = 19 of the 32 zmm
 * registers). Each step p loads 2 B vectors and broadcasts 8 A values for 16 FMAs: the FMA pipes, not the
 * loads, are the limit. Measured on the Zen 5 dev box with kc = 256 and the panels in cache, 8x2, 12x2, 8x3 and
 * 4x4 all ran at 240-256 GFLOP/s on one core (about the 2-FMA/cycle peak), 6x2 slightly lower; 8x2 won because
 * MR = 8 and NR = 32 divide the power-of-two sizes of real models, so fewer tiles are padding.
 *
 * <p>Panel layouts (written by {@link CpuMatmul}'s packing): A panel element (row r, step p) at
 * {@code a[ao + p*MR + r]}, already scaled by alpha; B panel element (step p, column j) at
 * {@code b[bo + p*NR + j]}. Edge panels are zero-padded, so the kernel always computes a full tile and only
 * the store looks at the real tile size.
 */
final class CpuGemmKernel {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final int MR = 8;
    static final int NR = 2 * L;

    private CpuGemmKernel() {}

    /**
     * dst tile = the kc-step product of the A panel at ao and the B panel at bo: MR rows of NR floats, row r at
     * dst[doff + r*ldd]. The product is written, not added: the caller either points dst straight at C (a full
     * tile with beta == 0) or at MR x NR scratch that {@link #addTile} then folds into C. Keeping the
     * beta cases out of this method keeps it small enough for C2 to inline every vector operation (a version
     * with three store variants per row hit C2's node-count inlining cutoff and boxed its vectors: 10x slower).
     */
    static void tile(int kc, float[] a, int ao, float[] b, int bo, float[] dst, int doff, int ldd) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        // Index expressions are written as (base + p * stride) so C2 can hoist the array bounds checks out of
        // the loop (range-check elimination works on the loop counter, not on separately bumped pointers).
        for (int p = 0; p < kc; p++) {
            int bp = bo + p * NR;
            int ap = ao + p * MR;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + L);
            FloatVector x = FloatVector.broadcast(F, a[ap]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[ap + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[ap + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[ap + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, a[ap + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, a[ap + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            x = FloatVector.broadcast(F, a[ap + 6]);
            c60 = b0.fma(x, c60);
            c61 = b1.fma(x, c61);
            x = FloatVector.broadcast(F, a[ap + 7]);
            c70 = b0.fma(x, c70);
            c71 = b1.fma(x, c71);
        }
        c00.intoArray(dst, doff);
        c01.intoArray(dst, doff + L);
        c10.intoArray(dst, doff + ldd);
        c11.intoArray(dst, doff + ldd + L);
        c20.intoArray(dst, doff + 2 * ldd);
        c21.intoArray(dst, doff + 2 * ldd + L);
        c30.intoArray(dst, doff + 3 * ldd);
        c31.intoArray(dst, doff + 3 * ldd + L);
        c40.intoArray(dst, doff + 4 * ldd);
        c41.intoArray(dst, doff + 4 * ldd + L);
        c50.intoArray(dst, doff + 5 * ldd);
        c51.intoArray(dst, doff + 5 * ldd + L);
        c60.intoArray(dst, doff + 6 * ldd);
        c61.intoArray(dst, doff + 6 * ldd + L);
        c70.intoArray(dst, doff + 7 * ldd);
        c71.intoArray(dst, doff + 7 * ldd + L);
    }

    /**
     * C[0:rows, 0:cols] = tile + beta C, from an MR x NR tile written by {@link #tile}; C at c[co] with leading
     * dimension ldc. beta == 0 does not read C (it may hold garbage, even NaN).
     */
    static void addTile(float[] tile, float[] c, int co, int ldc, int rows, int cols, float beta) {
        if (cols == NR) {
            FloatVector bv = FloatVector.broadcast(F, beta);
            for (int r = 0; r < rows; r++) {
                int row = co + r * ldc;
                for (int j = 0; j < NR; j += L) {
                    FloatVector t = FloatVector.fromArray(F, tile, r * NR + j);
                    if (beta != 0f) t = FloatVector.fromArray(F, c, row + j).fma(bv, t);
                    t.intoArray(c, row + j);
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            int row = co + r * ldc;
            int t = r * NR;
            if (beta == 0f) {
                for (int j = 0; j < cols; j++) c[row + j] = tile[t + j];
            } else {
                for (int j = 0; j < cols; j++) c[row + j] = tile[t + j] + beta * c[row + j];
            }
        }
    }
}

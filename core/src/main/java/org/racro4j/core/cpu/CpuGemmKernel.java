package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SGEMM micro-kernels. The main one, {@link #tile}, computes one MR x NR tile of C from panels of A and B,
 *
 * <pre>
 *   C[0:MR, 0:NR] = sum over p < kc of  A_panel[p][0:MR] (outer) B_panel[p][0:NR]
 * </pre>
 *
 * with MR = 8 rows and NR = 2 vectors (32 floats with 512-bit vectors). The 16 accumulators are explicit
 * FloatVector locals so C2 keeps them in registers (16 + 2 B vectors + 1 broadcast = 19 of the 32 zmm
 * registers). Each step p loads 2 B vectors and broadcasts 8 A values for 16 FMAs: the FMA pipes, not the
 * loads, are the limit. Measured on the Zen 5 dev box with kc = 256 and the panels in cache, 8x2, 12x2, 8x3 and
 * 4x4 all ran at 240-256 GFLOP/s on one core (about the 2-FMA/cycle peak), 6x2 slightly lower; 8x2 won because
 * MR = 8 and NR = 32 divide the power-of-two sizes of real models, so fewer tiles are padding. (With AVX2's 16
 * registers the tile spills a few values; it stays correct for any vector size, but is tuned for AVX-512.)
 *
 * <p>Packed panel layouts (written by {@link CpuMatmul}'s packing): A panel element (row r, step p) at
 * {@code a[ao + p*MR + r]}, already scaled by alpha; B panel element (step p, column j) at
 * {@code b[bo + p*NR + j]}. Edge panels are zero-padded, so the kernel always computes a full tile and only
 * the store looks at the real tile size. Small problems may pass unpacked operands instead (see {@link #tile}).
 *
 * <p>For a few rows of A there are two kernels that never pack: {@link #dot4x4} / {@link #dot1x4} (transposed
 * B, dot products along K) and {@link #axpy4} / {@link #axpy1} (row-major B, streamed row by row).
 */
final class CpuGemmKernel {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final int MR = 8;
    static final int NR = 2 * L;

    private CpuGemmKernel() {}

    /**
     * dst tile = the kc-step product of the A panel at ao and the B panel at bo: MR rows of NR floats, row r at
     * dst[doff + r*ldd]. Element (r, p) of the A panel is a[ao + r*ars + p*aps]: (1, MR) for a packed panel, or
     * the strides of A itself when it is read in place. Step p of the B panel is the NR floats at b[bo + p*ldb]:
     * ldb = NR for a packed panel, or the row stride of a row-major B read in place. (In place is for small
     * problems, where a panel serves too few tiles for packing to pay; the strides cost nothing measurable.)
     *
     * <p>The product is written, not added: the caller either points dst straight at C (a full tile with
     * alpha == 1 and beta == 0) or at MR x NR scratch that {@link #addTile} then folds into C. Keeping the
     * alpha/beta cases out of this method keeps it small enough for C2 to inline every vector operation (a
     * version with three store variants per row hit C2's node-count inlining cutoff and boxed its vectors:
     * 10x slower).
     */
    static void tile(int kc, float[] a, int ao, int ars, int aps, float[] b, int bo, int ldb,
                     float[] dst, int doff, int ldd) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        int a0 = ao, a1 = ao + ars, a2 = ao + 2 * ars, a3 = ao + 3 * ars;
        int a4 = ao + 4 * ars, a5 = ao + 5 * ars, a6 = ao + 6 * ars, a7 = ao + 7 * ars;
        // Index expressions are written as (base + p * stride) so C2 can hoist the array bounds checks out of
        // the loop (range-check elimination works on the loop counter, not on separately bumped pointers).
        for (int p = 0; p < kc; p++) {
            int bp = bo + p * ldb;
            int ap = p * aps;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + L);
            FloatVector x = FloatVector.broadcast(F, a[a0 + ap]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[a2 + ap]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[a3 + ap]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, a[a4 + ap]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, a[a5 + ap]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            x = FloatVector.broadcast(F, a[a6 + ap]);
            c60 = b0.fma(x, c60);
            c61 = b1.fma(x, c61);
            x = FloatVector.broadcast(F, a[a7 + ap]);
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
     * C[0:rows, 0:cols] = alpha tile + beta C, from an MR x NR tile written by {@link #tile}; C at c[co] with
     * leading dimension ldc. beta == 0 does not read C (it may hold garbage, even NaN).
     */
    static void addTile(float[] tile, float[] c, int co, int ldc, int rows, int cols, float alpha, float beta) {
        // Whole vectors while they fit in the row (all of it for an inner tile), then single floats.
        FloatVector av = FloatVector.broadcast(F, alpha);
        FloatVector bv = FloatVector.broadcast(F, beta);
        int vecCols = cols / L * L;
        for (int r = 0; r < rows; r++) {
            int row = co + r * ldc;
            int t = r * NR;
            for (int j = 0; j < vecCols; j += L) {
                FloatVector v = FloatVector.fromArray(F, tile, t + j);
                if (alpha != 1f) v = v.mul(av);
                if (beta != 0f) v = FloatVector.fromArray(F, c, row + j).fma(bv, v);
                v.intoArray(c, row + j);
            }
            for (int j = vecCols; j < cols; j++) {
                float v = alpha * tile[t + j];
                c[row + j] = beta == 0f ? v : v + beta * c[row + j];
            }
        }
    }

    /**
     * Dot-product micro-kernel for a transposed B and few rows of A (x W^T at decode time), where packing B
     * would cost more than the product: out[4r + q] = sum_{p<k} a[ar + p] b[bq + p] for 4 rows of A at
     * a0..a3 and 4 rows of B^T (columns of C) at b0..b3, all contiguous along K. 16 accumulators; each step
     * loads 4 + 4 vectors for 16 FMAs, and the lanes are summed once at the end. out needs room for 16 vectors
     * (an MR x NR tile has exactly that): the accumulators pass through it on the way to their sums.
     */
    static void dot4x4(int k, float[] a, int a0, int a1, int a2, int a3,
                       float[] b, int b0, int b1, int b2, int b3, float[] out) {
        FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F);
        FloatVector s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
        FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F);
        FloatVector s12 = FloatVector.zero(F), s13 = FloatVector.zero(F);
        FloatVector s20 = FloatVector.zero(F), s21 = FloatVector.zero(F);
        FloatVector s22 = FloatVector.zero(F), s23 = FloatVector.zero(F);
        FloatVector s30 = FloatVector.zero(F), s31 = FloatVector.zero(F);
        FloatVector s32 = FloatVector.zero(F), s33 = FloatVector.zero(F);
        int kv = F.loopBound(k);
        for (int p = 0; p < kv; p += L) {
            FloatVector y0 = FloatVector.fromArray(F, b, b0 + p);
            FloatVector y1 = FloatVector.fromArray(F, b, b1 + p);
            FloatVector y2 = FloatVector.fromArray(F, b, b2 + p);
            FloatVector y3 = FloatVector.fromArray(F, b, b3 + p);
            FloatVector x = FloatVector.fromArray(F, a, a0 + p);
            s00 = x.fma(y0, s00);
            s01 = x.fma(y1, s01);
            s02 = x.fma(y2, s02);
            s03 = x.fma(y3, s03);
            x = FloatVector.fromArray(F, a, a1 + p);
            s10 = x.fma(y0, s10);
            s11 = x.fma(y1, s11);
            s12 = x.fma(y2, s12);
            s13 = x.fma(y3, s13);
            x = FloatVector.fromArray(F, a, a2 + p);
            s20 = x.fma(y0, s20);
            s21 = x.fma(y1, s21);
            s22 = x.fma(y2, s22);
            s23 = x.fma(y3, s23);
            x = FloatVector.fromArray(F, a, a3 + p);
            s30 = x.fma(y0, s30);
            s31 = x.fma(y1, s31);
            s32 = x.fma(y2, s32);
            s33 = x.fma(y3, s33);
        }
        // Lanes summed left to right (Lanes.sum), through out itself: it has room for all 16 accumulators, and
        // storing them there costs nothing where an array per sum showed up in decode profiles.
        s00.intoArray(out, 0 * L);
        s01.intoArray(out, 1 * L);
        s02.intoArray(out, 2 * L);
        s03.intoArray(out, 3 * L);
        s10.intoArray(out, 4 * L);
        s11.intoArray(out, 5 * L);
        s12.intoArray(out, 6 * L);
        s13.intoArray(out, 7 * L);
        s20.intoArray(out, 8 * L);
        s21.intoArray(out, 9 * L);
        s22.intoArray(out, 10 * L);
        s23.intoArray(out, 11 * L);
        s30.intoArray(out, 12 * L);
        s31.intoArray(out, 13 * L);
        s32.intoArray(out, 14 * L);
        s33.intoArray(out, 15 * L);
        for (int q = 0; q < 16; q++) out[q] = (float) Lanes.sum(out, q * L);
        for (int p = kv; p < k; p++) { // K not a multiple of the vector length
            float x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
            float y0 = b[b0 + p], y1 = b[b1 + p], y2 = b[b2 + p], y3 = b[b3 + p];
            out[0] += x0 * y0; out[1] += x0 * y1; out[2] += x0 * y2; out[3] += x0 * y3;
            out[4] += x1 * y0; out[5] += x1 * y1; out[6] += x1 * y2; out[7] += x1 * y3;
            out[8] += x2 * y0; out[9] += x2 * y1; out[10] += x2 * y2; out[11] += x2 * y3;
            out[12] += x3 * y0; out[13] += x3 * y1; out[14] += x3 * y2; out[15] += x3 * y3;
        }
    }

    /** {@link #dot4x4} for a single row of A: out[q] = sum_{p<k} a[a0 + p] b[bq + p], q < 4 (out: room for 4 vectors). */
    static void dot1x4(int k, float[] a, int a0, float[] b, int b0, int b1, int b2, int b3, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int kv = F.loopBound(k);
        for (int p = 0; p < kv; p += L) {
            FloatVector x = FloatVector.fromArray(F, a, a0 + p);
            s0 = x.fma(FloatVector.fromArray(F, b, b0 + p), s0);
            s1 = x.fma(FloatVector.fromArray(F, b, b1 + p), s1);
            s2 = x.fma(FloatVector.fromArray(F, b, b2 + p), s2);
            s3 = x.fma(FloatVector.fromArray(F, b, b3 + p), s3);
        }
        s0.intoArray(out, 0 * L);
        s1.intoArray(out, 1 * L);
        s2.intoArray(out, 2 * L);
        s3.intoArray(out, 3 * L);
        for (int q = 0; q < 4; q++) out[q] = (float) Lanes.sum(out, q * L);
        for (int p = kv; p < k; p++) {
            float x = a[a0 + p];
            out[0] += x * b[b0 + p];
            out[1] += x * b[b1 + p];
            out[2] += x * b[b2 + p];
            out[3] += x * b[b3 + p];
        }
    }

    /**
     * Row kernel for a row-major B and one or a few rows of A (x W at decode time), where B is streamed once:
     * c[co + j] += x0 b[b0 + j] + x1 b[b0 + ldb + j] + x2 b[b0 + 2 ldb + j] + x3 b[b0 + 3 ldb + j] for j < len.
     * Folding four rows of B into each pass reads and writes the C row a quarter as often as a plain axpy,
     * and reads B as four contiguous streams, which the hardware prefetchers follow.
     */
    static void axpy4(float[] c, int co, float[] b, int b0, int ldb, float x0, float x1, float x2, float x3, int len) {
        FloatVector v0 = FloatVector.broadcast(F, x0);
        FloatVector v1 = FloatVector.broadcast(F, x1);
        FloatVector v2 = FloatVector.broadcast(F, x2);
        FloatVector v3 = FloatVector.broadcast(F, x3);
        int b1 = b0 + ldb, b2 = b0 + 2 * ldb, b3 = b0 + 3 * ldb;
        int jv = F.loopBound(len);
        for (int j = 0; j < jv; j += L) {
            FloatVector acc = FloatVector.fromArray(F, c, co + j);
            acc = FloatVector.fromArray(F, b, b0 + j).fma(v0, acc);
            acc = FloatVector.fromArray(F, b, b1 + j).fma(v1, acc);
            acc = FloatVector.fromArray(F, b, b2 + j).fma(v2, acc);
            acc = FloatVector.fromArray(F, b, b3 + j).fma(v3, acc);
            acc.intoArray(c, co + j);
        }
        for (int j = jv; j < len; j++) {
            c[co + j] += x0 * b[b0 + j] + x1 * b[b1 + j] + x2 * b[b2 + j] + x3 * b[b3 + j];
        }
    }

    /** c[co + j] += x b[b0 + j] for j < len: the last K % 4 rows of B in {@link #axpy4}'s loop. */
    static void axpy1(float[] c, int co, float[] b, int b0, float x, int len) {
        FloatVector v = FloatVector.broadcast(F, x);
        int jv = F.loopBound(len);
        for (int j = 0; j < jv; j += L) {
            FloatVector.fromArray(F, b, b0 + j).fma(v, FloatVector.fromArray(F, c, co + j)).intoArray(c, co + j);
        }
        for (int j = jv; j < len; j++) c[co + j] += x * b[b0 + j];
    }
}

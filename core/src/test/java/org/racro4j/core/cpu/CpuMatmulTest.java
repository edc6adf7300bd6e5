package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.racro4j.core.DType;
import org.racro4j.core.Scope;
import org.racro4j.core.ScopePerTest;
import org.racro4j.core.Tensor;

/**
 * CpuMatmul against a float64 reference written here, on seeded random inputs that are never zero, over awkward
 * sizes (1, primes, one past a tile or block edge), every operand layout the backend contract allows, stride-0
 * batch broadcast, alpha/beta, BF16/F16 storage and the public {@link Tensor#matmul}.
 *
 * <p>Tolerance. Each output is a length-K dot product (plus beta c). Whatever the summation order -- blocked
 * over K, FMA, split across threads -- the float32 result obeys the classic bound (Higham, Accuracy and
 * Stability, eq. 3.5) |c - ref| <= gamma * (|alpha| sum_p |a_ip| |b_pj| + |beta| |c0|) with gamma = (K + 3) u,
 * u = 2^-24 (the +3 covers the rounding of the alpha scaling, of beta*c0 and of the final add). So a correct kernel
 * can never fail it, while a real bug can't hide under it: dropping, duplicating or misplacing a single term
 * changes c by |a_ip b_pj|, on average scale / K and at least scale / (9 K) since |inputs| lie in [0.25, 1.25).
 * That is 2^24 / (9 K (K + 3)) times the bound or more: >= 7x for K <= 513, >= 1.7x at K = 1027 (the largest
 * K here), and typically 9x those (checked by {@link #theCheckCatchesOneWrongTerm}). For half-precision storage
 * the output is also rounded once to 8 (BF16) or 11 (F16) significant bits, which adds 2^-8 or 2^-11 of |ref|.
 */
@ExtendWith(ScopePerTest.class)
class CpuMatmulTest {
    private static final int[] SIZES = {1, 3, 7, 16, 17, 33, 64, 65, 130, 257};
    private static final double U = 0x1p-24;

    // ------------------------------------------------------------------------------------------ helpers

    /** Values in +-[0.25, 1.25): random signs and magnitudes, never zero, so every term counts. */
    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (r.nextBoolean() ? 1 : -1) * (0.25f + r.nextFloat());
        return x;
    }

    /** A [batch, rows, cols] operand, row-major or (transposed) the transposed view of a [batch, cols, rows]. */
    private static Tensor operand(Random r, int batch, int rows, int cols, boolean transposed) {
        float[] x = random(r, batch * rows * cols);
        return transposed ? Tensor.of(x, batch, cols, rows).transpose(1, 2) : Tensor.of(x, batch, rows, cols);
    }

    /** Reference: ref = alpha a b + beta c0 in float64, and the error scale |alpha| |a| |b| + |beta| |c0|. */
    private record Reference(double[] value, double[] scale) {}

    private static Reference reference(float[] a, float[] b, float[] c0, int batch, int m, int k, int n,
                                       double alpha, double beta) {
        double[] value = new double[batch * m * n];
        double[] scale = new double[batch * m * n];
        double[] row = new double[n];
        double[] abs = new double[n];
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(row, 0);
                java.util.Arrays.fill(abs, 0);
                for (int p = 0; p < k; p++) {
                    double av = a[(bi * m + i) * k + p];
                    int bo = (bi * k + p) * n;
                    for (int j = 0; j < n; j++) {
                        row[j] += av * b[bo + j];
                        abs[j] += Math.abs(av * b[bo + j]);
                    }
                }
                for (int j = 0; j < n; j++) {
                    int o = (bi * m + i) * n + j;
                    double c = c0 == null ? 0 : c0[o];
                    value[o] = alpha * row[j] + (beta == 0 ? 0 : beta * c);
                    scale[o] = Math.abs(alpha) * abs[j] + Math.abs(beta) * Math.abs(c);
                }
            }
        }
        return new Reference(value, scale);
    }

    /** Fails unless every element of got is within the rounding bound of the reference (see class comment). */
    private static void check(String what, float[] got, Reference ref, int k, double storageRel) {
        assertEquals(ref.value.length, got.length, what + ": element count");
        double gamma = (k + 3) * U;
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - ref.value[i]);
            double tol = gamma * ref.scale[i] + storageRel * Math.abs(ref.value[i]) + 1e-30;
            if (!(err <= tol)) { // also catches NaN
                fail(String.format("%s: element %d is %s, expected %s (error %.3g > tolerance %.3g)",
                        what, i, got[i], ref.value[i], err, tol));
            }
        }
    }

    /** out = alpha a b + beta out through the backend primitive, checked against the reference. */
    private static void checkBackend(String what, Tensor a, Tensor b, float alpha, float beta, Random r) {
        int batch = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
        float[] c0 = random(r, batch * m * n);
        Tensor out = Tensor.of(c0, batch, m, n);
        CpuBackend.INSTANCE.matmul(a, b, out, alpha, beta);
        Reference ref = reference(a.toFloatArray(), b.toFloatArray(), c0, batch, m, k, n, alpha, beta);
        check(what, out.toFloatArray(), ref, k, 0);
    }

    private static String dims(int batch, int m, int k, int n) {
        return "[" + batch + "," + m + "," + k + "]x[" + batch + "," + k + "," + n + "]";
    }

    // ------------------------------------------------------------------------------------------ tests

    @Test
    void theCheckCatchesOneWrongTerm() {
        // The tolerance must be tight enough to see a single dropped product term at the largest K tested.
        Random r = new Random(1);
        int m = 3, k = 2 * CpuMatmul.KC + 3, n = 5;
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        Reference ref = reference(a, b, null, 1, m, k, n, 1, 0);
        float[] dropped = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 1; p < k; p++) s += (double) a[i * k + p] * b[p * n + j]; // term p = 0 missing
                dropped[i * n + j] = (float) s;
            }
        }
        assertThrows(AssertionError.class, () -> check("dropped term", dropped, ref, k, 0));
        float[] exact = new float[m * n];
        for (int i = 0; i < exact.length; i++) exact[i] = (float) ref.value[i];
        check("exact", exact, ref, k, 0);
    }

    @Test
    void everySizeCombinationRowMajor() {
        Random r = new Random(42);
        for (int m : SIZES) {
            for (int n : SIZES) {
                for (int k : SIZES) {
                    try (Scope s = Scope.open()) {
                        checkBackend("row-major " + dims(1, m, k, n), operand(r, 1, m, k, false), operand(r, 1, k, n, false), 1f, 0f, r);
                    }
                }
            }
        }
    }

    @Test
    void transposedOperands() {
        Random r = new Random(7);
        int[] sizes = {1, 3, 7, 17, 33, 65, 257};
        for (int layout = 1; layout < 4; layout++) {
            boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0;
            for (int m : sizes) {
                for (int n : sizes) {
                    for (int k : sizes) {
                        try (Scope s = Scope.open()) {
                            Tensor a = operand(r, 1, m, k, ta);
                            Tensor b = operand(r, 1, k, n, tb);
                            assertEquals(1, a.stride(ta ? 1 : 2));
                            assertEquals(1, b.stride(tb ? 1 : 2));
                            checkBackend((ta ? "A^T " : "A ") + (tb ? "B^T " : "B ") + dims(1, m, k, n), a, b, 1f, 0f, r);
                        }
                    }
                }
            }
        }
    }

    @Test
    void alphaAndBetaIncludingSeveralKBlocks() {
        // K > KC spans more than one K block: beta must be applied exactly once, alpha on every block.
        Random r = new Random(11);
        int kc = CpuMatmul.KC;
        int[][] shapes = {{7, 1, 3}, {33, 257, 65}, {130, kc + 1, 17}, {257, kc + 1, 130}, {9, 2 * kc - 24, 200}, {70, 2 * kc + 3, 300},
            {1, 600, 70}, {4, 9, 1000}, {3, 1030, 5}};
        float[][] alphaBeta = {{0.5f, 0f}, {-1.5f, 0.25f}, {2f, 1f}, {1f, -1f}, {0f, 0.5f}, {0f, 0f}, {0.75f, 3f}};
        for (int[] s : shapes) {
            for (float[] ab : alphaBeta) {
                for (int layout = 0; layout < 4; layout++) {
                    try (Scope sc = Scope.open()) {
                        Tensor a = operand(r, 1, s[0], s[1], (layout & 1) != 0);
                        Tensor b = operand(r, 1, s[1], s[2], (layout & 2) != 0);
                        checkBackend("alpha " + ab[0] + " beta " + ab[1] + " layout " + layout + " " + dims(1, s[0], s[1], s[2]),
                                a, b, ab[0], ab[1], r);
                    }
                }
            }
        }
    }

    @Test
    void betaZeroIgnoresGarbageInOut() {
        Random r = new Random(3);
        for (int[] s : new int[][] {{17, 300, 33}, {64, 64, 64}, {3, 0, 5}}) {
            Tensor a = operand(r, 1, s[0], s[1], false);
            Tensor b = operand(r, 1, s[1], s[2], true);
            Tensor out = Tensor.full(Float.NaN, 1, s[0], s[2]);
            CpuBackend.INSTANCE.matmul(a, b, out, 1f, 0f);
            Reference ref = reference(a.toFloatArray(), b.toFloatArray(), null, 1, s[0], s[1], s[2], 1, 0);
            check("beta 0 over NaN " + dims(1, s[0], s[1], s[2]), out.toFloatArray(), ref, s[1], 0);
        }
    }

    @Test
    void batchesWithStrideZeroBroadcast() {
        Random r = new Random(5);
        // batch 4 takes the whole-matrix-per-thread path, 3 and 5 the split-each-matrix path on two threads.
        for (int batch : new int[] {1, 2, 3, 4, 5, 16}) {
            for (int[] s : new int[][] {{33, 65, 17}, {48, 64, 48}, {130, 257, 7}}) {
                int m = s[0], k = s[1], n = s[2];
                try (Scope sc = Scope.open()) {
                    Tensor aFull = operand(r, batch, m, k, batch % 2 == 0);
                    Tensor bShared = operand(r, 1, k, n, batch % 3 == 0).expand(batch, k, n);
                    if (batch > 1) assertEquals(0, bShared.stride(0));
                    checkBackend("B broadcast " + dims(batch, m, k, n), aFull, bShared, 1f, 0f, r);
                    Tensor aShared = operand(r, 1, m, k, false).expand(batch, m, k);
                    Tensor bFull = operand(r, batch, k, n, true);
                    checkBackend("A broadcast, alpha/beta " + dims(batch, m, k, n), aShared, bFull, -0.5f, 2f, r);
                }
            }
        }
    }

    @Test
    void largeProblemsTakeTheParallelPaths() {
        // Each shape is above the 2^22 multiply-add threshold for splitting over threads, and picks a different
        // path: dot products (few rows, transposed B), row streaming (<= 4 rows, row-major B), in-place B with
        // the panels split over threads (5-8 rows), packed with K and N edges, and a batch split over threads.
        Random r = new Random(29);
        // {batch, M, K, N, A transposed, B transposed}; batch > 1 broadcasts one B over the batch.
        int[][] shapes = {{1, 33, 1030, 600, 0, 1}, {1, 3, 2100, 3000, 0, 0}, {1, 7, 1500, 1700, 0, 0},
            {1, 203, 530, 170, 1, 1}, {4, 65, 257, 257, 1, 1}};
        for (int[] s : shapes) {
            int batch = s[0], m = s[1], k = s[2], n = s[3];
            assertTrue((long) batch * m * k * n >= 1L << 24, "shape must be big enough to be split");
            try (Scope sc = Scope.open()) {
                Tensor a = operand(r, batch, m, k, s[4] == 1);
                Tensor b = operand(r, 1, k, n, s[5] == 1).expand(batch, k, n);
                checkBackend("parallel " + dims(batch, m, k, n), a, b, 0.5f, 1.5f, r);
            }
        }
    }

    @Test
    void stridedViewsWithOffsets() {
        // Row-major operands whose rows are longer than K (narrowed out of a wider tensor), at a non-zero offset.
        Random r = new Random(9);
        int m = 37, k = 70, n = 45;
        Tensor aWide = Tensor.of(random(r, 2 * m * (k + 5)), 2, m, k + 5).narrow(2, 3, k).narrow(0, 1, 1);
        Tensor bT = Tensor.of(random(r, n * (k + 2)), 1, n, k + 2).narrow(2, 2, k).transpose(1, 2);
        checkBackend("strided A, strided B^T", aWide, bT, 1.25f, 0.5f, r);
        Tensor bWide = Tensor.of(random(r, k * (n + 9)), 1, k, n + 9).narrow(2, 4, n);
        checkBackend("strided A, strided B", aWide, bWide, 1f, 0f, r);
    }

    @Test
    void wideAndTallBeyondOneBlock() {
        // N past the NC-column B block (two or more jc blocks), K past the KC block, tiny and large M.
        Random r = new Random(13);
        int nc = CpuMatmul.NC, kc = CpuMatmul.KC;
        int[][] shapes = {{9, 5, nc + 4}, {3, kc + 44, nc + 1}, {1, 1, 4 * nc + 8}, {600, 3, 2}, {200, 20, nc + 33}};
        for (int[] s : shapes) {
            try (Scope sc = Scope.open()) {
                checkBackend("wide " + dims(1, s[0], s[1], s[2]), operand(r, 1, s[0], s[1], false), operand(r, 1, s[1], s[2], true), 1f, 0.5f, r);
                checkBackend("wide " + dims(1, s[0], s[1], s[2]), operand(r, 1, s[0], s[1], true), operand(r, 1, s[1], s[2], false), 1f, 0f, r);
            }
        }
    }

    @Test
    void emptyKGivesBetaTimesOut() {
        Tensor a = Tensor.zeros(1, 4, 0);
        Tensor b = Tensor.zeros(1, 0, 6);
        Tensor out = Tensor.full(3f, 1, 4, 6);
        CpuBackend.INSTANCE.matmul(a, b, out, 1f, 0.5f);
        float[] expected = new float[24];
        java.util.Arrays.fill(expected, 1.5f);
        assertArrayEquals(expected, out.toFloatArray());
        Tensor c = a.matmul(b);
        assertArrayEquals(new float[24], c.toFloatArray());
    }

    @Test
    void halfPrecisionStorage() {
        Random r = new Random(17);
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            double storageRel = dt == DType.BF16 ? 0x1p-8 : 0x1p-11;
            for (int[] s : new int[][] {{1, 1, 1}, {17, 33, 65}, {64, 257, 48}, {130, 7, 3}}) {
                int m = s[0], k = s[1], n = s[2];
                try (Scope sc = Scope.open()) {
                    Tensor a = operand(r, 2, m, k, false).to(dt);
                    // A transposed half-precision view: cast the [2, N, K] storage, then transpose.
                    Tensor b = Tensor.of(random(r, 2 * n * k), 2, n, k).to(dt).transpose(1, 2);
                    assertEquals(1, b.stride(1));
                    // Inputs are exactly representable after the cast, so the reference reads them back as floats.
                    float[] av = a.toFloatArray(), bv = b.toFloatArray();
                    Tensor c = a.matmul(b);
                    assertEquals(dt, c.dtype());
                    check(dt + " Tensor.matmul " + dims(2, m, k, n), c.toFloatArray(), reference(av, bv, null, 2, m, k, n, 1, 0), k, storageRel);

                    float[] c0 = random(r, 2 * m * n);
                    Tensor out = Tensor.of(c0, 2, m, n).to(dt);
                    float[] c0r = out.toFloatArray();
                    CpuBackend.INSTANCE.matmul(a, b, out, -2f, 0.5f);
                    check(dt + " alpha/beta " + dims(2, m, k, n), out.toFloatArray(), reference(av, bv, c0r, 2, m, k, n, -2, 0.5), k, storageRel);
                }
            }
        }
    }

    @Test
    void publicTensorMatmul() {
        Random r = new Random(19);
        int m = 65, k = 130, n = 33;
        float[] a = random(r, 6 * m * k);
        float[] b = random(r, k * n);
        // 2-D x 2-D
        Tensor a2 = Tensor.of(java.util.Arrays.copyOf(a, m * k), m, k);
        Tensor b2 = Tensor.of(b, k, n);
        Tensor c2 = a2.matmul(b2);
        assertArrayEquals(new int[] {m, n}, c2.shape());
        check("2-D", c2.toFloatArray(), reference(a2.toFloatArray(), b, null, 1, m, k, n, 1, 0), k, 0);
        // A stack of matrices times one matrix, and a linear layer's x W^T (W stored [n, k]).
        Tensor a4 = Tensor.of(a, 2, 3, m, k);
        Tensor c4 = a4.matmul(b2);
        assertArrayEquals(new int[] {2, 3, m, n}, c4.shape());
        check("[2,3,M,K] x [K,N]", c4.toFloatArray(), reference(a, b, null, 1, 6 * m, k, n, 1, 0), k, 0);
        Tensor w = Tensor.of(random(r, n * k), n, k);
        Tensor lin = a4.matmul(w.t());
        check("x W^T", lin.toFloatArray(), reference(a, w.t().toFloatArray(), null, 1, 6 * m, k, n, 1, 0), k, 0);
        // Batch broadcast [6, M, K] x [1, K, N], and attention-like q k^T with q, k [B, T, D].
        Tensor a3 = Tensor.of(a, 6, m, k);
        Tensor c3 = a3.matmul(Tensor.of(b, 1, k, n));
        check("[6,M,K] x [1,K,N]", c3.toFloatArray(), reference(a, b, null, 1, 6 * m, k, n, 1, 0), k, 0);
        Tensor q = Tensor.of(random(r, 8 * 48 * 64), 8, 48, 64);
        Tensor kk = Tensor.of(random(r, 8 * 48 * 64), 8, 48, 64);
        Tensor scores = q.matmul(kk.transpose(1, 2));
        assertArrayEquals(new int[] {8, 48, 48}, scores.shape());
        check("q k^T", scores.toFloatArray(), reference(q.toFloatArray(), kk.transpose(1, 2).toFloatArray(), null, 8, 48, 64, 48, 1, 0), 64, 0);
        // Vectors: [K] x [K, N] and [M, K] x [K].
        Tensor v = Tensor.of(java.util.Arrays.copyOf(a, k), k);
        check("vector x matrix", v.matmul(b2).toFloatArray(), reference(v.toFloatArray(), b, null, 1, 1, k, n, 1, 0), k, 0);
        Tensor u = Tensor.of(java.util.Arrays.copyOf(b, k), k);
        check("matrix x vector", a2.matmul(u).toFloatArray(), reference(a2.toFloatArray(), u.toFloatArray(), null, 1, m, k, 1, 1, 0), k, 0);
    }

    @Test
    void gradientsThroughTransposedProducts() {
        // loss = sum(w * (a b)) with b broadcast over the batch: dL/da = w b^T and dL/db = sum over the batch of
        // a^T w. The backward pass runs the kernel on transposed views of the saved operands (and of a stride-0
        // batch), so this exercises those layouts from autograd's side.
        Random r = new Random(23);
        int batch = 3, m = 19, k = 41, n = 37;
        Tensor a = Tensor.of(random(r, batch * m * k), batch, m, k).requiresGrad(true);
        Tensor b = Tensor.of(random(r, k * n), k, n).requiresGrad(true);
        float[] w = random(r, batch * m * n);
        a.matmul(b).mul(Tensor.of(w, batch, m, n)).sum().backward();

        float[] av = a.toFloatArray(), bv = b.toFloatArray();
        float[] bT = new float[n * k];
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) bT[j * k + p] = bv[p * n + j];
        }
        check("dL/da", a.grad().toFloatArray(), reference(w, bT, null, 1, batch * m, n, k, 1, 0), n, 0);
        float[] aT = new float[k * batch * m]; // [K, batch*M]: the batch folded into the contraction
        for (int i = 0; i < batch * m; i++) {
            for (int p = 0; p < k; p++) aT[p * batch * m + i] = av[i * k + p];
        }
        check("dL/db", b.grad().toFloatArray(), reference(aT, w, null, 1, k, batch * m, n, 1, 0), batch * m, 0);
    }

    @Test
    void tilePathsGiveTheFusedChainsBits() {
        // The tile kernel's element (i, j) is one chain of fused multiply-adds along K from 0, per K block, and the
        // blocks are added in order; with alpha = 1 that holds whether A is read in place or packed, in either layout
        // (so the choice is free to follow speed), and a packed A carries alpha as the float products alpha * a.
        // Sizes keep these products off the row and dot kernels (M > 8 with K < 256, or a row-major B with M > 4).
        Random r = new Random(29);
        int kc = CpuMatmul.KC;
        int[][] shapes = {{9, 250, 129}, {37, 17, 300}, {130, kc + 3, 131}, {70, 2 * kc + 1, 33}, {17, 250, 100}};
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            for (int layout = 0; layout < 4; layout++) {
                for (float alpha : new float[] {1f, 0.3f}) {
                    if (alpha != 1f && !CpuMatmul.packsA(n, alpha)) continue;   // alpha applied to the tile: not a chain
                    try (Scope sc = Scope.open()) {
                        Tensor a = operand(r, 1, m, k, (layout & 1) != 0);
                        Tensor b = operand(r, 1, k, n, (layout & 2) != 0);
                        Tensor out = Tensor.of(random(r, m * n), 1, m, n);
                        CpuBackend.INSTANCE.matmul(a, b, out, alpha, 0f);
                        float[] av = a.toFloatArray(), bv = b.toFloatArray(), got = out.toFloatArray();
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                float sum = 0f;
                                for (int p0 = 0; p0 < k; p0 += kc) {
                                    float chain = 0f;
                                    for (int p = p0; p < Math.min(k, p0 + kc); p++) {
                                        chain = Math.fma(alpha * av[i * k + p], bv[p * n + j], chain);
                                    }
                                    sum = p0 == 0 ? chain : sum + chain;
                                }
                                if (Float.floatToIntBits(sum) != Float.floatToIntBits(got[i * n + j])) {
                                    fail("layout " + layout + " alpha " + alpha + " " + dims(1, m, k, n) + " at (" + i + ", " + j + "): "
                                            + got[i * n + j] + " where the chain gives " + sum);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

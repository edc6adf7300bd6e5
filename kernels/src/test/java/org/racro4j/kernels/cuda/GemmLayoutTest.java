package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The row-major to column-major mapping for cuBLAS, checked by running a reference column-major GEMM (what
 * cuBLAS computes) on the mapped arguments and comparing with the row-major product.
 */
class GemmLayoutTest {
    /** Column-major C = op(A) op(B) as cuBLAS defines it, on flat arrays. */
    private static void columnMajorGemm(GemmLayout l, float[] first, int firstOff, float[] second, int secondOff, float[] c, int cOff) {
        for (int i = 0; i < l.m(); i++) {
            for (int j = 0; j < l.n(); j++) {
                float s = 0;
                for (int p = 0; p < l.k(); p++) {
                    float x = l.opFirst() == GemmLayout.OP_N ? first[firstOff + i + p * l.ldFirst()] : first[firstOff + p + i * l.ldFirst()];
                    float y = l.opSecond() == GemmLayout.OP_N ? second[secondOff + p + j * l.ldSecond()] : second[secondOff + j + p * l.ldSecond()];
                    s += x * y;
                }
                c[cOff + i + j * l.ldc()] = s;
            }
        }
    }

    private static void check(int m, int n, int k, boolean aTransposed, boolean bTransposed, long seed) {
        Random r = new Random(seed);
        // Storage of A: row-major [M, K] or a transposed view of a row-major [K, M].
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
        long aRow = aTransposed ? 1 : k;
        long aCol = aTransposed ? m : 1;
        long bRow = bTransposed ? 1 : n;
        long bCol = bTransposed ? k : 1;
        GemmLayout l = GemmLayout.of(m, n, k, 0, aRow, aCol, 0, bRow, bCol);
        assertNotNull(l);
        float[] c = new float[m * n];
        columnMajorGemm(l, b, 0, a, 0, c, 0);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float expect = 0;
                for (int p = 0; p < k; p++) expect += a[(int) (i * aRow + p * aCol)] * b[(int) (p * bRow + j * bCol)];
                assertEquals(expect, c[i * n + j], 1e-5f, "C[" + i + "][" + j + "] for aT=" + aTransposed + " bT=" + bTransposed);
            }
        }
    }

    @Test
    void allFourLayoutsGiveTheRowMajorProduct() {
        long seed = 1;
        for (boolean at : new boolean[] {false, true}) {
            for (boolean bt : new boolean[] {false, true}) {
                check(5, 7, 3, at, bt, seed++);
                check(1, 9, 4, at, bt, seed++);
                check(6, 1, 5, at, bt, seed++);
                check(4, 3, 1, at, bt, seed++);
            }
        }
    }

    @Test
    void mappingAndStrides() {
        GemmLayout l = GemmLayout.of(4, 6, 8, 32, 8, 1, 0, 6, 1);
        assertEquals(6, l.m());
        assertEquals(4, l.n());
        assertEquals(8, l.k());
        assertEquals(GemmLayout.OP_N, l.opFirst());
        assertEquals(6, l.ldFirst());
        assertEquals(0, l.strideFirst(), "a batch-broadcast B keeps stride 0");
        assertEquals(GemmLayout.OP_N, l.opSecond());
        assertEquals(8, l.ldSecond());
        assertEquals(32, l.strideSecond());
        assertEquals(6, l.ldc());
        assertEquals(24, l.strideC());
        GemmLayout t = GemmLayout.of(4, 6, 8, 0, 1, 4, 0, 1, 8);
        assertEquals(GemmLayout.OP_T, t.opFirst());
        assertEquals(8, t.ldFirst());
        assertEquals(GemmLayout.OP_T, t.opSecond());
        assertEquals(4, t.ldSecond());
    }

    @Test
    void stridesCublasCannotExpressFallBack() {
        assertNull(GemmLayout.of(4, 6, 8, 0, 0, 1, 0, 6, 1), "stride-0 rows (an expanded A)");
        assertNull(GemmLayout.of(4, 6, 8, 0, 2, 3, 0, 6, 1), "neither stride is 1");
    }
}

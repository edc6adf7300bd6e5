package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.racro4j.core.Tensor;

/**
 * Batched single-precision GEMM: C[b] = alpha A[b] B[b] + beta C[b], where each A and B matrix is row-major or
 * transposed (see {@link org.racro4j.core.Backend#matmul}). Rows of C are computed as sums of scaled rows of
 * row-major B, with B first copied row-major when it is a transposed view.
 */
final class CpuMatmul {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private CpuMatmul() {}

    static void matmul(Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        int batch = out.size(0);
        int m = out.size(1);
        int n = out.size(2);
        int k = a.size(2);
        float[] as = Floats.read(a);
        float[] bs = Floats.read(b);
        float[] cs = Floats.writable(out);
        int aBatch = a.stride(0);
        int aRow = a.stride(1);
        int aCol = a.stride(2);
        int bBatch = b.stride(0);
        int bRow = b.stride(1);
        int bCol = b.stride(2);
        int cOff = out.offset();
        int cBatch = out.stride(0);
        int cRow = out.stride(1);
        for (int bi = 0; bi < batch; bi++) {
            sgemm(m, n, k, alpha,
                    as, a.offset() + bi * aBatch, aRow, aCol,
                    bs, b.offset() + bi * bBatch, bRow, bCol,
                    beta, cs, cOff + bi * cBatch, cRow);
        }
        Floats.commit(out, cs);
    }

    /**
     * C = alpha A B + beta C with element (i, p) of A at aOff + i*aRow + p*aCol, (p, j) of B at
     * bOff + p*bRow + j*bCol, and C row-major with leading dimension ldc.
     */
    static void sgemm(int m, int n, int k, float alpha,
                      float[] a, int aOff, int aRow, int aCol,
                      float[] b, int bOff, int bRow, int bCol,
                      float beta, float[] c, int cOff, int ldc) {
        float[] bRowMajor = b;
        int bo = bOff;
        int ldb = bRow;
        if (bCol != 1) { // a transposed view: copy once so every inner loop reads contiguous rows
            bRowMajor = new float[k * n];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) bRowMajor[p * n + j] = b[bOff + p * bRow + j * bCol];
            }
            bo = 0;
            ldb = n;
        }
        final float[] bm = bRowMajor;
        final int bOffset = bo;
        final int ldB = ldb;
        long flops = 2L * m * n * k;
        int grain = flops > (1 << 20) ? 1 : m;
        Parallel.range(m, grain, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int crow = cOff + i * ldc;
                if (beta == 0f) java.util.Arrays.fill(c, crow, crow + n, 0f);
                else if (beta != 1f) for (int j = 0; j < n; j++) c[crow + j] *= beta;
                for (int p = 0; p < k; p++) {
                    float av = alpha * a[aOff + i * aRow + p * aCol];
                    axpy(av, bm, bOffset + p * ldB, c, crow, n);
                }
            }
        });
    }

    private static void axpy(float s, float[] x, int xo, float[] y, int yo, int n) {
        int j = 0;
        int bound = F.loopBound(n);
        FloatVector sv = FloatVector.broadcast(F, s);
        for (; j < bound; j += F.length()) {
            FloatVector.fromArray(F, x, xo + j).fma(sv, FloatVector.fromArray(F, y, yo + j)).intoArray(y, yo + j);
        }
        for (; j < n; j++) y[yo + j] += s * x[xo + j];
    }
}

package org.racro4j.core.cpu;

import java.util.Arrays;

import org.racro4j.core.Tensor;

/**
 * The matmul of the CPU backend when the Vector API is off ({@link VectorApi}): the same contract as
 * {@link CpuMatmul} (any batch, row-major or transposed A and B, alpha and beta with BLAS semantics) in plain loops,
 * accumulated in double. The loop order keeps the innermost loop on unit stride, which C2 can still unroll: a
 * row-major B streams its rows through one row of C (axpy order); a transposed B is read as dot products along K.
 */
final class PlainMatmul {
    private PlainMatmul() {}

    static void matmul(Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        int batch = out.size(0);
        int m = out.size(1);
        int n = out.size(2);
        int k = a.size(2);
        float[] as = Floats.read(a);
        float[] bs = Floats.read(b);
        float[] cs = beta == 0f ? Floats.writable(out) : Floats.read(out);
        int aOff = a.offset(), aBatch = a.stride(0), aRow = a.stride(1), aCol = a.stride(2);
        int bOff = b.offset(), bBatch = b.stride(0), bRow = b.stride(1), bCol = b.stride(2);
        int cOff = out.offset(), cBatch = out.stride(0), ldc = out.stride(1);
        boolean product = k > 0 && alpha != 0f; // BLAS: with no product to add, A and B are not read
        long work = (long) batch * m * n * k;
        Parallel.range(batch * m, work < (1L << 20) ? batch * m : 1, (r0, r1) -> {
            double[] acc = new double[n];
            for (int r = r0; r < r1; r++) {
                int bi = r / m;
                int i = r % m;
                Arrays.fill(acc, 0.0);
                int aBase = aOff + bi * aBatch + i * aRow;
                int bBase = bOff + bi * bBatch;
                if (product && bCol == 1) {
                    for (int p = 0; p < k; p++) {
                        double av = as[aBase + p * aCol];
                        int bp = bBase + p * bRow;
                        for (int j = 0; j < n; j++) acc[j] += av * bs[bp + j];
                    }
                } else if (product) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int p = 0, ap = aBase, bp = bBase + j * bCol; p < k; p++, ap += aCol, bp += bRow) s += as[ap] * (double) bs[bp];
                        acc[j] = s;
                    }
                }
                int c = cOff + bi * cBatch + i * ldc;
                for (int j = 0; j < n; j++) {
                    double v = alpha * acc[j];
                    cs[c + j] = (float) (beta == 0f ? v : v + beta * (double) cs[c + j]);
                }
            }
        });
        Floats.commit(out, cs);
    }
}

package org.racro4j.core.cpu;

import java.util.Arrays;

import org.racro4j.core.DType;
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
        // A half-precision B (a frozen model's weight) is read in place, one row or column at a time: converting
        // its whole storage would cost a float copy of the weight on every product.
        boolean halfB = HalfRuns.isHalf(b.dtype());
        boolean bf16 = b.dtype() == DType.BF16;
        // (a mapped B is copied to one array here: this path runs without the Vector API, as a reference)
        short[] bh = halfB ? Floats.storage(b).bitsArray() : null;
        float[] bs = halfB ? null : Floats.read(b);
        float[] cs = beta == 0f ? Floats.writable(out) : Floats.read(out);
        int aOff = a.offset(), aBatch = a.stride(0), aRow = a.stride(1), aCol = a.stride(2);
        int bOff = b.offset(), bBatch = b.stride(0), bRow = b.stride(1), bCol = b.stride(2);
        int cOff = out.offset(), cBatch = out.stride(0), ldc = out.stride(1);
        boolean product = k > 0 && alpha != 0f; // BLAS: with no product to add, A and B are not read
        long work = (long) batch * m * n * k;
        Parallel.range(batch * m, work < (1L << 20) ? batch * m : 1, (r0, r1) -> {
            double[] acc = new double[n];
            float[] run = halfB ? new float[Math.max(n, k)] : null; // one row (column) of a half-precision B
            for (int r = r0; r < r1; r++) {
                int bi = r / m;
                int i = r % m;
                Arrays.fill(acc, 0.0);
                int aBase = aOff + bi * aBatch + i * aRow;
                int bBase = bOff + bi * bBatch;
                if (product && bCol == 1) {
                    for (int p = 0; p < k; p++) {
                        double av = as[aBase + p * aCol];
                        float[] br = bs;
                        int bp = bBase + p * bRow;
                        if (halfB) {
                            HalfRuns.toFloats(bh, bp, 1, bf16, run, 0, n);
                            br = run;
                            bp = 0;
                        }
                        for (int j = 0; j < n; j++) acc[j] += av * br[bp + j];
                    }
                } else if (product) {
                    for (int j = 0; j < n; j++) {
                        float[] bc = bs;
                        int bp = bBase + j * bCol;
                        int step = bRow;
                        if (halfB) {
                            HalfRuns.toFloats(bh, bp, bRow, bf16, run, 0, k);
                            bc = run;
                            bp = 0;
                            step = 1;
                        }
                        double s = 0;
                        for (int p = 0, ap = aBase; p < k; p++, ap += aCol, bp += step) s += as[ap] * (double) bc[bp];
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

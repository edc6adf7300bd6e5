package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Matrix products with a half-precision B (a frozen model's BF16 or F16 weight), which the CPU backend reads in place
 * instead of converting its storage: against a float64 reference computed from the rounded weights, over the shapes
 * a decoder uses (x W^T with few rows for decode, many for prefill, a row-major B, views with offsets and strides).
 * In the core package, so it runs both with the Vector API (lane conversion, dot and packed paths) and without it
 * (plain loops).
 *
 * <p>Tolerance as in CpuMatmulTest: (K + 3) u sum |a b| for the float accumulation (u = 2^-24), plus 2^-8 (BF16) or
 * 2^-11 (F16) of |ref| when the output itself is stored in half precision. A weight element read without its
 * conversion, or from the wrong place, moves an output by about |a b| ~ scale / K, far above the first term.
 */
@ExtendWith(ScopePerTest.class)
class HalfWeightMatmulTest {
    private static final int[] MS = {1, 3, 8, 67};
    private static final int[] KS = {17, 64, 130};
    private static final int[] NS = {5, 96};
    private static final double U = 0x1p-24;

    /** Values in +-[0.25, 1.25): never zero, so every term counts. */
    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (r.nextBoolean() ? 1 : -1) * (0.25f + r.nextFloat());
        return x;
    }

    /** The value a float has once stored in dtype (round to nearest even), as the kernel sees it. */
    private static double rounded(float v, DType dtype) {
        return switch (dtype) {
            case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v));
            case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(v));
            default -> v;
        };
    }

    /**
     * Checks got [M, N] against sum_p a(i, p) w(j, p) in float64, where a is M x K row-major and w is N x K row-major
     * (both already holding the values the kernel reads), plus beta c0.
     */
    private static void check(String what, float[] got, double[] a, double[] w, int m, int k, int n,
                              double alpha, double beta, float[] c0, double outRel) {
        assertEquals(m * n, got.length, what + ": element count");
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    s += a[i * k + p] * w[j * k + p];
                    abs += Math.abs(a[i * k + p] * w[j * k + p]);
                }
                double c = c0 == null ? 0 : c0[i * n + j];
                double ref = alpha * s + beta * c;
                double tol = (k + 3) * U * (Math.abs(alpha) * abs + Math.abs(beta * c)) + outRel * Math.abs(ref) + 1e-30;
                double err = Math.abs(got[i * n + j] - ref);
                if (!(err <= tol)) {
                    fail(String.format("%s: element (%d, %d) is %s, expected %s (error %.3g > tolerance %.3g)",
                            what, i, j, got[i * n + j], ref, err, tol));
                }
            }
        }
    }

    private static double[] roundedAll(float[] x, DType dtype) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = rounded(x[i], dtype);
        return d;
    }

    @Test
    void f32RowsTimesTransposedHalfWeightIsExactToFloatAccumulation() {
        // The backend primitive with F32 activations, a BF16/F16 weight and an F32 output: only the accumulation
        // rounds, so the bound is tight; alpha and beta != 0 go through the kernels' scaling and accumulation.
        Random r = new Random(7);
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            for (int m : MS) {
                for (int k : KS) {
                    for (int n : NS) {
                        float[] x = random(r, m * k);
                        float[] w = random(r, n * k);
                        float[] c0 = random(r, m * n);
                        Tensor wh = Tensor.of(w, 1, n, k).to(dtype);
                        Tensor out = Tensor.of(c0.clone(), 1, m, n);
                        Device.CPU.backend().matmul(Tensor.of(x, 1, m, k), wh.transpose(1, 2), out, 0.75f, 0.5f);
                        check(dtype + " x W^T " + m + "x" + k + "x" + n, out.toFloatArray(), roundedAll(x, DType.F32),
                                roundedAll(w, dtype), m, k, n, 0.75, 0.5, c0, 0);
                    }
                }
            }
        }
    }

    @Test
    void bf16LinearThroughThePublicOps() {
        // A BF16 model's linear layer: BF16 activations times the transposed BF16 weight, a BF16 result (PyTorch's
        // rule: matmul of two BF16 tensors is BF16, accumulated in float), for decode (few rows) and prefill sizes.
        Random r = new Random(11);
        for (int m : MS) {
            for (int k : KS) {
                for (int n : NS) {
                    float[] x = random(r, m * k);
                    float[] w = random(r, n * k);
                    Tensor y = Functional.linear(Tensor.of(x, m, k).to(DType.BF16), Tensor.of(w, n, k).to(DType.BF16), null);
                    assertEquals(DType.BF16, y.dtype());
                    check("linear BF16 " + m + "x" + k + "x" + n, y.toFloatArray(), roundedAll(x, DType.BF16),
                            roundedAll(w, DType.BF16), m, k, n, 1, 0, null, 0x1p-8);
                }
            }
        }
    }

    @Test
    void halfWeightViewsWithOffsetsAndStridesAreReadInPlace() {
        // Views into a larger half-precision storage: an offset (rows and columns cut out of a bigger matrix, so
        // the row stride exceeds K), a row-major B (x W with W [K, N]) and a batch of B matrices.
        Random r = new Random(13);
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            for (int m : MS) {
                for (int k : KS) {
                    for (int n : NS) {
                        int rows = n + 3, cols = k + 5;
                        float[] big = random(r, rows * cols);
                        Tensor whole = Tensor.of(big, rows, cols).to(dtype);
                        Tensor w = whole.narrow(0, 2, n).narrow(1, 4, k); // [n, k], offset 2*cols + 4, row stride cols
                        double[] wRef = new double[n * k];
                        for (int j = 0; j < n; j++) {
                            for (int p = 0; p < k; p++) wRef[j * k + p] = rounded(big[(j + 2) * cols + p + 4], dtype);
                        }
                        float[] x = random(r, m * k);
                        Tensor out = Tensor.empty(DType.F32, Device.CPU, 1, m, n);
                        Device.CPU.backend().matmul(Tensor.of(x, 1, m, k), w.t().unsqueeze(0), out, 1f, 0f);
                        check(dtype + " strided W^T " + m + "x" + k + "x" + n, out.toFloatArray(), roundedAll(x, DType.F32),
                                wRef, m, k, n, 1, 0, null, 0);

                        // Row-major B [k, n]: the same numbers laid out as W^T, cut from a wider matrix.
                        float[] wide = new float[k * (n + 7)];
                        for (int p = 0; p < k; p++) {
                            for (int j = 0; j < n + 7; j++) wide[p * (n + 7) + j] = j < n ? (float) wRef[j * k + p] : 1e6f;
                        }
                        Tensor bRows = Tensor.of(wide, k, n + 7).to(dtype).narrow(1, 0, n);
                        Tensor out2 = Tensor.empty(DType.F32, Device.CPU, 1, m, n);
                        Device.CPU.backend().matmul(Tensor.of(x, 1, m, k), bRows.unsqueeze(0), out2, 1f, 0f);
                        check(dtype + " row-major B " + m + "x" + k + "x" + n, out2.toFloatArray(), roundedAll(x, DType.F32),
                                wRef, m, k, n, 1, 0, null, 0);
                    }
                }
            }
        }
    }

    @Test
    void aBatchOfHalfWeightMatricesUsesEachMatrix() {
        Random r = new Random(17);
        int batch = 3, m = 5, k = 33, n = 40;
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            float[] x = random(r, batch * m * k);
            float[] w = random(r, batch * n * k);
            Tensor out = Tensor.empty(DType.F32, Device.CPU, batch, m, n);
            Device.CPU.backend().matmul(Tensor.of(x, batch, m, k), Tensor.of(w, batch, n, k).to(dtype).transpose(1, 2), out, 1f, 0f);
            float[] got = out.toFloatArray();
            for (int bi = 0; bi < batch; bi++) {
                double[] xb = new double[m * k];
                double[] wb = new double[n * k];
                for (int i = 0; i < m * k; i++) xb[i] = x[bi * m * k + i];
                for (int i = 0; i < n * k; i++) wb[i] = rounded(w[bi * n * k + i], dtype);
                float[] gb = java.util.Arrays.copyOfRange(got, bi * m * n, (bi + 1) * m * n);
                check(dtype + " batch " + bi, gb, xb, wb, m, k, n, 1, 0, null, 0);
            }
        }
    }

    @Test
    void productsLargeEnoughToSplitOverThreads() {
        // Above 2^22 multiply-adds the CPU splits one product over its threads: the dot path by columns (each thread
        // widening its own columns), the packed path by row blocks and panel runs.
        Random r = new Random(19);
        for (int m : new int[] {8, 67}) {
            int k = 1030, n = 2050;
            float[] x = random(r, m * k);
            float[] w = random(r, n * k);
            Tensor out = Tensor.empty(DType.F32, Device.CPU, 1, m, n);
            Device.CPU.backend().matmul(Tensor.of(x, 1, m, k), Tensor.of(w, 1, n, k).to(DType.BF16).transpose(1, 2), out, 1f, 0f);
            check("BF16 x W^T " + m + "x" + k + "x" + n, out.toFloatArray(), roundedAll(x, DType.F32), roundedAll(w, DType.BF16),
                    m, k, n, 1, 0, null, 0);
        }
    }
}

package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;
import static org.racro4j.core.TestSupport.uniform;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.racro4j.core.cpu.Parallel;
import org.racro4j.core.random.Generator;

/**
 * Tensors big enough that the CPU kernels split work across the fork-join pool (elementwise loops above 2^15
 * elements, row kernels above ~8k elements, matmul above 2^20 flops), checked against float64 loops, so that a
 * chunking or offset error in the parallel paths cannot hide behind the small tensors of the other tests.
 */
@ExtendWith(ScopePerTest.class)
class LargeTensorsTest {
    @Test
    void thePoolHasWorkersToSplitAcross() {
        assertEquals(Math.max(1, Integer.getInteger("racro4j.threads", Runtime.getRuntime().availableProcessors())), Parallel.threads());
    }

    @Test
    void largeStridedElementwiseOps() {
        int r = 301;
        int c = 257; // 77k elements, odd sizes
        float[] x = normal(1, r * c);
        float[] y = normal(2, c);
        Tensor xt = Tensor.of(x, r, c).t(); // [c, r], strides [1, c]
        float[] e = xt.exp().toFloatArray();
        float[] s = xt.mul(Tensor.of(y, c, 1)).toFloatArray();
        float[] g = xt.gelu().toFloatArray();
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < r; j++) {
                double v = x[j * c + i];
                assertEquals(Math.exp(v), e[i * r + j], 2e-7 * Math.exp(v), "exp at " + i + "," + j);
                assertEquals(v * y[i], s[i * r + j], 1e-6, "mul at " + i + "," + j);
                assertEquals(0.5 * v * (1 + TestSupport.erf(v / Math.sqrt(2))), g[i * r + j], 1e-6, "gelu at " + i + "," + j);
            }
        }
        float[] bf = xt.to(DType.BF16).toFloatArray();
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < r; j++) {
                assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x[j * c + i])), bf[i * r + j], 0f);
            }
        }
    }

    @Test
    void largeReductionsOverEveryDim() {
        int a = 67;
        int b = 129;
        int c = 11;
        float[] x = normal(3, a * b * c);
        Tensor t = Tensor.of(x, a, b, c);
        double[] s0 = new double[b * c];
        double[] s1 = new double[a * c];
        double[] s2 = new double[a * b];
        double[] m1 = new double[a * c];
        for (int i = 0; i < a * c; i++) m1[i] = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                for (int k = 0; k < c; k++) {
                    double v = x[(i * b + j) * c + k];
                    s0[j * c + k] += v;
                    s1[i * c + k] += v;
                    s2[i * b + j] += v;
                    m1[i * c + k] = Math.max(m1[i * c + k], v);
                }
            }
        }
        assertClose("sum(0)", s0, t.sum(0, false).toFloatArray(), 1e-5, 1e-5);
        assertClose("sum(1)", s1, t.sum(1, false).toFloatArray(), 1e-5, 1e-5);
        assertClose("sum(2)", s2, t.sum(2, false).toFloatArray(), 1e-5, 1e-5);
        assertClose("max(1)", m1, t.max(1, false).toFloatArray(), 0, 0);
    }

    @Test
    void largeRowKernelsForwardAndBackward() {
        int rows = 517;
        int c = 129;
        float[] x = normal(4, rows * c);
        float[] w = uniform(5, c, 0.5, 1.5);
        float[] gy = normal(6, rows * c);
        Tensor xt = Tensor.of(x, rows, c).requiresGrad(true);
        Tensor wt = Tensor.of(w, c).requiresGrad(true);
        Tensor y = Functional.rmsNorm(xt, wt, 1e-6f);
        y.backward(Tensor.of(gy, rows, c));
        double[] refY = new double[rows * c];
        double[] refGx = new double[rows * c];
        double[] refGw = new double[c];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int j = 0; j < c; j++) ss += (double) x[r * c + j] * x[r * c + j];
            double inv = 1 / Math.sqrt(ss / c + 1e-6);
            double dot = 0;
            for (int j = 0; j < c; j++) {
                refY[r * c + j] = x[r * c + j] * inv * w[j];
                dot += gy[r * c + j] * w[j] * x[r * c + j] * inv;
                refGw[j] += gy[r * c + j] * x[r * c + j] * inv;
            }
            for (int j = 0; j < c; j++) refGx[r * c + j] = inv * (gy[r * c + j] * w[j] - x[r * c + j] * inv * dot / c);
        }
        assertClose("rmsNorm y", refY, y.toFloatArray(), 1e-5, 1e-5);
        assertClose("rmsNorm gx", refGx, xt.grad().toFloatArray(), 1e-5, 1e-4);
        assertClose("rmsNorm gw (summed over 517 rows, per thread part)", refGw, wt.grad().toFloatArray(), 1e-4, 1e-5);
        xt.zeroGrad();
        wt.zeroGrad();

        Tensor sm = Tensor.of(x, rows, c).softmax(-1);
        assertClose("softmax", TestSupport.softmaxRef(x, c, false), sm.toFloatArray(), 1e-8, 1e-5);
    }

    @Test
    void largeMatmulSplitsRowsAcrossThreads() {
        int m = 131;
        int k = 97;
        int n = 73; // 1.9 Mflop
        float[] a = normal(7, m * k);
        float[] b = normal(8, k * n);
        assertClose("matmul", TestSupport.matmulRef(a, b, 1, m, k, n), Tensor.of(a, m, k).matmul(Tensor.of(b, k, n)).toFloatArray(), 2e-5, 1e-5);
        // a transposed B takes the kernel's copy path
        float[] bt = normal(9, n * k);
        float[] bRow = new float[k * n];
        for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bRow[p * n + j] = bt[j * k + p];
        assertClose("matmul with B^T", TestSupport.matmulRef(a, bRow, 1, m, k, n),
                Tensor.of(a, m, k).matmul(Tensor.of(bt, n, k).t()).toFloatArray(), 2e-5, 1e-5);
    }

    @Test
    void largeIndexingAndDropout() {
        int v = 1001;
        int d = 67;
        float[] table = normal(10, v * d);
        long[] ids = TestSupport.indices(11, 997, v);
        float[] e = Tensor.of(table, v, d).embedding(Tensor.ofLongs(ids, 997)).toFloatArray();
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < d; j++) assertEquals(table[(int) ids[i] * d + j], e[i * d + j]);
        }
        int n = 100_003;
        float[] x = normal(12, n);
        float p = 0.3f;
        float[] out = Functional.dropout(Tensor.of(x, n), p, true, new Generator(5)).toFloatArray();
        float[] u = Tensor.rand(new Generator(5), n).toFloatArray();
        int kept = 0;
        for (int i = 0; i < n; i++) {
            boolean keep = u[i] >= p;
            if (keep) kept++;
            assertEquals(keep ? x[i] * (1f / (1f - p)) : 0f, out[i], 1e-6f * Math.abs(x[i]) + 0f, "dropout element " + i);
        }
        assertEquals(0.7 * n, kept, 6 * Math.sqrt(n * 0.21));
        float[] eval = Functional.dropout(Tensor.of(x, n), p, false, new Generator(5)).toFloatArray();
        assertEquals(x[17], eval[17]);
    }

    /**
     * Dropout over 106k elements of a permuted (non-contiguous) view, for several p, against what the definition
     * says, not against the generator's stream: the kept count is Binomial(n, 1 - p), so it must lie within 6 of its
     * standard deviations sqrt(n p (1 - p)) of n (1 - p) (a fixed seed makes this deterministic; 6 sigma leaves a fair
     * implementation a ~1e-9 chance to fail with another seed). A kept element is x / (1 - p) up to float rounding (2
     * ulp), a dropped one exactly 0 (the inputs are at least 0.01 from 0, so 0 always means dropped), and the gradient
     * is the upstream gradient through the same mask and scale. Evaluation mode and p = 0 leave every element as is.
     */
    @Test
    void dropoutKeepsOneMinusPOfManyElementsScaledAndMasksTheGradientTheSameWay() {
        int d0 = 37;
        int d1 = 61;
        int d2 = 47;   // x = base.permute(1, 0, 2): base [61, 37, 47] viewed as [37, 61, 47]
        int n = d0 * d1 * d2;
        float[] base = TestSupport.awayFromZero(20, n, 0.01, 3);
        float[] upstream = normal(21, n);
        for (float p : new float[] {0.1f, 0.3f, 0.75f}) {
            Tensor baseT = Tensor.of(base, d1, d0, d2).requiresGrad(true);
            Tensor x = baseT.permute(1, 0, 2);
            Tensor y = Functional.dropout(x, p, true, new Generator(31));
            float[] out = y.toFloatArray();
            y.backward(Tensor.of(upstream, d0, d1, d2));
            float[] grad = baseT.grad().toFloatArray();   // in base's layout

            double scale = 1.0 / (1.0 - p);
            boolean[] keptMask = new boolean[n];
            int kept = 0;
            for (int i = 0; i < d0; i++) {
                for (int j = 0; j < d1; j++) {
                    for (int k = 0; k < d2; k++) {
                        int logical = (i * d1 + j) * d2 + k;
                        int stored = (j * d0 + i) * d2 + k;
                        String at = "p " + p + " at [" + i + ", " + j + ", " + k + "]";
                        boolean keep = out[logical] != 0f;
                        keptMask[logical] = keep;
                        if (keep) kept++;
                        assertScaledOrZero("output " + at, keep, base[stored] * scale, out[logical]);
                        assertScaledOrZero("gradient " + at, keep, upstream[logical] * scale, grad[stored]);
                    }
                }
            }
            double sigma = Math.sqrt(n * (double) p * (1 - p));
            assertEquals(n * (1.0 - p), kept, 6 * sigma, "kept count for p " + p + " out of " + n);

            // Another seed gives another mask: both keep an element with probability (1 - p)^2, independently.
            float[] other = Functional.dropout(x.detach(), p, true, new Generator(32)).toFloatArray();
            int keptByBoth = 0;
            for (int i = 0; i < n; i++) if (keptMask[i] && other[i] != 0f) keptByBoth++;
            double both = (1.0 - p) * (1.0 - p);
            assertEquals(n * both, keptByBoth, 6 * Math.sqrt(n * both * (1 - both)), "kept by seeds 31 and 32, p " + p);

            float[] evalOut = Functional.dropout(x.detach(), p, false, new Generator(31)).toFloatArray();
            float[] noDrop = Functional.dropout(x.detach(), 0f, true, new Generator(31)).toFloatArray();
            for (int i = 0; i < d0; i++) {
                for (int j = 0; j < d1; j++) {
                    for (int k = 0; k < d2; k++) {
                        float want = base[(j * d0 + i) * d2 + k];
                        assertEquals(want, evalOut[(i * d1 + j) * d2 + k], 0f, "evaluation mode is the identity");
                        assertEquals(want, noDrop[(i * d1 + j) * d2 + k], 0f, "p = 0 is the identity");
                    }
                }
            }
        }
    }

    /** got is want (a float64 product) within 2 float ulps when kept, exactly 0 when dropped. */
    private static void assertScaledOrZero(String what, boolean kept, double want, float got) {
        if (kept) {
            assertEquals(want, got, 2 * Math.ulp((float) want), what + ": kept, scaled by 1/(1 - p)");
        } else {
            assertEquals(0f, got, 0f, what + ": dropped");
        }
    }
}

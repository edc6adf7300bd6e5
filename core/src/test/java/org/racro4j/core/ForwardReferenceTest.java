package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;
import static org.racro4j.core.TestSupport.uniform;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.racro4j.core.Functional.Reduction;

/**
 * Forward results against float64 implementations written here: matmul, softmax, norms, losses, attention,
 * rope, GELU, reductions, indexing, cat/stack/split and broadcasting. Tolerances are a few float32 ulps scaled by
 * the length of the sums involved.
 */
@ExtendWith(ScopePerTest.class)
class ForwardReferenceTest {
    // ------------------------------------------------------------------------------------------ matmul

    @Test
    void matmulOfAwkwardSizesMatchesFloat64() {
        int[][] sizes = {{1, 1, 1}, {3, 5, 7}, {13, 17, 19}, {67, 129, 35}, {5, 300, 3}, {31, 1, 33}};
        for (int[] s : sizes) {
            int m = s[0], k = s[1], n = s[2];
            float[] a = normal(m * 1000 + k, m * k);
            float[] b = normal(n * 1000 + k, k * n);
            float[] c = Tensor.of(a, m, k).matmul(Tensor.of(b, k, n)).toFloatArray();
            assertClose("matmul " + m + "x" + k + "x" + n, TestSupport.matmulRef(a, b, 1, m, k, n), c, 2e-6 * Math.sqrt(k) * 4, 1e-5);
        }
    }

    @Test
    void batchedMatmulBroadcastsBatchDims() {
        // a [2, 1, 3, 5] @ b [4, 5, 6] -> [2, 4, 3, 6]
        float[] a = normal(1, 2 * 3 * 5);
        float[] b = normal(2, 4 * 5 * 6);
        Tensor c = Tensor.of(a, 2, 1, 3, 5).matmul(Tensor.of(b, 4, 5, 6));
        assertArrayEquals(new int[] {2, 4, 3, 6}, c.shape());
        double[] ref = new double[2 * 4 * 3 * 6];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                float[] ai = java.util.Arrays.copyOfRange(a, i * 15, i * 15 + 15);
                float[] bj = java.util.Arrays.copyOfRange(b, j * 30, j * 30 + 30);
                double[] r = TestSupport.matmulRef(ai, bj, 1, 3, 5, 6);
                System.arraycopy(r, 0, ref, (i * 4 + j) * 18, 18);
            }
        }
        assertClose("broadcast batched matmul", ref, c.toFloatArray(), 1e-5, 1e-5);
    }

    @Test
    void matmulWithVectorsFollowsNumpyShapes() {
        float[] v = normal(3, 5);
        float[] m = normal(4, 5 * 4);
        float[] w = normal(5, 5);
        Tensor vm = Tensor.of(v, 5).matmul(Tensor.of(m, 5, 4));
        assertArrayEquals(new int[] {4}, vm.shape());
        assertClose("[5]@[5,4]", TestSupport.matmulRef(v, m, 1, 1, 5, 4), vm.toFloatArray(), 1e-5, 1e-5);
        Tensor dot = Tensor.of(v, 5).matmul(Tensor.of(w, 5));
        assertEquals(0, dot.dim());
        double d = 0;
        for (int i = 0; i < 5; i++) d += (double) v[i] * w[i];
        assertEquals(d, dot.item(), 1e-5);
        Tensor mv = Tensor.of(m, 4, 5).matmul(Tensor.of(w, 5));
        assertArrayEquals(new int[] {4}, mv.shape());
        assertClose("[4,5]@[5]", TestSupport.matmulRef(m, w, 1, 4, 5, 1), mv.toFloatArray(), 1e-5, 1e-5);
    }

    // ------------------------------------------------------------------------------------------ softmax

    @Test
    void softmaxAndLogSoftmaxMatchFloat64IncludingLargeLogits() {
        for (int cols : new int[] {1, 7, 1000}) {
            float[] x = normal(cols, 3 * cols);
            for (int i = 0; i < x.length; i++) x[i] = x[i] * 4 + (i % 2 == 0 ? 80f : -30f); // exp would overflow unshifted
            Tensor t = Tensor.of(x, 3, cols);
            assertClose("softmax cols=" + cols, TestSupport.softmaxRef(x, cols, false), t.softmax(-1).toFloatArray(), 1e-7, 1e-5);
            assertClose("logSoftmax cols=" + cols, TestSupport.softmaxRef(x, cols, true), t.logSoftmax(-1).toFloatArray(), 1e-5, 1e-6);
        }
    }

    @Test
    void softmaxOverAMiddleDimNormalisesThatDim() {
        float[] x = normal(6, 3 * 5 * 7);
        float[] y = Tensor.of(x, 3, 5, 7).softmax(1).toFloatArray();
        for (int a = 0; a < 3; a++) {
            for (int c = 0; c < 7; c++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int b = 0; b < 5; b++) max = Math.max(max, x[a * 35 + b * 7 + c]);
                double sum = 0;
                for (int b = 0; b < 5; b++) sum += Math.exp(x[a * 35 + b * 7 + c] - max);
                for (int b = 0; b < 5; b++) {
                    assertEquals(Math.exp(x[a * 35 + b * 7 + c] - max) / sum, y[a * 35 + b * 7 + c], 1e-6, "softmax(1) at " + a + "," + b + "," + c);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ norms

    private static double[] layerNormRef(float[] x, float[] w, float[] b, int c, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double mu = 0;
            for (int j = 0; j < c; j++) mu += x[r * c + j];
            mu /= c;
            double var = 0;
            for (int j = 0; j < c; j++) var += (x[r * c + j] - mu) * (x[r * c + j] - mu);
            var /= c;
            for (int j = 0; j < c; j++) y[r * c + j] = (x[r * c + j] - mu) / Math.sqrt(var + eps) * w[j] + (b == null ? 0 : b[j]);
        }
        return y;
    }

    @Test
    void layerNormMatchesFloat64WithAndWithoutBias() {
        int c = 37;
        float[] x = normal(7, 5 * c);
        for (int i = 0; i < x.length; i++) x[i] = x[i] * 3 + 10; // a large mean: a one-pass variance would lose digits
        float[] w = uniform(8, c, 0.5, 1.5);
        float[] b = normal(9, c);
        float[] y = Functional.layerNorm(Tensor.of(x, 5, c), Tensor.of(w, c), Tensor.of(b, c), 1e-5f).toFloatArray();
        assertClose("layerNorm", layerNormRef(x, w, b, c, 1e-5), y, 1e-5, 1e-5);
        float[] y2 = Functional.layerNorm(Tensor.of(x, 5, c), Tensor.of(w, c), null, 1e-5f).toFloatArray();
        assertClose("layerNorm no bias", layerNormRef(x, w, null, c, 1e-5), y2, 1e-5, 1e-5);
    }

    @Test
    void rmsNormMatchesFloat64() {
        int c = 45;
        float[] x = normal(10, 3 * 2 * c);
        float[] w = uniform(11, c, 0.5, 1.5);
        float[] y = Functional.rmsNorm(Tensor.of(x, 3, 2, c), Tensor.of(w, c), 1e-6f).toFloatArray();
        double[] ref = new double[x.length];
        for (int r = 0; r < 6; r++) {
            double ss = 0;
            for (int j = 0; j < c; j++) ss += (double) x[r * c + j] * x[r * c + j];
            double inv = 1 / Math.sqrt(ss / c + 1e-6);
            for (int j = 0; j < c; j++) ref[r * c + j] = x[r * c + j] * inv * w[j];
        }
        assertClose("rmsNorm", ref, y, 1e-6, 1e-5);
    }

    // ------------------------------------------------------------------------------------------ cross-entropy

    @Test
    void crossEntropyMatchesFloat64ForEveryReduction() {
        int rows = 9;
        int v = 11;
        float[] logits = normal(12, rows * v);
        for (int i = 0; i < logits.length; i++) logits[i] *= 3;
        long[] target = {3, 10, -1, 0, 7, 7, -1, 2, 5};
        double[] lse = new double[rows];
        double[] per = new double[rows];
        double sum = 0;
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, logits[r * v + j]);
            double s = 0;
            for (int j = 0; j < v; j++) s += Math.exp(logits[r * v + j] - max);
            lse[r] = max + Math.log(s);
            if (target[r] != -1) {
                per[r] = lse[r] - logits[r * v + (int) target[r]];
                sum += per[r];
                counted++;
            }
        }
        Tensor l = Tensor.of(logits, 3, 3, v);
        Tensor t = Tensor.ofLongs(target, 3, 3);
        Tensor none = Functional.crossEntropy(l, t, -1, Reduction.NONE);
        assertArrayEquals(new int[] {3, 3}, none.shape());
        assertClose("crossEntropy none", per, none.toFloatArray(), 1e-5, 1e-5);
        assertEquals(sum, Functional.crossEntropy(l, t, -1, Reduction.SUM).item(), 1e-4);
        assertEquals(sum / counted, Functional.crossEntropy(l, t, -1).item(), 1e-5);
    }

    @Test
    void crossEntropyMeanOfAllIgnoredTargetsIsZeroNotNaN() {
        Tensor l = Tensor.of(normal(13, 10), 2, 5);
        Tensor t = Tensor.ofLongs(new long[] {-100, -100}, 2);
        assertEquals(0f, Functional.crossEntropy(l, t, -100).item());
    }

    // ------------------------------------------------------------------------------------------ attention

    /** Float64 attention with the documented alignment: query t may see key s iff s <= t + S - T. */
    private static double[] attentionRef(float[] q, float[] k, float[] v, float[] keep, int[] keepShape,
                                         int b, int hq, int hkv, int t, int s, int d, int dv, boolean causal, double scale) {
        double[] out = new double[b * hq * t * dv];
        int group = hq / hkv;
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < hq; h++) {
                int kh = h / group;
                for (int ti = 0; ti < t; ti++) {
                    double[] score = new double[s];
                    boolean[] allowed = new boolean[s];
                    boolean any = false;
                    for (int si = 0; si < s; si++) {
                        double dot = 0;
                        for (int di = 0; di < d; di++) {
                            dot += (double) q[((bi * hq + h) * t + ti) * d + di] * k[((bi * hkv + kh) * s + si) * d + di];
                        }
                        score[si] = dot * scale;
                        allowed[si] = (!causal || si <= ti + s - t) && (keep == null || keepAt(keep, keepShape, bi, h, ti, si) != 0);
                        any |= allowed[si];
                    }
                    // A row with nothing allowed attends uniformly (the engine's finite -1e30 fill), never NaN.
                    double max = Double.NEGATIVE_INFINITY;
                    for (int si = 0; si < s; si++) if (allowed[si] || !any) max = Math.max(max, score[si]);
                    double[] p = new double[s];
                    double z = 0;
                    for (int si = 0; si < s; si++) {
                        p[si] = any ? (allowed[si] ? Math.exp(score[si] - max) : 0) : 1;
                        z += p[si];
                    }
                    for (int e = 0; e < dv; e++) {
                        double acc = 0;
                        for (int si = 0; si < s; si++) acc += p[si] / z * v[((bi * hkv + kh) * s + si) * dv + e];
                        out[((bi * hq + h) * t + ti) * dv + e] = acc;
                    }
                }
            }
        }
        return out;
    }

    private static float keepAt(float[] keep, int[] shape, int b, int h, int t, int s) {
        int[] idx = {b, h, t, s};
        int[] st = TestSupport.stridesOf(shape);
        int off = 0;
        for (int i = 0; i < 4; i++) off += (shape[i] == 1 ? 0 : idx[i]) * st[i];
        return keep[off];
    }

    private static void checkAttention(int b, int hq, int hkv, int t, int s, int d, int dv, boolean causal, float[] keep, int[] keepShape, float scale) {
        float[] q = normal(100 + t, b * hq * t * d);
        float[] k = normal(200 + s, b * hkv * s * d);
        float[] v = normal(300 + dv, b * hkv * s * dv);
        Tensor mask = keep == null ? null : Tensor.of(keep, keepShape);
        Tensor out = Functional.scaledDotProductAttention(Tensor.of(q, b, hq, t, d), Tensor.of(k, b, hkv, s, d), Tensor.of(v, b, hkv, s, dv),
                mask, causal, scale);
        assertArrayEquals(new int[] {b, hq, t, dv}, out.shape());
        double sc = Float.isNaN(scale) ? 1 / Math.sqrt(d) : scale;
        float[] got = out.toFloatArray();
        for (float g : got) assertTrue(Float.isFinite(g), "attention output must be finite");
        assertClose("attention b=" + b + " hq=" + hq + " hkv=" + hkv + " T=" + t + " S=" + s + " causal=" + causal,
                attentionRef(q, k, v, keep, keepShape, b, hq, hkv, t, s, d, dv, causal, sc), got, 2e-6, 1e-5);
    }

    @Test
    void causalAttentionAlignsQueriesWithTheEndOfTheKeys() {
        checkAttention(1, 2, 2, 5, 5, 8, 8, true, null, null, Float.NaN);  // T = S: the lower triangle
        checkAttention(2, 2, 2, 3, 7, 5, 4, true, null, null, Float.NaN);  // T < S: chunk at the end
        checkAttention(1, 3, 3, 1, 6, 4, 3, true, null, null, Float.NaN);  // decode step sees all keys
    }

    @Test
    void causalAttentionIgnoresFutureKeysEntirely() {
        // Changing the keys and values a query may not see must not change its output.
        int t = 3, s = 6, d = 4;
        float[] q = normal(1, t * d);
        float[] k = normal(2, s * d);
        float[] v = normal(3, s * d);
        float[] k2 = k.clone();
        float[] v2 = v.clone();
        for (int j = d * (s - 1); j < s * d; j++) {
            k2[j] += 5;
            v2[j] -= 7; // key s = 5 is visible only to the last query t = 2 (5 <= 2 + 6 - 3)
        }
        float[] a = Functional.scaledDotProductAttention(Tensor.of(q, 1, 1, t, d), Tensor.of(k, 1, 1, s, d), Tensor.of(v, 1, 1, s, d), null, true, Float.NaN).toFloatArray();
        float[] b = Functional.scaledDotProductAttention(Tensor.of(q, 1, 1, t, d), Tensor.of(k2, 1, 1, s, d), Tensor.of(v2, 1, 1, s, d), null, true, Float.NaN).toFloatArray();
        for (int j = 0; j < 2 * d; j++) assertEquals(a[j], b[j], 0f, "queries 0 and 1 must not see key 5");
        boolean changed = false;
        for (int j = 2 * d; j < 3 * d; j++) changed |= a[j] != b[j];
        assertTrue(changed, "query 2 sees key 5");
    }

    @Test
    void groupedQueryAttentionSharesEachKvHeadAcrossItsGroup() {
        checkAttention(2, 4, 2, 3, 5, 6, 3, false, null, null, 0.3f);
        checkAttention(1, 6, 2, 4, 4, 5, 5, true, null, null, Float.NaN);
    }

    @Test
    void keepMaskBlocksPaddingAndFullyMaskedRowsStayFinite() {
        // padding mask [B, 1, 1, S]
        float[] pad = {1, 1, 0, 1, 0, 0, 1, 1, 1, 1};
        checkAttention(2, 4, 2, 3, 5, 4, 3, false, pad, new int[] {2, 1, 1, 5}, Float.NaN);
        // a per-query mask [1, 1, T, S] whose second row blocks every key
        float[] rows = {1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1};
        checkAttention(1, 2, 1, 3, 4, 4, 2, false, rows, new int[] {1, 1, 3, 4}, Float.NaN);
        checkAttention(1, 2, 1, 3, 4, 4, 2, true, rows, new int[] {1, 1, 3, 4}, Float.NaN);
    }

    // ------------------------------------------------------------------------------------------ rope

    @Test
    void ropeIsTheRotateHalfForm() {
        int b = 2, h = 3, t = 5, d = 8;
        float[] x = normal(20, b * h * t * d);
        float[] cos = new float[t * d / 2];
        float[] sin = new float[t * d / 2];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < d / 2; i++) {
                double th = p * Math.pow(10000, -2.0 * i / d) + 0.1 * i;
                cos[p * d / 2 + i] = (float) Math.cos(th);
                sin[p * d / 2 + i] = (float) Math.sin(th);
            }
        }
        float[] y = Functional.rope(Tensor.of(x, b, h, t, d), Tensor.of(cos, t, d / 2), Tensor.of(sin, t, d / 2)).toFloatArray();
        double[] ref = new double[x.length];
        for (int r = 0; r < b * h * t; r++) {
            int p = r % t;
            for (int i = 0; i < d / 2; i++) {
                double c = cos[p * d / 2 + i];
                double s = sin[p * d / 2 + i];
                double x1 = x[r * d + i];
                double x2 = x[r * d + i + d / 2];
                ref[r * d + i] = x1 * c - x2 * s;
                ref[r * d + i + d / 2] = x2 * c + x1 * s;
            }
        }
        assertClose("rope", ref, y, 1e-6, 1e-6);
    }

    // ------------------------------------------------------------------------------------------ unary functions

    @Test
    void geluBothFormsMatchFloat64() {
        float[] x = uniform(21, 2001, -6, 6);
        double[] erfRef = new double[x.length];
        double[] tanhRef = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            erfRef[i] = 0.5 * v * (1 + TestSupport.erf(v / Math.sqrt(2)));
            tanhRef[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        }
        Tensor t = Tensor.of(x, x.length);
        // erf is approximated to 1.5e-7 absolute (Abramowitz-Stegun 7.1.26): gelu error <= 0.5 |x| 1.5e-7
        assertClose("gelu (erf)", erfRef, t.gelu().toFloatArray(), 1e-6, 1e-6);
        assertClose("gelu (tanh)", tanhRef, t.geluTanh().toFloatArray(), 1e-6, 1e-6);
    }

    @Test
    void erfReferenceItselfIsRight() {
        // published values: erf(0.5) = 0.5204998778130465, erf(1) = 0.8427007929497149, erf(2) = 0.9953222650189527
        assertEquals(0.5204998778130465, TestSupport.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, TestSupport.erf(1), 1e-15);
        assertEquals(0.9953222650189527, TestSupport.erf(2), 1e-15);
        assertEquals(-0.9999779095030014, TestSupport.erf(-3), 1e-15);
    }

    @Test
    void otherUnaryFunctionsMatchFloat64() {
        float[] x = uniform(22, 999, -5, 5);
        float[] pos = uniform(23, 999, 0.01, 9);
        Tensor t = Tensor.of(x, 27, 37);
        Tensor p = Tensor.of(pos, 999);
        double[] r = new double[999];
        java.util.function.DoubleUnaryOperator[] fs = {Math::exp, Math::tanh, v -> 1 / (1 + Math.exp(-v)), v -> v / (1 + Math.exp(-v)),
                Math::abs, v -> -v, v -> Math.max(v, 0), v -> Math.min(Math.max(v, -1.5), 2.5), Math::signum};
        Tensor[] got = {t.exp(), t.tanh(), t.sigmoid(), t.silu(), t.abs(), t.neg(), t.relu(), t.clamp(-1.5f, 2.5f), t.sign()};
        String[] names = {"exp", "tanh", "sigmoid", "silu", "abs", "neg", "relu", "clamp", "sign"};
        for (int f = 0; f < fs.length; f++) {
            for (int i = 0; i < 999; i++) r[i] = fs[f].applyAsDouble(x[i]);
            assertClose(names[f], r, got[f].toFloatArray(), 1e-7, 2e-7);
        }
        java.util.function.DoubleUnaryOperator[] ps = {Math::log, Math::sqrt, v -> 1 / Math.sqrt(v), v -> 1 / v, v -> Math.pow(v, 2.5), v -> Math.pow(v, -0.5), v -> 3 / v};
        Tensor[] pgot = {p.log(), p.sqrt(), p.rsqrt(), p.reciprocal(), p.pow(2.5f), p.pow(-0.5f), p.rdiv(3f)};
        String[] pnames = {"log", "sqrt", "rsqrt", "reciprocal", "pow 2.5", "pow -0.5", "rdiv"};
        for (int f = 0; f < ps.length; f++) {
            for (int i = 0; i < 999; i++) r[i] = ps[f].applyAsDouble(pos[i]);
            assertClose(pnames[f], r, pgot[f].toFloatArray(), 1e-7, 3e-7);
        }
    }

    /**
     * SiLU's gradient against float64, on 999 elements (a sigmoid in double, then float arithmetic). Where
     * x is near -1.3, 1 + x(1 - s) cancels and a float evaluation loses a few ulps: the tolerance is PyTorch's
     * default for float32 ({@code torch.testing.assert_close}: rtol 1.3e-6).
     */
    @Test
    void siluGradientMatchesFloat64() {
        float[] x = uniform(24, 999, -9, 9);
        float[] up = uniform(25, 999, -2, 2);
        Tensor t = Tensor.of(x, 27, 37).requiresGrad(true);
        t.silu().mul(Tensor.of(up, 27, 37)).sum().backward();
        double[] r = new double[999];
        for (int i = 0; i < 999; i++) {
            double sg = 1 / (1 + Math.exp(-x[i]));
            r[i] = up[i] * sg * (1 + x[i] * (1 - sg));
        }
        assertClose("silu gradient", r, t.grad().toFloatArray(), 1e-7, 1.3e-6);
    }

    // ------------------------------------------------------------------------------------------ reductions

    @Test
    void sumOverDimsWithKeepdimMatchesFloat64() {
        float[] x = normal(30, 3 * 5 * 7);
        Tensor t = Tensor.of(x, 3, 5, 7);
        Tensor s02 = t.sum(new int[] {0, 2}, true);
        assertArrayEquals(new int[] {1, 5, 1}, s02.shape());
        Tensor s1 = t.sum(1, false);
        assertArrayEquals(new int[] {3, 7}, s1.shape());
        double[] r02 = new double[5];
        double[] r1 = new double[21];
        double all = 0;
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 5; b++) {
                for (int c = 0; c < 7; c++) {
                    double v = x[a * 35 + b * 7 + c];
                    r02[b] += v;
                    r1[a * 7 + c] += v;
                    all += v;
                }
            }
        }
        assertClose("sum({0,2}, keepdim)", r02, s02.toFloatArray(), 1e-5, 1e-6);
        assertClose("sum(1)", r1, s1.toFloatArray(), 1e-5, 1e-6);
        assertEquals(all, t.sum().item(), 1e-4);
        assertEquals(0, t.sum().dim());
        assertEquals(all / 105, t.mean().item(), 1e-6);
        double[] m1 = new double[21];
        for (int i = 0; i < 21; i++) m1[i] = r1[i] / 5;
        assertClose("mean(1)", m1, t.mean(1, false).toFloatArray(), 1e-6, 1e-6);
    }

    @Test
    void longSumsAreAccurate() {
        // 1e6 values of 0.1: a naive float accumulator drifts by ~1e-3 relative; the kernel accumulates in double
        int n = 1_000_003;
        Tensor t = Tensor.full(0.1f, n);
        assertEquals(n * (double) 0.1f, t.sum().item(), n * 0.1 * 1e-6);
    }

    @Test
    void maxWithIndicesAndArgmaxUseTheFirstMaximum() {
        float[] x = {1, 3, 3, 2, /**/ 5, 5, 5, 5, /**/ -1, -4, -1, -4};
        Tensor t = Tensor.of(x, 3, 4);
        Tensor.ValuesIndices mx = t.maxWithIndices(1, false);
        assertArrayEquals(new float[] {3, 5, -1}, mx.values().toFloatArray());
        assertArrayEquals(new long[] {1, 0, 0}, mx.indices().toLongArray());
        assertEquals(DType.I64, mx.indices().dtype());
        assertArrayEquals(new long[] {1, 0, 0}, t.argmax(1, false).toLongArray());
        Tensor.ValuesIndices mn = t.minWithIndices(1, true);
        assertArrayEquals(new int[] {3, 1}, mn.values().shape());
        assertArrayEquals(new float[] {1, 5, -4}, mn.values().toFloatArray());
        assertArrayEquals(new long[] {0, 0, 1}, mn.indices().toLongArray());
        assertArrayEquals(new long[] {0, 0, 1}, t.argmin(1, false).toLongArray());
        // along dim 0 with ties: column 1 has 3, 5, -4 -> row 1; column 0 has 1, 5, -1 -> row 1
        assertArrayEquals(new long[] {1, 1, 1, 1}, t.argmax(0, false).toLongArray());
        assertEquals(5f, t.max().item());
        assertEquals(-4f, t.min().item());
    }

    @Test
    void nanPropagatesThroughMaxMinAndMaximum() {
        float nan = Float.NaN;
        Tensor t = Tensor.of(new float[] {1, nan, 3, /**/ 4, 5, 6}, 2, 3);
        Tensor.ValuesIndices m = t.maxWithIndices(1, false);
        assertTrue(Float.isNaN(m.values().toFloatArray()[0]));
        assertEquals(6f, m.values().toFloatArray()[1]);
        assertArrayEquals(new long[] {1, 2}, m.indices().toLongArray(), "the NaN's position");
        assertTrue(Float.isNaN(t.min(1, false).toFloatArray()[0]));
        float[] mx = t.maximum(Tensor.full(2f, 2, 3)).toFloatArray();
        assertTrue(Float.isNaN(mx[1]));
        assertEquals(2f, mx[0]);
        assertTrue(Float.isNaN(Tensor.full(2f, 2, 3).minimum(t).toFloatArray()[1]));
    }

    @Test
    void maxAlongEachDimOfARandomTensorMatchesALoop() {
        float[] x = normal(31, 3 * 5 * 7);
        Tensor t = Tensor.of(x, 3, 5, 7);
        Tensor.ValuesIndices m = t.maxWithIndices(1, false);
        float[] vals = m.values().toFloatArray();
        long[] idx = m.indices().toLongArray();
        for (int a = 0; a < 3; a++) {
            for (int c = 0; c < 7; c++) {
                int best = 0;
                for (int b = 1; b < 5; b++) if (x[a * 35 + b * 7 + c] > x[a * 35 + best * 7 + c]) best = b;
                assertEquals(best, idx[a * 7 + c]);
                assertEquals(x[a * 35 + best * 7 + c], vals[a * 7 + c]);
            }
        }
    }

    @Test
    void logsumexpIsStableForLargeInputs() {
        float[] x = normal(32, 4 * 9);
        for (int i = 0; i < x.length; i++) x[i] = x[i] * 3 + 500; // exp(500) overflows even in double... in float, anything > 88
        double[] ref = new double[4];
        for (int r = 0; r < 4; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 9; j++) max = Math.max(max, x[r * 9 + j]);
            double s = 0;
            for (int j = 0; j < 9; j++) s += Math.exp(x[r * 9 + j] - max);
            ref[r] = max + Math.log(s);
        }
        Tensor l = Tensor.of(x, 4, 9).logsumexp(1, false);
        assertArrayEquals(new int[] {4}, l.shape());
        assertClose("logsumexp", ref, l.toFloatArray(), 1e-4, 1e-6);
        assertArrayEquals(new int[] {4, 1}, Tensor.of(x, 4, 9).logsumexp(-1, true).shape());
    }

    @Test
    void varianceWithEachCorrection() {
        float[] x = normal(33, 6 * 11);
        for (int i = 0; i < x.length; i++) x[i] = x[i] * 2 + 50;
        Tensor t = Tensor.of(x, 6, 11);
        for (int correction = 0; correction <= 2; correction++) {
            double[] ref = new double[6];
            for (int r = 0; r < 6; r++) {
                double mu = 0;
                for (int j = 0; j < 11; j++) mu += x[r * 11 + j];
                mu /= 11;
                double ss = 0;
                for (int j = 0; j < 11; j++) ss += (x[r * 11 + j] - mu) * (x[r * 11 + j] - mu);
                ref[r] = ss / (11 - correction);
            }
            assertClose("var correction " + correction, ref, t.var(1, false, correction).toFloatArray(), 1e-5, 1e-5);
        }
        assertClose("var default is unbiased", toD(t.var(1, false, 1).toFloatArray()), t.var(1, false).toFloatArray(), 0, 0);
        assertArrayEquals(new int[] {1, 11}, t.var(0, true).shape());
    }

    private static double[] toD(float[] f) {
        return TestSupport.toDouble(f);
    }

    // ------------------------------------------------------------------------------------------ indexing

    @Test
    void gatherMatchesALoopAlongEachDim() {
        float[] x = normal(40, 3 * 5 * 7);
        Tensor t = Tensor.of(x, 3, 5, 7);
        // dim 1: index [3, 4, 7] into size 5
        long[] i1 = TestSupport.indices(41, 3 * 4 * 7, 5);
        float[] g1 = t.gather(1, Tensor.ofLongs(i1, 3, 4, 7)).toFloatArray();
        for (int a = 0; a < 3; a++) for (int b = 0; b < 4; b++) for (int c = 0; c < 7; c++) {
            assertEquals(x[a * 35 + (int) i1[a * 28 + b * 7 + c] * 7 + c], g1[a * 28 + b * 7 + c]);
        }
        // dim 2 with an index smaller than the input in dim 0 too: [2, 5, 3]
        int[] i2 = TestSupport.toInts(TestSupport.indices(42, 2 * 5 * 3, 7));
        float[] g2 = t.gather(2, Tensor.ofInts(i2, 2, 5, 3)).toFloatArray();
        for (int a = 0; a < 2; a++) for (int b = 0; b < 5; b++) for (int c = 0; c < 3; c++) {
            assertEquals(x[a * 35 + b * 7 + i2[a * 15 + b * 3 + c]], g2[a * 15 + b * 3 + c]);
        }
        // dim 0
        long[] i0 = TestSupport.indices(43, 2 * 5 * 7, 3);
        float[] g0 = t.gather(0, Tensor.ofLongs(i0, 2, 5, 7)).toFloatArray();
        for (int a = 0; a < 2; a++) for (int b = 0; b < 5; b++) for (int c = 0; c < 7; c++) {
            assertEquals(x[(int) i0[a * 35 + b * 7 + c] * 35 + b * 7 + c], g0[a * 35 + b * 7 + c]);
        }
    }

    @Test
    void indexSelectAndEmbeddingMatchALoop() {
        float[] x = normal(44, 3 * 5 * 7);
        Tensor t = Tensor.of(x, 3, 5, 7);
        long[] idx = {4, 0, 4, 2, 1, 1};
        float[] s = t.indexSelect(1, Tensor.ofLongs(idx, 6)).toFloatArray();
        for (int a = 0; a < 3; a++) for (int i = 0; i < 6; i++) for (int c = 0; c < 7; c++) {
            assertEquals(x[a * 35 + (int) idx[i] * 7 + c], s[a * 42 + i * 7 + c]);
        }
        float[] w = normal(45, 10 * 6);
        int[] ids = {9, 0, 3, 3, 7, 1};
        Tensor e = Tensor.of(w, 10, 6).embedding(Tensor.ofInts(ids, 3, 2));
        assertArrayEquals(new int[] {3, 2, 6}, e.shape());
        float[] ev = e.toFloatArray();
        for (int i = 0; i < 6; i++) for (int c = 0; c < 6; c++) assertEquals(w[ids[i] * 6 + c], ev[i * 6 + c]);
    }

    @Test
    void scatterAddAndIndexAddAccumulateCollisions() {
        float[] self = normal(46, 3 * 5);
        float[] src = normal(47, 3 * 4);
        long[] index = {0, 0, 4, 0, /**/ 1, 2, 3, 3, /**/ 4, 4, 4, 4};
        float[] out = Tensor.of(self, 3, 5).scatterAdd(1, Tensor.ofLongs(index, 3, 4), Tensor.of(src, 3, 4)).toFloatArray();
        double[] ref = TestSupport.toDouble(self);
        for (int r = 0; r < 3; r++) for (int j = 0; j < 4; j++) ref[r * 5 + (int) index[r * 4 + j]] += src[r * 4 + j];
        assertClose("scatterAdd", ref, out, 1e-6, 1e-6);

        float[] base = normal(48, 4 * 3 * 2);
        float[] add = normal(49, 4 * 5 * 2);
        long[] rows = {2, 0, 2, 2, 1};
        float[] o2 = Tensor.of(base, 4, 3, 2).indexAdd(1, Tensor.ofLongs(rows, 5), Tensor.of(add, 4, 5, 2)).toFloatArray();
        double[] r2 = TestSupport.toDouble(base);
        for (int a = 0; a < 4; a++) for (int i = 0; i < 5; i++) for (int c = 0; c < 2; c++) {
            r2[a * 6 + (int) rows[i] * 2 + c] += add[a * 10 + i * 2 + c];
        }
        assertClose("indexAdd", r2, o2, 1e-6, 1e-6);
    }

    @Test
    void scatterAddAndIndexAddLeaveTheirInputUnchanged() {
        float[] self = normal(50, 6);
        Tensor s = Tensor.of(self, 2, 3);
        s.scatterAdd(1, Tensor.ofLongs(new long[] {0, 2}, 2, 1), Tensor.of(new float[] {5, 6}, 2, 1));
        s.indexAdd(0, Tensor.ofLongs(new long[] {1}, 1), Tensor.of(new float[] {1, 2, 3}, 1, 3));
        assertArrayEquals(self, s.toFloatArray());
    }

    // ------------------------------------------------------------------------------------------ cat / stack / split

    @Test
    void catStackAndSplitRoundTrip() {
        float[] a = normal(51, 3 * 2 * 7);
        float[] b = normal(52, 3 * 4 * 7);
        Tensor c = Tensor.cat(List.of(Tensor.of(a, 3, 2, 7), Tensor.of(b, 3, 4, 7)), 1);
        assertArrayEquals(new int[] {3, 6, 7}, c.shape());
        float[] cv = c.toFloatArray();
        for (int x = 0; x < 3; x++) for (int y = 0; y < 6; y++) for (int z = 0; z < 7; z++) {
            float e = y < 2 ? a[x * 14 + y * 7 + z] : b[x * 28 + (y - 2) * 7 + z];
            assertEquals(e, cv[x * 42 + y * 7 + z]);
        }
        List<Tensor> parts = c.split(new int[] {2, 4}, 1);
        assertArrayEquals(a, parts.get(0).toFloatArray());
        assertArrayEquals(b, parts.get(1).toFloatArray());
        List<Tensor> even = c.split(4, 1);
        assertEquals(2, even.size());
        assertArrayEquals(new int[] {3, 2, 7}, even.get(1).shape());
        List<Tensor> chunks = c.chunk(4, 2); // 7 -> 2, 2, 2, 1
        assertEquals(4, chunks.size());
        assertArrayEquals(new int[] {3, 6, 1}, chunks.get(3).shape());

        float[] p = normal(53, 15);
        float[] q = normal(54, 15);
        Tensor st = Tensor.stack(List.of(Tensor.of(p, 3, 5), Tensor.of(q, 3, 5)), 2);
        assertArrayEquals(new int[] {3, 5, 2}, st.shape());
        float[] sv = st.toFloatArray();
        for (int i = 0; i < 15; i++) {
            assertEquals(p[i], sv[2 * i]);
            assertEquals(q[i], sv[2 * i + 1]);
        }
    }

    @Test
    void catPromotesMixedDtypes() {
        Tensor c = Tensor.cat(List.of(Tensor.of(new float[] {1.5f, 2.5f}, 2), Tensor.ofInts(new int[] {7}, 1)), 0);
        assertEquals(DType.F32, c.dtype());
        assertArrayEquals(new float[] {1.5f, 2.5f, 7f}, c.toFloatArray());
    }

    // ------------------------------------------------------------------------------------------ broadcasting

    @Test
    void broadcastingFollowsNumpyRules() {
        float[] a = normal(60, 3 * 1 * 7);
        float[] b = normal(61, 5 * 1);
        Tensor c = Tensor.of(a, 3, 1, 7).mul(Tensor.of(b, 5, 1));
        assertArrayEquals(new int[] {3, 5, 7}, c.shape());
        float[] cv = c.toFloatArray();
        for (int x = 0; x < 3; x++) for (int y = 0; y < 5; y++) for (int z = 0; z < 7; z++) {
            assertEquals(a[x * 7 + z] * b[y], cv[x * 35 + y * 7 + z]);
        }
        Tensor s = Tensor.of(a, 3, 1, 7).sub(Tensor.scalar(2f));
        float[] sv = s.toFloatArray();
        for (int i = 0; i < 21; i++) assertEquals(a[i] - 2f, sv[i]);
        Tensor w = Tensor.where(Tensor.of(new float[] {1, 0, 1}, 3, 1), Tensor.of(b, 5), Tensor.scalar(-1f));
        assertArrayEquals(new int[] {3, 5}, w.shape());
        float[] wv = w.toFloatArray();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) assertEquals(i == 1 ? -1f : b[j], wv[i * 5 + j]);
    }

    @Test
    void incompatibleShapesAreRejectedWithBothShapesInTheMessage() {
        Tensor a = Tensor.of(normal(62, 15), 3, 5);
        Tensor b = Tensor.of(normal(63, 4), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertTrue(e.getMessage().contains("add") && e.getMessage().contains("[3, 5]") && e.getMessage().contains("[4]"), e.getMessage());
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> a.maximum(Tensor.of(normal(64, 6), 2, 3)));
        assertTrue(m.getMessage().contains("maximum") && m.getMessage().contains("[2, 3]"), m.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> Tensor.where(Tensor.ones(2, 1), a, b));
        assertTrue(w.getMessage().contains("where"), w.getMessage());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> a.expand(4, 5));
        assertTrue(x.getMessage().contains("expand") && x.getMessage().contains("[3, 5]") && x.getMessage().contains("[4, 5]"), x.getMessage());
    }
}

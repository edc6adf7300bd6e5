package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.awayFromZero;
import static org.racro4j.core.TestSupport.normal;

import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * cumsum, cumprod, prod, amax/amin, var/std and norms: forward values against float64 loops written here,
 * gradients against finite differences, and PyTorch's conventions at ties and zeros (which finite differences
 * cannot see, so those are compared with gradients worked out by hand).
 */
@ExtendWith(ScopePerTest.class)
class ScanNormOpsTest {
    private static final int[] S = {3, 5, 7};
    private static final int N = 105;

    // ------------------------------------------------------------------------------------------ float64 references

    /** Inclusive running sum or product along dim d of a row-major array. */
    private static double[] scanRef(float[] x, int[] shape, int d, boolean product) {
        int[] st = TestSupport.stridesOf(shape);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int coord = (i / st[d]) % shape[d];
            if (coord == 0) out[i] = x[i];
            else out[i] = product ? out[i - st[d]] * x[i] : out[i - st[d]] + x[i];
        }
        return out;
    }

    /** f of each slice over the reduced dims, in the row-major order of the result. */
    private static double[] reduceRef(float[] x, int[] shape, int[] dims, ToDoubleFunction<double[]> f) {
        boolean[] reduce = new boolean[shape.length];
        for (int d : dims) reduce[d < 0 ? d + shape.length : d] = true;
        int[] kept = shape.clone();
        int sliceLen = 1;
        for (int d = 0; d < shape.length; d++) {
            if (reduce[d]) {
                sliceLen *= shape[d];
                kept[d] = 1;
            }
        }
        int[] st = TestSupport.stridesOf(shape);
        int[] keptSt = TestSupport.stridesOf(kept);
        int outN = TestSupport.numel(kept);
        double[][] slices = new double[outN][sliceLen];
        int[] fill = new int[outN];
        for (int i = 0; i < x.length; i++) {
            int o = 0;
            for (int d = 0; d < shape.length; d++) if (!reduce[d]) o += ((i / st[d]) % shape[d]) * keptSt[d];
            slices[o][fill[o]++] = x[i];
        }
        double[] out = new double[outN];
        for (int o = 0; o < outN; o++) out[o] = f.applyAsDouble(slices[o]);
        return out;
    }

    private static double sumOf(double[] v) {
        double s = 0;
        for (double a : v) s += a;
        return s;
    }

    private static double varOf(double[] v, int correction) {
        double mean = sumOf(v) / v.length;
        double ss = 0;
        for (double a : v) ss += (a - mean) * (a - mean);
        return ss / Math.max(0, v.length - correction);
    }

    private static double pNormOf(double[] v, double p) {
        if (p == Double.POSITIVE_INFINITY) {
            double m = 0;
            for (double a : v) m = Math.max(m, Math.abs(a));
            return m;
        }
        double s = 0;
        for (double a : v) s += Math.pow(Math.abs(a), p);
        return Math.pow(s, 1 / p);
    }

    private static double productOf(double[] v) {
        double p = 1;
        for (double a : v) p *= a;
        return p;
    }

    private static double maxOf(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double a : v) m = Math.max(m, a);
        return m;
    }

    private static double minOf(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double a : v) m = Math.min(m, a);
        return m;
    }

    /** Values 0.05 apart in random order, so no two tie even after a +-0.01 finite-difference step. */
    private static float[] distinct(long seed, int n, float start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = start + 0.05f * i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    /** Magnitudes in [lo, hi) with random signs: products of dozens of them neither overflow nor vanish. */
    private static float[] nearOne(long seed, int n, double lo, double hi) {
        return awayFromZero(seed, n, lo, hi);
    }

    /** The logical row-major values of a (possibly strided) 3x5x7 view of data stored as 7x5x3. */
    private static float[] transposedValues(float[] stored) {
        return Tensor.of(stored, 7, 5, 3).transpose(0, 2).contiguous().toFloatArray();
    }

    /** The leaf's gradient; tests compare it with a delta (even 0) so that -0 and 0 count as equal. */
    private static float[] gradOf(Tensor leaf) {
        return leaf.grad().toFloatArray();
    }

    private static void assertRejected(String opAndValue, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String part : opAndValue.split(" ")) assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------ cumsum, cumprod

    @Test
    void cumsumAndCumprodMatchLoopsAlongEveryDim() {
        float[] x = normal(1, N);
        float[] px = nearOne(2, N, 0.7, 1.3);
        for (int d = -3; d < 3; d++) {
            int dd = d < 0 ? d + 3 : d;
            assertClose("cumsum(" + d + ")", scanRef(x, S, dd, false), Tensor.of(x, S).cumsum(d).toFloatArray(), 1e-5, 1e-5);
            assertClose("cumprod(" + d + ")", scanRef(px, S, dd, true), Tensor.of(px, S).cumprod(d).toFloatArray(), 1e-6, 1e-5);
            assertArrayEquals(S, Tensor.of(x, S).cumsum(d).shape());
        }
        // lengths that are not powers of two, and 1, stress the shifted passes
        for (int n : new int[] {1, 2, 13, 16, 17, 33}) {
            float[] v = normal(3 + n, n);
            float[] pv = nearOne(4 + n, n, 0.8, 1.2);
            assertClose("cumsum n=" + n, scanRef(v, new int[] {n}, 0, false), Tensor.of(v, n).cumsum(0).toFloatArray(), 1e-5, 1e-5);
            assertClose("cumprod n=" + n, scanRef(pv, new int[] {n}, 0, true), Tensor.of(pv, n).cumprod(-1).toFloatArray(), 1e-6, 1e-5);
        }
    }

    @Test
    void cumsumAndCumprodOfANonContiguousView() {
        float[] stored = normal(5, N);
        float[] logical = transposedValues(stored);
        Tensor view = Tensor.of(stored, 7, 5, 3).transpose(0, 2);
        assertClose("cumsum of a transpose", scanRef(logical, S, 2, false), view.cumsum(2).toFloatArray(), 1e-5, 1e-5);
        assertClose("cumprod of a transpose", scanRef(logical, S, 1, true), view.cumprod(1).toFloatArray(), 1e-6, 1e-5);
        Tensor strided = Tensor.of(stored, 7, 15).slice(1, 1, 15, 2); // 7 x 7, stride 2
        float[] sv = strided.contiguous().toFloatArray();
        assertClose("cumsum of a strided slice", scanRef(sv, new int[] {7, 7}, 1, false), strided.cumsum(-1).toFloatArray(), 1e-5, 1e-5);
    }

    @Test
    void scansKeepPyTorchDtypesAndHandleScalars() {
        Tensor ints = Tensor.ofInts(new int[] {3, -1, 4, 1, 5, 9, 2}, 7);
        assertEquals(DType.I64, ints.cumsum(0).dtype(), "integer cumsum widens to I64, as in PyTorch");
        assertArrayEquals(new long[] {3, 2, 6, 7, 12, 21, 23}, ints.cumsum(0).toLongArray());
        assertArrayEquals(new long[] {3, -3, -12, -12, -60, -540, -1080}, ints.cumprod(0).toLongArray());
        Tensor bf = Tensor.of(new float[] {1.5f, 2f, -0.25f, 4f}, 4).to(DType.BF16);
        assertEquals(DType.BF16, bf.cumsum(0).dtype());
        assertArrayEquals(new float[] {1.5f, 3.5f, 3.25f, 7.25f}, bf.cumsum(0).toFloatArray());
        Tensor s = Tensor.scalar(2.5f);
        assertEquals(0, s.cumsum(0).dim());
        assertEquals(2.5f, s.cumsum(-1).item());
        assertEquals(2.5f, s.cumprod(0).item());
        Tensor empty = Tensor.zeros(3, 0);
        assertArrayEquals(new int[] {3, 0}, empty.cumsum(1).shape());
    }

    @Test
    void cumsumAndCumprodGradients() {
        for (int d : new int[] {0, 1, 2, -1}) {
            check("cumsum(" + d + ")", x -> x[0].cumsum(d), in(normal(10 + d, N), S));
            check("cumprod(" + d + ")", x -> x[0].cumprod(d), in(nearOne(20 + d, N, 0.7, 1.3), S));
        }
        check("cumsum 17", x -> x[0].cumsum(0), in(normal(30, 17), 17));
        check("cumprod 13", x -> x[0].cumprod(0), in(nearOne(31, 13, 0.8, 1.2), 13));
        check("cumprod 17", x -> x[0].cumprod(-1), in(nearOne(32, 17, 0.8, 1.2), 17));
        check("cumsum over a length-1 dim", x -> x[0].cumsum(1).mul(x[0]), in(normal(33, 15), 3, 1, 5));
        check("cumprod over a length-1 dim", x -> x[0].cumprod(1).mul(x[0]), in(normal(34, 15), 3, 1, 5));
        check("cumsum of a transpose", x -> x[0].transpose(0, 2).cumsum(1), in(normal(35, N), 7, 5, 3));
        check("cumprod of a transpose", x -> x[0].transpose(0, 2).cumprod(2), in(nearOne(36, N, 0.7, 1.3), 7, 5, 3));
    }

    /**
     * The gradient of sum_j w_j cumprod(x)_j with respect to x_i is sum over j &gt;= i of w_j times the product of
     * x_0..x_j without x_i: finite with zeros in x, where a rule dividing cumprod by x would give NaN.
     */
    @Test
    void cumprodGradientIsExactWithZerosInTheInput() {
        float[][] cases = {{2, 0, 3, 0.5f, -1.5f, 4}, {2, 0, 3, 0, 5, 1.5f}, {0, 1.5f, -2, 3, 0.5f, 2}, {0, 0, 0, 1, 2, 3}};
        float[] w = {0.5f, -1, 1.5f, 2, -0.75f, 1.25f};
        for (float[] x : cases) {
            int n = x.length;
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    double p = w[j];
                    for (int k = 0; k <= j; k++) if (k != i) p *= x[k];
                    expected[i] += p;
                }
            }
            Tensor leaf = Tensor.of(x, n).requiresGrad(true);
            leaf.cumprod(0).mul(Tensor.of(w, n)).sum().backward();
            assertClose("cumprod grad with zeros " + java.util.Arrays.toString(x), expected, gradOf(leaf), 1e-6, 1e-6);
        }
        // cumprod is linear in each element, so finite differences are exact across a zero too
        float[] withZeros = nearOne(40, N, 0.7, 1.3);
        for (int i = 0; i < N; i += 9) withZeros[i] = 0f;
        check("cumprod(1) with zeros", x -> x[0].cumprod(1), in(withZeros, S));
    }

    // ------------------------------------------------------------------------------------------ prod

    @Test
    void prodMatchesLoops() {
        float[] x = nearOne(50, N, 0.7, 1.3);
        for (int d = -3; d < 3; d++) {
            int[] dims = {d};
            double[] ref = reduceRef(x, S, dims, ScanNormOpsTest::productOf);
            Tensor kept = Tensor.of(x, S).prod(d, true);
            Tensor squeezed = Tensor.of(x, S).prod(d, false);
            assertClose("prod(" + d + ", keepdim)", ref, kept.toFloatArray(), 1e-6, 1e-5);
            assertClose("prod(" + d + ")", ref, squeezed.toFloatArray(), 1e-6, 1e-5);
            assertEquals(3, kept.dim());
            assertEquals(2, squeezed.dim());
        }
        float[] all = nearOne(51, N, 0.9, 1.1);
        assertEquals(productOf(TestSupport.toDouble(all)), Tensor.of(all, S).prod().item(), 1e-5);
        assertEquals(0, Tensor.of(all, S).prod().dim());
        for (int n : new int[] {1, 2, 3, 13, 16, 17}) {
            float[] v = nearOne(52 + n, n, 0.8, 1.2);
            assertEquals(productOf(TestSupport.toDouble(v)), Tensor.of(v, n).prod(0, false).item(), 1e-5, "prod n=" + n);
        }
        Tensor view = Tensor.of(x, 7, 5, 3).transpose(0, 2);
        assertClose("prod of a transpose", reduceRef(transposedValues(x), S, new int[] {2}, ScanNormOpsTest::productOf),
                view.prod(2, false).toFloatArray(), 1e-6, 1e-5);
        Tensor ints = Tensor.ofInts(new int[] {2, -3, 4, 1, 5, 6}, 2, 3);
        assertEquals(DType.I64, ints.prod(1, false).dtype());
        assertArrayEquals(new long[] {-24, 30}, ints.prod(1, false).toLongArray());
        assertEquals(1f, Tensor.zeros(0).prod().item(), "the empty product");
        assertArrayEquals(new float[] {1, 1}, Tensor.zeros(2, 0).prod(1, false).toFloatArray());
        assertEquals(-1.5f, Tensor.scalar(-1.5f).prod(0, true).item());
    }

    @Test
    void prodGradients() {
        for (int d : new int[] {0, 1, 2, -1}) {
            check("prod(" + d + ")", x -> x[0].prod(d, false), in(nearOne(60 + d, N, 0.7, 1.3), S));
        }
        check("prod(1, keepdim)", x -> x[0].prod(1, true), in(nearOne(65, N, 0.7, 1.3), S));
        check("prod()", x -> x[0].prod(), in(nearOne(66, N, 0.9, 1.1), S));
        check("prod 13", x -> x[0].prod(0, false), in(nearOne(67, 13, 0.8, 1.2), 13));
        check("prod 17", x -> x[0].prod(-1, false), in(nearOne(68, 17, 0.8, 1.2), 17));
        check("prod over a length-1 dim", x -> x[0].prod(1, false).mul(x[0].squeeze(1)), in(normal(69, 15), 3, 1, 5));
        check("prod of a transpose", x -> x[0].transpose(0, 2).prod(0, false), in(nearOne(70, N, 0.7, 1.3), 7, 5, 3));
    }

    @Test
    void prodGradientIsTheProductOfTheOthersWithOneZeroOrTwo() {
        float[] rows = {2, 0, 3, /**/ 2, 0, 0, /**/ -1, 4, 0.5f, /**/ 0, 0, 0};
        Tensor leaf = Tensor.of(rows, 4, 3).requiresGrad(true);
        leaf.prod(1, false).sum().backward();
        float[] expected = {0, 6, 0, /**/ 0, 0, 0, /**/ 2, -0.5f, -4, /**/ 0, 0, 0};
        assertArrayEquals(expected, gradOf(leaf), 0f);
        Tensor one = Tensor.of(new float[] {1.5f, 0, -2, 3, 0.5f}, 5).requiresGrad(true);
        one.prod().backward();
        assertArrayEquals(new float[] {0, -4.5f, 0, 0, 0}, gradOf(one), 0f);
        // the product is linear in each element, so finite differences across zeros are exact
        float[] withZeros = nearOne(71, N, 0.7, 1.3);
        withZeros[0] = 0f;
        withZeros[7] = 0f;
        withZeros[50] = 0f;
        check("prod(2) with zeros", x -> x[0].prod(2, false), in(withZeros, S));
    }

    // ------------------------------------------------------------------------------------------ amax, amin

    @Test
    void amaxAndAminMatchLoops() {
        float[] x = normal(80, N);
        int[][] dimSets = {{0}, {1}, {2}, {-1}, {0, 2}, {-1, 0}, {0, 1, 2}};
        for (int[] dims : dimSets) {
            String name = java.util.Arrays.toString(dims);
            Tensor t = Tensor.of(x, S);
            assertClose("amax" + name, reduceRef(x, S, dims, ScanNormOpsTest::maxOf), t.amax(dims, false).toFloatArray(), 0, 0);
            assertClose("amin" + name, reduceRef(x, S, dims, ScanNormOpsTest::minOf), t.amin(dims, true).toFloatArray(), 0, 0);
            assertEquals(3 - dims.length, t.amax(dims, false).dim());
            assertEquals(3, t.amin(dims, true).dim());
        }
        Tensor view = Tensor.of(x, 7, 5, 3).transpose(0, 2);
        assertClose("amax of a transpose", reduceRef(transposedValues(x), S, new int[] {1}, ScanNormOpsTest::maxOf),
                view.amax(1, false).toFloatArray(), 0, 0);
        assertEquals(-4f, Tensor.scalar(-4f).amin(-1, false).item());
        assertArrayEquals(new float[] {6, 9}, Tensor.ofInts(new int[] {1, 6, 3, 9, 2, 0}, 2, 3).amax(1, false).toFloatArray());
    }

    @Test
    void amaxAndAminGradientsAwayFromTies() {
        for (int d : new int[] {0, 1, 2, -1}) {
            check("amax(" + d + ")", x -> x[0].amax(d, false), in(distinct(90 + d, N, -2.6f), S));
            check("amin(" + d + ", keepdim)", x -> x[0].amin(d, true), in(distinct(95 + d, N, -2.6f), S));
        }
        check("amax({0, 2})", x -> x[0].amax(new int[] {0, 2}, false), in(distinct(100, N, -2.6f), S));
        check("amin({-1, 1}, keepdim)", x -> x[0].amin(new int[] {-1, 1}, true), in(distinct(101, N, -2.6f), S));
        check("amax of a transpose", x -> x[0].transpose(0, 2).amax(0, false), in(distinct(102, N, -2.6f), 7, 5, 3));
        check("amax over a length-1 dim", x -> x[0].amax(1, false), in(normal(103, 15), 3, 1, 5));
    }

    @Test
    void amaxAndAminSplitTheGradientEvenlyAmongTies() {
        Tensor x = Tensor.of(new float[] {1, 3, 3, /**/ 2, 2, 2, /**/ 0, 5, -1}, 3, 3).requiresGrad(true);
        x.amax(1, false).backward(Tensor.of(new float[] {2, 3, 4}, 3));
        assertArrayEquals(new float[] {0, 1, 1, /**/ 1, 1, 1, /**/ 0, 4, 0}, gradOf(x), 0f);
        x.zeroGrad();
        x.amin(-1, true).backward(Tensor.of(new float[] {2, 3, 4}, 3, 1));
        assertArrayEquals(new float[] {2, 0, 0, /**/ 1, 1, 1, /**/ 0, 0, 4}, gradOf(x), 0f);
        x.zeroGrad();
        // ties across both reduced dims share one gradient
        Tensor y = Tensor.of(new float[] {4, 1, 4, /**/ 4, 0, 2}, 2, 3).requiresGrad(true);
        y.amax(new int[] {0, 1}, false).mul(3f).backward();
        assertArrayEquals(new float[] {1, 0, 1, /**/ 1, 0, 0}, gradOf(y), 0f);
        y.zeroGrad();
        y.amin(new int[] {1, 0}, true).backward(Tensor.of(new float[] {5}, 1, 1));
        assertArrayEquals(new float[] {0, 0, 0, /**/ 0, 5, 0}, gradOf(y), 0f);
        y.zeroGrad();
    }

    // ------------------------------------------------------------------------------------------ max, min, maximum ties

    @Test
    void maxAndMinOfAllElementsSplitTheGradientEvenlyAmongTies() {
        Tensor x = Tensor.of(new float[] {1, 5, /**/ 5, 2, /**/ 5, 0}, 3, 2).requiresGrad(true);
        Tensor m = x.max();
        assertEquals(0, m.dim());
        assertEquals(5f, m.item());
        m.backward();
        float third = 1f / 3;
        assertArrayEquals(new float[] {0, third, third, 0, third, 0}, gradOf(x), 1e-7f);
        x.zeroGrad();
        Tensor y = Tensor.of(new float[] {0, 3, /**/ 0, 0}, 2, 2).requiresGrad(true);
        y.min().mul(6f).backward();
        assertArrayEquals(new float[] {2, 0, 2, 2}, gradOf(y), 0f);
        y.zeroGrad();
        // a transposed view, with the maximum tied between two elements
        Tensor z = Tensor.of(new float[] {7, 1, 7, -2, 3, 0}, 2, 3).requiresGrad(true);
        z.t().max().backward();
        assertArrayEquals(new float[] {0.5f, 0, 0.5f, 0, 0, 0}, gradOf(z), 0f);
        z.zeroGrad();
        Tensor s = Tensor.scalar(2f).requiresGrad(true);
        s.max().backward();
        assertEquals(1f, s.grad().item());
        s.zeroGrad();
    }

    @Test
    void aNanResultSharesTheGradientLikePyTorch() {
        // max() and min(): a NaN result is tied with every NaN element, which share the gradient
        Tensor x = Tensor.of(new float[] {1, Float.NaN, 3, Float.NaN}, 4).requiresGrad(true);
        Tensor m = x.max();
        assertTrue(Float.isNaN(m.item()));
        m.backward();
        assertArrayEquals(new float[] {0, 0.5f, 0, 0.5f}, gradOf(x), 0f);
        x.zeroGrad();
        x.min().backward();
        assertArrayEquals(new float[] {0, 0.5f, 0, 0.5f}, gradOf(x), 0f);
        x.zeroGrad();
        // amax compares NaN == NaN as false, as PyTorch's amax backward does, so a NaN slice gets a NaN gradient
        Tensor y = Tensor.of(new float[] {1, Float.NaN, /**/ 3, 2}, 2, 2).requiresGrad(true);
        y.amax(1, false).sum().backward();
        float[] g = gradOf(y);
        assertTrue(Float.isNaN(g[0]) && Float.isNaN(g[1]), java.util.Arrays.toString(g));
        assertArrayEquals(new float[] {1, 0}, new float[] {g[2], g[3]}, 0f);
        y.zeroGrad();
    }

    @Test
    void maxAndMinAlongADimSendTheWholeGradientToTheFirstTiedIndex() {
        Tensor x = Tensor.of(new float[] {1, 3, 3, /**/ 2, 2, 2, /**/ 4, 0, 4}, 3, 3).requiresGrad(true);
        x.max(1, false).backward(Tensor.of(new float[] {2, 3, 4}, 3));
        assertArrayEquals(new float[] {0, 2, 0, /**/ 3, 0, 0, /**/ 4, 0, 0}, gradOf(x), 0f);
        x.zeroGrad();
        x.min(0, true).sum().backward();
        // column minima: column 0 is 1 (row 0), column 1 is 0 (row 2), column 2 ties 2 (row 1) only
        assertArrayEquals(new float[] {1, 0, 0, /**/ 0, 0, 1, /**/ 0, 1, 0}, gradOf(x), 0f);
        x.zeroGrad();
        Tensor.ValuesIndices mi = x.maxWithIndices(0, false);
        assertArrayEquals(new long[] {2, 0, 2}, mi.indices().toLongArray());
        mi.values().sum().backward();
        assertArrayEquals(new float[] {0, 1, 0, /**/ 0, 0, 0, /**/ 1, 0, 1}, gradOf(x), 0f);
        x.zeroGrad();
    }

    @Test
    void maximumAndMinimumGiveEachSideHalfTheGradientAtATie() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 4).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {1, 5, 3, 0}, 4).requiresGrad(true);
        a.maximum(b).sum().backward();
        assertArrayEquals(new float[] {0.5f, 0, 0.5f, 1}, gradOf(a), 0f);
        assertArrayEquals(new float[] {0.5f, 1, 0.5f, 0}, gradOf(b), 0f);
        a.zeroGrad();
        b.zeroGrad();
        a.minimum(b).sum().backward();
        assertArrayEquals(new float[] {0.5f, 1, 0.5f, 0}, gradOf(a), 0f);
        assertArrayEquals(new float[] {0.5f, 0, 0.5f, 1}, gradOf(b), 0f);
        a.zeroGrad();
        b.zeroGrad();

        // broadcast: b [3] against a [2, 3]; b's gradient sums its halves over the broadcast rows
        Tensor p = Tensor.of(new float[] {1, 2, 3, /**/ 3, 2, 1}, 2, 3).requiresGrad(true);
        Tensor q = Tensor.of(new float[] {1, 2, 1}, 3).requiresGrad(true);
        p.maximum(q).backward(Tensor.of(new float[] {2, 2, 2, /**/ 4, 4, 4}, 2, 3));
        assertArrayEquals(new float[] {1, 1, 2, /**/ 4, 2, 2}, gradOf(p), 0f);
        assertArrayEquals(new float[] {1, 3, 2}, gradOf(q), 0f);
        p.zeroGrad();
        q.zeroGrad();
        p.minimum(q).sum().backward();
        assertArrayEquals(new float[] {0.5f, 0.5f, 0, /**/ 0, 0.5f, 0.5f}, gradOf(p), 0f);
        assertArrayEquals(new float[] {1.5f, 1, 1.5f}, gradOf(q), 0f);
        p.zeroGrad();
        q.zeroGrad();
    }

    // ------------------------------------------------------------------------------------------ var, std

    @Test
    void varAndStdMatchLoops() {
        float[] x = normal(110, N);
        int[][] dimSets = {{0}, {1}, {2}, {-1}, {0, 2}, {-2, -1}, {0, 1, 2}};
        for (int[] dims : dimSets) {
            for (int c : new int[] {0, 1, 2}) {
                String name = java.util.Arrays.toString(dims) + ", correction " + c;
                Tensor t = Tensor.of(x, S);
                double[] var = reduceRef(x, S, dims, v -> varOf(v, c));
                double[] std = new double[var.length];
                for (int i = 0; i < var.length; i++) std[i] = Math.sqrt(var[i]);
                assertClose("var" + name, var, t.var(dims, true, c).toFloatArray(), 1e-6, 1e-5);
                assertClose("std" + name, std, t.std(dims, false, c).toFloatArray(), 1e-6, 1e-5);
                assertEquals(3, t.var(dims, true, c).dim());
                assertEquals(3 - dims.length, t.std(dims, false, c).dim());
            }
        }
        Tensor t = Tensor.of(x, S);
        assertEquals(varOf(TestSupport.toDouble(x), 1), t.var().item(), 1e-5);
        assertEquals(Math.sqrt(varOf(TestSupport.toDouble(x), 1)), t.std().item(), 1e-5);
        assertEquals(0, t.std().dim());
        assertClose("std(1)", reduceRef(x, S, new int[] {1}, v -> Math.sqrt(varOf(v, 1))), t.std(1, false).toFloatArray(), 1e-6, 1e-5);
        assertClose("std(-1, keepdim, 0)", reduceRef(x, S, new int[] {2}, v -> Math.sqrt(varOf(v, 0))),
                t.std(-1, true, 0).toFloatArray(), 1e-6, 1e-5);
        Tensor view = Tensor.of(x, 7, 5, 3).transpose(0, 2);
        assertClose("std of a transpose", reduceRef(transposedValues(x), S, new int[] {0}, v -> Math.sqrt(varOf(v, 1))),
                view.std(0, false).toFloatArray(), 1e-6, 1e-5);
        // one element with correction 1 divides 0 by 0, as in PyTorch
        assertTrue(Float.isNaN(Tensor.of(new float[] {3f}, 1).std(0, false).item()));
    }

    @Test
    void varAndStdGradients() {
        for (int d : new int[] {0, 1, 2, -1}) {
            check("std(" + d + ")", x -> x[0].std(d, false), in(normal(120 + d, N), S));
        }
        check("std(1, keepdim, 0)", x -> x[0].std(1, true, 0), in(normal(125, N), S));
        check("std({0, 2}, correction 2)", x -> x[0].std(new int[] {0, 2}, false, 2), in(normal(126, N), S));
        check("std()", x -> x[0].std(), in(normal(127, N), S));
        check("var()", x -> x[0].var(), in(normal(128, N), S));
        check("var({-1, 0}, keepdim, 1)", x -> x[0].var(new int[] {-1, 0}, true, 1), in(normal(129, N), S));
        check("std of a transpose", x -> x[0].transpose(0, 2).std(2, false), in(normal(130, N), 7, 5, 3));
    }

    @Test
    void stdGradientIsZeroOnAConstantSliceAsInPyTorch() {
        Tensor x = Tensor.of(new float[] {2, 2, 2, /**/ 1, 2, 6}, 2, 3).requiresGrad(true);
        Tensor s = x.std(1, false);
        assertEquals(0f, s.toFloatArray()[0]);
        s.sum().backward();
        // row 1: mean 3, var (4 + 1 + 9) / 2 = 7, d std / d x_i = (x_i - 3) / (2 sqrt 7)
        float k = (float) (1 / (2 * Math.sqrt(7)));
        assertArrayEquals(new float[] {0, 0, 0, /**/ -2 * k, -k, 3 * k}, gradOf(x), 1e-6f);
        x.zeroGrad();
        Tensor c = Tensor.full(1.5f, 4).requiresGrad(true);
        c.std().backward();
        assertArrayEquals(new float[] {0, 0, 0, 0}, gradOf(c), 0f);
        c.zeroGrad();
    }

    // ------------------------------------------------------------------------------------------ norms

    @Test
    void normsMatchLoops() {
        float[] x = normal(140, N);
        float[] ps = {1f, 2f, Float.POSITIVE_INFINITY, 3f, 0.5f, 1.5f};
        int[][] dimSets = {{0}, {1}, {-1}, {0, 2}, {2, 0, 1}};
        for (float p : ps) {
            for (int[] dims : dimSets) {
                String name = "norm(" + p + ", " + java.util.Arrays.toString(dims) + ")";
                double[] ref = reduceRef(x, S, dims, v -> pNormOf(v, p));
                Tensor t = Tensor.of(x, S);
                assertClose(name, ref, t.norm(p, dims, false).toFloatArray(), 1e-6, 2e-5);
                assertEquals(3, t.norm(p, dims, true).dim(), name + " keepdim");
                assertEquals(3 - dims.length, t.norm(p, dims, false).dim(), name);
            }
            assertClose("norm(" + p + ", 1)", reduceRef(x, S, new int[] {1}, v -> pNormOf(v, p)),
                    Tensor.of(x, S).norm(p, 1, true).toFloatArray(), 1e-6, 2e-5);
        }
        assertEquals(pNormOf(TestSupport.toDouble(x), 2), Tensor.of(x, S).norm().item(), 1e-5);
        assertEquals(0, Tensor.of(x, S).norm().dim());
        Tensor view = Tensor.of(x, 7, 5, 3).transpose(0, 2);
        assertClose("norm of a transpose", reduceRef(transposedValues(x), S, new int[] {2}, v -> pNormOf(v, 2)),
                view.norm(2f, 2, false).toFloatArray(), 1e-6, 1e-5);
        assertEquals(0f, Tensor.zeros(4).norm().item());
        assertEquals(2.5f, Tensor.scalar(-2.5f).norm(1f, 0, false).item());
    }

    @Test
    void normGradients() {
        float[] away = awayFromZero(150, N, 0.1, 2);
        check("norm()", x -> x[0].norm(), in(normal(151, N), S));
        for (int d : new int[] {0, 1, 2, -1}) {
            check("norm(2, " + d + ")", x -> x[0].norm(2f, d, false), in(normal(152 + d, N), S));
            check("norm(1, " + d + ")", x -> x[0].norm(1f, d, true), in(away, S));
        }
        check("norm(inf, 1)", x -> x[0].norm(Float.POSITIVE_INFINITY, 1, false), in(signedDistinct(160, N), S));
        check("norm(inf, {0, 2}, keepdim)", x -> x[0].norm(Float.POSITIVE_INFINITY, new int[] {0, 2}, true), in(signedDistinct(161, N), S));
        check("norm(3, -1)", x -> x[0].norm(3f, -1, false), in(normal(162, N), S));
        check("norm(0.5, 1)", x -> x[0].norm(0.5f, 1, false), in(awayFromZero(163, N, 0.2, 2), S));
        check("norm(1.5, {0, 1})", x -> x[0].norm(1.5f, new int[] {0, 1}, false), in(awayFromZero(164, N, 0.2, 2), S));
        check("norm(2, {-1, 0}, keepdim)", x -> x[0].norm(2f, new int[] {-1, 0}, true), in(normal(165, N), S));
        check("norm of a transpose", x -> x[0].transpose(0, 2).norm(2f, 1, false), in(normal(166, N), 7, 5, 3));
        check("norm over a length-1 dim", x -> x[0].norm(2f, 1, false), in(awayFromZero(167, 15, 0.1, 2), 3, 1, 5));
    }

    /** Magnitudes 0.05 apart (from 0.1) with random signs: no two |x| tie, even after a finite-difference step. */
    private static float[] signedDistinct(long seed, int n) {
        float[] v = distinct(seed, n, 0.1f);
        float[] signs = awayFromZero(seed + 1, n, 1, 1.5);
        for (int i = 0; i < n; i++) v[i] = Math.copySign(v[i], signs[i]);
        return v;
    }

    @Test
    void normGradientIsZeroAtAZeroVectorAsInPyTorch() {
        Tensor x = Tensor.of(new float[] {0, 0, 0, /**/ 3, 4, 0}, 2, 3).requiresGrad(true);
        x.norm(2f, 1, false).sum().backward();
        assertArrayEquals(new float[] {0, 0, 0, /**/ 0.6f, 0.8f, 0}, gradOf(x), 1e-7f);
        x.zeroGrad();
        Tensor zero = Tensor.zeros(5).requiresGrad(true);
        zero.norm().backward();
        assertArrayEquals(new float[5], gradOf(zero), 0f);
        zero.zeroGrad();
        for (float p : new float[] {0.5f, 3f, 1f, Float.POSITIVE_INFINITY}) {
            zero.norm(p, 0, false).backward();
            assertArrayEquals(new float[5], gradOf(zero), 0f, "p = " + p);
            zero.zeroGrad();
        }
        // p < 1: a zero element of a non-zero vector gets 0 (its |x|^(p-1) alone is infinite), as in PyTorch
        Tensor y = Tensor.of(new float[] {4, 0, 1}, 3).requiresGrad(true);
        y.norm(0.5f, 0, false).backward();
        // norm = (2 + 0 + 1)^2 = 9; d/dx_i = sign(x_i) |x_i|^(-1/2) norm^(1/2) = 3 / sqrt|x_i|
        assertArrayEquals(new float[] {1.5f, 0, 3}, gradOf(y), 1e-6f);
        y.zeroGrad();
    }

    @Test
    void infNormSplitsTheGradientEvenlyAmongTiedMagnitudes() {
        Tensor x = Tensor.of(new float[] {3, -3, 1, /**/ -2, 0.5f, 1}, 2, 3).requiresGrad(true);
        x.norm(Float.POSITIVE_INFINITY, 1, false).backward(Tensor.of(new float[] {2, 4}, 2));
        assertArrayEquals(new float[] {1, -1, 0, /**/ -4, 0, 0}, gradOf(x), 0f);
        x.zeroGrad();
    }

    // ------------------------------------------------------------------------------------------ errors

    @Test
    void badArgumentsNameTheOpAndTheValue() {
        Tensor t = Tensor.of(normal(170, N), S);
        assertRejected("cumsum 3", () -> t.cumsum(3));
        assertRejected("cumprod -4", () -> t.cumprod(-4));
        assertRejected("cumsum 1", () -> Tensor.scalar(1f).cumsum(1));
        assertRejected("prod 5", () -> t.prod(5, false));
        assertRejected("amax repeated", () -> t.amax(new int[] {0, -3}, false));
        assertRejected("amin no dims", () -> t.amin(new int[0], false));
        assertRejected("amax empty", () -> Tensor.zeros(2, 0).amax(1, false));
        assertRejected("max empty", () -> Tensor.zeros(0).max());
        assertRejected("std 3", () -> t.std(3, false));
        assertRejected("var repeated", () -> t.var(new int[] {1, 1}, false, 1));
        assertRejected("std I64", () -> Tensor.ofLongs(new long[] {1, 2}, 2).std());
        assertRejected("norm 0.0", () -> t.norm(0f, 1, false));
        assertRejected("norm -1.0", () -> t.norm(-1f, 1, false));
        assertRejected("norm NaN", () -> t.norm(Float.NaN, new int[] {0}, false));
        assertRejected("norm I32", () -> Tensor.ofInts(new int[] {1, 2}, 2).norm());
        assertRejected("norm 7", () -> t.norm(2f, 7, false));
    }
}

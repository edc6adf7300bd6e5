package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.awayFrom;
import static org.racro4j.core.TestSupport.normal;
import static org.racro4j.core.TestSupport.uniform;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

/**
 * The elementwise math ops (sin, cos, tan, log1p, expm1, erf, softplus, logSigmoid, where with scalars): forward
 * against float64 references written here (none calls the function under test), in several layouts, at the
 * hard points (tiny arguments for log1p/expm1, large ones for sin/cos/softplus/logSigmoid), and gradients by
 * finite differences.
 */
class MathOpsTest {
    private static final int[] S = {3, 5, 7};
    private static final int N = 3 * 5 * 7;
    /** Half a float ulp is 6e-8 relative; results rounded once from double (or twice) stay below this. */
    private static final double FLOAT_RTOL = 2e-7;
    private static final double TINY = 1e-44;

    // ============================================================================================ float64 references

    private static final MathContext MC = new MathContext(50);
    private static final BigDecimal HALF_PI = new BigDecimal("1.5707963267948966192313216916397514420985846996875529");

    /** x = k pi/2 + r with |r| &lt;= pi/4, the reduction done in 50-digit decimal so no digit of r is lost. */
    private static double[] reduce(double x) {
        BigDecimal bx = new BigDecimal(x);
        BigDecimal k = bx.divide(HALF_PI, MC).setScale(0, RoundingMode.HALF_EVEN);
        double r = bx.subtract(k.multiply(HALF_PI, MC), MC).doubleValue();
        return new double[] {Math.floorMod(k.intValueExact(), 4), r};
    }

    /** Taylor series of sin and cos for |r| &lt;= pi/4, where their terms fall off fast and nothing cancels badly. */
    private static double sinSeries(double r) {
        double term = r;
        double sum = r;
        for (int n = 1; n < 30; n++) {
            term *= -r * r / ((2 * n) * (2 * n + 1));
            sum += term;
        }
        return sum;
    }

    private static double cosSeries(double r) {
        double term = 1;
        double sum = 1;
        for (int n = 1; n < 30; n++) {
            term *= -r * r / ((2 * n - 1) * (2 * n));
            sum += term;
        }
        return sum;
    }

    static double sinRef(double x) {
        double[] kr = reduce(x);
        return switch ((int) kr[0]) {
            case 0 -> sinSeries(kr[1]);
            case 1 -> cosSeries(kr[1]);
            case 2 -> -sinSeries(kr[1]);
            default -> -cosSeries(kr[1]);
        };
    }

    static double cosRef(double x) {
        double[] kr = reduce(x);
        return switch ((int) kr[0]) {
            case 0 -> cosSeries(kr[1]);
            case 1 -> -sinSeries(kr[1]);
            case 2 -> -cosSeries(kr[1]);
            default -> sinSeries(kr[1]);
        };
    }

    /**
     * log(1 + x): the series x - x^2/2 + x^3/3 - ... near 0; elsewhere log(1 + x) in double, where 1 + x is exact
     * for any float x of magnitude above 2^-29.
     */
    static double log1pRef(double x) {
        if (Math.abs(x) < 1e-3) {
            double power = x;
            double sum = 0;
            for (int k = 1; k < 12; k++) {
                sum += power / k * (k % 2 == 1 ? 1 : -1);
                power *= x;
            }
            return sum;
        }
        return Math.log(1.0 + x);
    }

    /** exp(x) - 1: the Taylor series x + x^2/2! + ... for |x| &lt; 0.5; beyond, exp(x) - 1 loses at most 2 bits of 53. */
    static double expm1Ref(double x) {
        if (Math.abs(x) >= 0.5) return Math.exp(x) - 1.0;
        double term = x;
        double sum = x;
        for (int k = 2; k < 25; k++) {
            term *= x / k;
            sum += term;
        }
        return sum;
    }

    /** PyTorch's softplus rule in double. */
    static double softplusRef(double x, double beta, double threshold) {
        double z = beta * x;
        if (z > threshold) return x;
        // log(1 + e^z) = z + log(1 + e^-z) for z > 0, so the exp never overflows
        double sp = z > 0 ? z + log1pRef(Math.exp(-z)) : log1pRef(Math.exp(z));
        return sp / beta;
    }

    /** log sigmoid(x) = min(x, 0) - log(1 + e^-|x|): a different formula from the op's -softplus(-x). */
    static double logSigmoidRef(double x) {
        return Math.min(x, 0) - log1pRef(Math.exp(-Math.abs(x)));
    }

    @Test
    void theReferencesThemselvesHitKnownValues() {
        assertEquals(0.8414709848078965, sinRef(1), 1e-16);
        assertEquals(-0.5063656411097588, sinRef(100), 1e-15);
        assertEquals(0.8623188722876839, cosRef(100), 1e-15);
        assertEquals(-0.4161468365471424, cosRef(2), 3e-16);
        assertEquals(9.999995000003333e-7, log1pRef(1e-6), 1e-21);
        assertEquals(1.0000005000001667e-6, expm1Ref(1e-6), 1e-21);
        assertEquals(0.6931471805599453, softplusRef(0, 1, 20), 1e-16);
        assertEquals(-2.0611536203143808e-9, logSigmoidRef(20), 1e-24);   // -(e^-20 - e^-40 / 2)
    }

    // ============================================================================================ helpers

    private static float[] scaled(float[] x, float s) {
        float[] o = x.clone();
        for (int i = 0; i < o.length; i++) o[i] *= s;
        return o;
    }

    /** |x| log-uniform in [lo, hi), random sign. */
    private static float[] logUniform(long seed, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double m = lo * Math.pow(hi / lo, r.nextDouble());
            out[i] = (float) (r.nextBoolean() ? m : -m);
        }
        return out;
    }

    private static float[] concat(float[] a, float... b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** out must hold ref(x) for the row-major logical inputs x, element by element. */
    private static void expect(String what, Tensor out, float[] x, DoubleUnaryOperator ref, double atol, double rtol) {
        assertEquals(x.length, out.numel(), what + ": element count");
        double[] e = new double[x.length];
        for (int i = 0; i < x.length; i++) e[i] = ref.applyAsDouble(x[i]);
        assertClose(what, e, out.toFloatArray(), atol, rtol);
    }

    /**
     * The op on 3x5x7, on a transposed (non-contiguous) 5x7 view, on a stride-2 slice of 13 with an offset, on one
     * element and on a 0-d scalar.
     */
    private static void checkLayouts(String name, UnaryOperator<Tensor> op, DoubleUnaryOperator ref, IntFunction<float[]> data,
                                     double atol, double rtol) {
        try (Scope scope = Scope.open()) {
            float[] a = data.apply(N);
            Tensor outA = op.apply(Tensor.of(a, S));
            assertArrayEquals(S, outA.shape(), name + ": shape");
            expect(name + " [3,5,7]", outA, a, ref, atol, rtol);

            float[] b = data.apply(35);
            Tensor t = Tensor.of(b, 7, 5).transpose(-1, -2);
            assertFalse(t.isContiguous());
            float[] bt = new float[35];
            for (int i = 0; i < 5; i++) for (int j = 0; j < 7; j++) bt[i * 7 + j] = b[j * 5 + i];
            Tensor outT = op.apply(t);
            assertArrayEquals(new int[] {5, 7}, outT.shape(), name + ": transposed shape");
            expect(name + " transposed [5,7]", outT, bt, ref, atol, rtol);

            float[] c = data.apply(27);
            Tensor sliced = Tensor.of(c, 27).slice(-1, 1, 27, 2);
            float[] cs = new float[13];
            for (int i = 0; i < 13; i++) cs[i] = c[1 + 2 * i];
            expect(name + " strided slice [13]", op.apply(sliced), cs, ref, atol, rtol);

            float[] d = data.apply(1);
            expect(name + " [1]", op.apply(Tensor.of(d, 1)), d, ref, atol, rtol);
            Tensor zeroDim = op.apply(Tensor.scalar(d[0]));
            assertEquals(0, zeroDim.dim(), name + ": a 0-d input gives a 0-d output");
            expect(name + " 0-d", zeroDim, d, ref, atol, rtol);
        }
    }

    private static void checkValues(String name, UnaryOperator<Tensor> op, DoubleUnaryOperator ref, float[] x, double atol, double rtol) {
        try (Scope scope = Scope.open()) {
            expect(name, op.apply(Tensor.of(x, x.length)), x, ref, atol, rtol);
        }
    }

    // ============================================================================================ forward

    @Test
    void sinAndCos() {
        checkLayouts("sin", Tensor::sin, MathOpsTest::sinRef, n -> scaled(normal(1, n), 3f), TINY, FLOAT_RTOL);
        checkLayouts("cos", Tensor::cos, MathOpsTest::cosRef, n -> scaled(normal(2, n), 3f), TINY, FLOAT_RTOL);
    }

    @Test
    void sinAndCosOfLargeArgumentsKeepTheirRelativeAccuracy() {
        float[] x = concat(uniform(3, 301, -100, 100), 100f, -100f, 99.99f, 3.1415927f, 1.5707964f, -62.831852f);
        checkValues("sin large |x|", Tensor::sin, MathOpsTest::sinRef, x, TINY, FLOAT_RTOL);
        checkValues("cos large |x|", Tensor::cos, MathOpsTest::cosRef, x, TINY, FLOAT_RTOL);
    }

    @Test
    void tan() {
        // away from the poles at odd multiples of pi/2, where a float ulp of x moves tan by more than the tolerance
        double[] poles = {-5 * Math.PI / 2, -3 * Math.PI / 2, -Math.PI / 2, Math.PI / 2, 3 * Math.PI / 2, 5 * Math.PI / 2};
        DoubleUnaryOperator ref = v -> sinRef(v) / cosRef(v);
        // sin and cos are rounded to float, then their quotient: three roundings
        checkLayouts("tan", Tensor::tan, ref, n -> awayFrom(4, n, -8, 8, 0.1, poles), TINY, 4e-7);
    }

    @Test
    void log1p() {
        checkLayouts("log1p", Tensor::log1p, MathOpsTest::log1pRef, n -> uniform(5, n, -0.95, 20), TINY, FLOAT_RTOL);
    }

    @Test
    void log1pKeepsFullRelativeAccuracyNearZero() {
        // log(1 + x) in float would keep only the digits of x above 6e-8: a relative error up to 6e-8 / x
        float[] x = concat(logUniform(6, 200, 1e-7, 1e-3), 1e-30f, -1e-30f, Float.MIN_NORMAL);
        checkValues("log1p tiny", Tensor::log1p, MathOpsTest::log1pRef, x, 0, FLOAT_RTOL);
        try (Scope scope = Scope.open()) {
            float[] y = Tensor.of(new float[] {-1f, -2f, Float.POSITIVE_INFINITY}, 3).log1p().toFloatArray();
            assertEquals(Float.NEGATIVE_INFINITY, y[0]);
            assertTrue(Float.isNaN(y[1]), "log1p below -1 is NaN");
            assertEquals(Float.POSITIVE_INFINITY, y[2]);
        }
    }

    @Test
    void expm1() {
        checkLayouts("expm1", Tensor::expm1, MathOpsTest::expm1Ref, n -> scaled(normal(7, n), 4f), TINY, FLOAT_RTOL);
    }

    @Test
    void expm1KeepsFullRelativeAccuracyNearZero() {
        float[] x = concat(logUniform(8, 200, 1e-7, 1e-3), 1e-30f, -1e-30f, 80f, -80f);
        checkValues("expm1 tiny", Tensor::expm1, MathOpsTest::expm1Ref, x, 0, FLOAT_RTOL);
        try (Scope scope = Scope.open()) {
            float[] y = Tensor.of(new float[] {100f, -200f}, 2).expm1().toFloatArray();
            assertEquals(Float.POSITIVE_INFINITY, y[0], "expm1 overflows to inf like exp");
            assertEquals(-1f, y[1]);
        }
    }

    @Test
    void erf() {
        checkLayouts("erf", Tensor::erf, TestSupport::erf, n -> scaled(normal(9, n), 1.5f), TINY, FLOAT_RTOL);
    }

    @Test
    void erfOverItsWholeRangeAndAtSpecialValues() {
        float[] x = concat(uniform(10, 400, -6, 6), logUniform(11, 100, 1e-30, 1e-2));
        checkValues("erf wide", Tensor::erf, TestSupport::erf, x, TINY, FLOAT_RTOL);
        try (Scope scope = Scope.open()) {
            float[] y = Tensor.of(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0f, -0f}, 5)
                    .erf().toFloatArray();
            assertEquals(1f, y[0]);
            assertEquals(-1f, y[1]);
            assertTrue(Float.isNaN(y[2]));
            assertEquals(0f, y[3]);
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(y[4]), "erf(-0) = -0, as erf is odd");
        }
    }

    @Test
    void softplusWithPyTorchsDefaults() {
        checkLayouts("softplus", Tensor::softplus, v -> softplusRef(v, 1, 20), n -> scaled(normal(12, n), 8f), TINY, 3e-7);
        // large |x|: the linear branch above the threshold, and e^x with full relative accuracy far below 0
        float[] x = concat(awayFrom(13, 200, -80, 80, 0.01, 20), 20f, 20.5f, 1000f, -1000f, 1e30f, -1e30f);
        checkValues("softplus large |x|", Tensor::softplus, v -> softplusRef(v, 1, 20), x, TINY, 3e-7);
    }

    @Test
    void softplusWithBetaAndThreshold() {
        // beta a power of 2, so that beta x and 1/beta are exact in float as they are in the reference
        for (float[] bt : new float[][] {{2f, 5f}, {0.5f, 3f}, {4f, -1f}}) {
            float beta = bt[0];
            float threshold = bt[1];
            checkLayouts("softplus(" + beta + ", " + threshold + ")", x -> x.softplus(beta, threshold),
                    v -> softplusRef(v, beta, threshold), n -> scaled(normal(14, n), 5f), TINY, 3e-7);
        }
    }

    @Test
    void logSigmoid() {
        checkLayouts("logSigmoid", Tensor::logSigmoid, MathOpsTest::logSigmoidRef, n -> scaled(normal(15, n), 6f), TINY, 3e-7);
    }

    @Test
    void logSigmoidIsStableFarOut() {
        float[] x = concat(uniform(16, 200, -80, 80), -1000f, -100f, -30f, -20f, 20f, 30f, 50f, 80f);
        checkValues("logSigmoid large |x|", Tensor::logSigmoid, MathOpsTest::logSigmoidRef, x, TINY, 3e-7);
        try (Scope scope = Scope.open()) {
            float[] y = Tensor.of(new float[] {-1000f, 1000f, 30f}, 3).logSigmoid().toFloatArray();
            assertEquals(-1000f, y[0], "logSigmoid(-1000) is -1000, not -inf");
            assertEquals(0.0, y[1], 0.0, "logSigmoid(1000) is 0 (here -0: the op negates softplus(-x) = +0)");
            assertEquals(-Math.exp(-30), y[2], 1e-7 * Math.exp(-30), "logSigmoid(30) ~ -exp(-30)");
        }
    }

    @Test
    void resultDtypes() {
        try (Scope scope = Scope.open()) {
            Tensor bf = Tensor.of(normal(17, 6), 2, 3).to(DType.BF16);
            for (Tensor r : new Tensor[] {bf.sin(), bf.cos(), bf.tan(), bf.log1p(), bf.expm1(), bf.erf(), bf.softplus(),
                    bf.softplus(2f, 5f), bf.logSigmoid()}) {
                assertEquals(DType.BF16, r.dtype());
                assertArrayEquals(new int[] {2, 3}, r.shape());
            }
            // integer inputs give F32 (PyTorch's integer-to-float promotion for sin, erf, ...)
            Tensor ints = Tensor.ofLongs(new long[] {0, 1, 2}, 3);
            assertEquals(DType.F32, ints.sin().dtype());
            assertClose("sin of I64", new double[] {0, sinRef(1), sinRef(2)}, ints.sin().toFloatArray(), TINY, FLOAT_RTOL);
            assertEquals(DType.F32, ints.erf().dtype());
            assertEquals(DType.F32, ints.softplus().dtype());
        }
    }

    // ============================================================================================ gradients

    @Test
    void sinGrad() {
        check("sin", x -> x[0].sin(), in(scaled(normal(20, N), 3f), S));
        check("sin of a transpose", x -> x[0].transpose(-1, 0).sin(), in(scaled(normal(21, N), 3f), S));
    }

    @Test
    void cosGrad() {
        check("cos", x -> x[0].cos(), in(scaled(normal(22, N), 3f), S));
        check("cos of a strided slice", x -> x[0].slice(-1, 1, 7, 2).cos(), in(scaled(normal(23, N), 3f), S));
    }

    @Test
    void tanGrad() {
        check("tan", x -> x[0].tan(), in(uniform(24, N, -1.2, 1.2), S));
        check("tan of a transpose", x -> x[0].transpose(-2, -1).tan(), in(uniform(25, 13, -1.2, 1.2), 13, 1));
    }

    @Test
    void log1pGrad() {
        check("log1p", x -> x[0].log1p(), in(uniform(26, N, -0.5, 3), S));
        check("log1p of a transpose", x -> x[0].transpose(0, -1).log1p(), in(uniform(27, N, -0.5, 3), S));
    }

    @Test
    void expm1Grad() {
        check("expm1", x -> x[0].expm1(), in(uniform(28, N, -2, 1.5), S));
        check("expm1 of a slice", x -> x[0].slice(-2, 0, 5, 3).expm1(), in(uniform(29, N, -2, 1.5), S));
    }

    @Test
    void erfGrad() {
        check("erf", x -> x[0].erf(), in(scaled(normal(30, N), 1.2f), S));
        check("erf of a transpose", x -> x[0].transpose(-3, -1).erf(), in(scaled(normal(31, N), 1.2f), S));
    }

    @Test
    void softplusGrad() {
        // x on both sides of the threshold 20, never within a step of it (softplus jumps there by 2e-9)
        check("softplus", x -> x[0].softplus(), in(awayFrom(32, N, -25, 25, 0.05, 20), S));
        check("softplus of a transpose", x -> x[0].transpose(-1, -2).softplus(), in(scaled(normal(33, N), 3f), S));
    }

    @Test
    void softplusWithBetaGrad() {
        // beta = 2, threshold = 5: the branches meet at x = 2.5, where the value jumps by log1p(e^-5) / 2 = 3e-3
        check("softplus(2, 5)", x -> x[0].softplus(2f, 5f), in(awayFrom(34, N, -5, 6, 0.05, 2.5), S));
        check("softplus(0.7, 4)", x -> x[0].softplus(0.7f, 4f), in(awayFrom(35, N, -5, 9, 0.05, 4 / 0.7), S));
    }

    @Test
    void softplusFarAboveTheThresholdHasGradientOneNotNaN() {
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.of(new float[] {1000f, 100f, 25f, -1000f}, 4).requiresGrad(true);
            x.softplus().sum().backward();
            assertArrayEquals(new float[] {1f, 1f, 1f, 0f}, x.grad().toFloatArray());
        }
    }

    @Test
    void logSigmoidGrad() {
        check("logSigmoid", x -> x[0].logSigmoid(), in(awayFrom(36, N, -25, 25, 0.05, -20), S));
        check("logSigmoid of a transpose", x -> x[0].transpose(-1, -3).logSigmoid(), in(scaled(normal(37, N), 3f), S));
    }

    @Test
    void logSigmoidGradientFarOutIsSigmoidOfMinusX() {
        try (Scope scope = Scope.open()) {
            float[] xs = {-1000f, -30f, 0f, 30f, 1000f};
            Tensor x = Tensor.of(xs, 5).requiresGrad(true);
            x.logSigmoid().sum().backward();
            double[] expected = new double[xs.length];
            for (int i = 0; i < xs.length; i++) expected[i] = 1 / (1 + Math.exp(xs[i]));   // sigmoid(-x)
            assertClose("d logSigmoid", expected, x.grad().toFloatArray(), TINY, FLOAT_RTOL);
        }
    }

    // ============================================================================================ where with scalars

    /** cond [3,1,5] with random zeros and ones (and a 2.5, which also counts as true). */
    private static float[] condValues() {
        float[] c = normal(40, 15);
        for (int i = 0; i < c.length; i++) c[i] = c[i] > 0 ? 1f : 0f;
        c[3] = 2.5f;
        return c;
    }

    private interface WhereRef {
        double at(boolean take, int i);
    }

    /** Expected where over the broadcast shape [3,4,5] of cond [3,1,5] and a [4,5] tensor. */
    private static double[] whereRef(float[] cond, WhereRef pick) {
        double[] e = new double[60];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 5; k++) e[i * 20 + j * 5 + k] = pick.at(cond[i * 5 + k] != 0f, j * 5 + k);
            }
        }
        return e;
    }

    @Test
    void whereWithScalarsBroadcasts() {
        float[] c = condValues();
        float[] t = normal(41, 20);
        try (Scope scope = Scope.open()) {
            Tensor cond = Tensor.of(c, 3, 1, 5);
            Tensor b = Tensor.of(t, 4, 5);
            Tensor r1 = Tensor.where(cond, 2.5f, b);
            assertArrayEquals(new int[] {3, 4, 5}, r1.shape());
            assertClose("where(cond, 2.5, b)", whereRef(c, (take, i) -> take ? 2.5 : t[i]), r1.toFloatArray(), 0, 0);
            Tensor r2 = Tensor.where(cond, b, -1.25f);
            assertClose("where(cond, a, -1.25)", whereRef(c, (take, i) -> take ? t[i] : -1.25), r2.toFloatArray(), 0, 0);
            // a non-contiguous tensor branch: the transpose of a [5,4] tensor
            float[] tt = new float[20];
            for (int j = 0; j < 4; j++) for (int k = 0; k < 5; k++) tt[k * 4 + j] = t[j * 5 + k];
            Tensor r3 = Tensor.where(cond, 7f, Tensor.of(tt, 5, 4).transpose(-1, -2));
            assertClose("where(cond, 7, transposed b)", whereRef(c, (take, i) -> take ? 7 : t[i]), r3.toFloatArray(), 0, 0);

            Tensor r4 = Tensor.where(cond, 1.5f, -3f);
            assertArrayEquals(new int[] {3, 1, 5}, r4.shape(), "two scalars give cond's shape");
            assertEquals(DType.F32, r4.dtype());
            double[] e4 = new double[15];
            for (int i = 0; i < 15; i++) e4[i] = c[i] != 0f ? 1.5 : -3;
            assertClose("where(cond, 1.5, -3)", e4, r4.toFloatArray(), 0, 0);
        }
    }

    @Test
    void whereScalarTakesTheTensorsFloatingDtype() {
        try (Scope scope = Scope.open()) {
            Tensor cond = Tensor.of(new float[] {1, 0, 1}, 3);
            Tensor bf = Tensor.of(new float[] {4, 5, 6}, 3).to(DType.BF16);
            assertEquals(DType.BF16, Tensor.where(cond, 0.5f, bf).dtype());
            assertEquals(DType.BF16, Tensor.where(cond, bf, 0.5f).dtype());
            Tensor ints = Tensor.ofLongs(new long[] {4, 5, 6}, 3);
            Tensor r = Tensor.where(cond, 0.5f, ints);
            assertEquals(DType.F32, r.dtype(), "a float scalar with an integer tensor gives F32");
            assertArrayEquals(new float[] {0.5f, 5f, 0.5f}, r.toFloatArray());
            // an integer condition works too
            assertArrayEquals(new float[] {9f, 5f, 9f},
                    Tensor.where(Tensor.ofLongs(new long[] {3, 0, -1}, 3), 9f, Tensor.of(new float[] {4, 5, 6}, 3)).toFloatArray());
        }
    }

    @Test
    void whereWithScalarsRejectsShapesThatDoNotBroadcast() {
        try (Scope scope = Scope.open()) {
            Tensor cond = Tensor.of(new float[] {1, 0, 1}, 3);
            Tensor b = Tensor.of(new float[] {1, 2, 3, 4}, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.where(cond, 1f, b));
            assertTrue(e.getMessage().startsWith("where"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Tensor.where(cond, b, 1f));
        }
    }

    @Test
    void whereWithScalarsGradientReachesOnlyTheTensorBranch() {
        float[] c = condValues();
        check("where(cond, 2.5, b)", x -> Tensor.where(Tensor.of(c, 3, 1, 5), 2.5f, x[0]), in(normal(42, 20), 4, 5));
        check("where(cond, a, -1)", x -> Tensor.where(Tensor.of(c, 3, 1, 5), x[0].transpose(-1, -2), -1f),
                in(normal(43, 20), 5, 4));
        try (Scope scope = Scope.open()) {
            float[] m = {1, 0, 0, 1, 1, 0, 1};
            Tensor b = Tensor.of(normal(44, 7), 7).requiresGrad(true);
            Tensor a = Tensor.of(normal(45, 7), 7).requiresGrad(true);
            Tensor.where(Tensor.of(m, 7), 3f, b).sum().backward();
            Tensor.where(Tensor.of(m, 7), a, 3f).sum().backward();
            float[] gb = b.grad().toFloatArray();
            float[] ga = a.grad().toFloatArray();
            for (int i = 0; i < 7; i++) {
                assertEquals(m[i] != 0 ? 0f : 1f, gb[i], "grad of b at " + i);
                assertEquals(m[i] != 0 ? 1f : 0f, ga[i], "grad of a at " + i);
            }
            Tensor both = Tensor.where(Tensor.of(m, 7).requiresGrad(true), 1f, 2f);
            assertFalse(both.requiresGrad(), "two scalars: nothing to differentiate");
            assertNull(both.gradFnName());
        }
    }
}

package org.racro4j.core;

import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.awayFrom;
import static org.racro4j.core.TestSupport.awayFromZero;
import static org.racro4j.core.TestSupport.normal;
import static org.racro4j.core.TestSupport.uniform;

import org.junit.jupiter.api.Test;

/** Finite-difference checks of every differentiable elementwise op (unary, scalar, binary with broadcasting). */
class ElementwiseGradTest {
    private static final int[] S = {3, 5, 7};
    private static final int N = 3 * 5 * 7;

    private static float[] scaled(float[] x, float s) {
        float[] o = x.clone();
        for (int i = 0; i < o.length; i++) o[i] *= s;
        return o;
    }

    // ------------------------------------------------------------------------------------------ unary

    @Test
    void neg() {
        check("neg", x -> x[0].neg(), in(normal(1, N), S));
    }

    @Test
    void absAwayFromTheKink() {
        check("abs", x -> x[0].abs(), in(awayFromZero(2, N, 0.05, 2), S));
    }

    @Test
    void exp() {
        check("exp", x -> x[0].exp(), in(uniform(3, N, -2, 1.5), S));
    }

    @Test
    void log() {
        check("log", x -> x[0].log(), in(uniform(4, N, 0.5, 3), S));
    }

    @Test
    void sqrt() {
        check("sqrt", x -> x[0].sqrt(), in(uniform(5, N, 0.5, 3), S));
    }

    @Test
    void rsqrt() {
        check("rsqrt", x -> x[0].rsqrt(), in(uniform(6, N, 0.5, 3), S));
    }

    @Test
    void reciprocal() {
        check("reciprocal", x -> x[0].reciprocal(), in(awayFromZero(7, N, 0.5, 2), S));
    }

    @Test
    void reluAwayFromTheKink() {
        check("relu", x -> x[0].relu(), in(awayFromZero(8, N, 0.05, 2), S));
    }

    @Test
    void tanh() {
        check("tanh", x -> x[0].tanh(), in(scaled(normal(9, N), 1.5f), S));
    }

    @Test
    void sigmoid() {
        check("sigmoid", x -> x[0].sigmoid(), in(scaled(normal(10, N), 2f), S));
    }

    @Test
    void geluErf() {
        check("gelu", x -> x[0].gelu(), in(scaled(normal(11, N), 1.5f), S));
    }

    @Test
    void geluTanh() {
        check("geluTanh", x -> x[0].geluTanh(), in(scaled(normal(12, N), 1.5f), S));
    }

    @Test
    void silu() {
        check("silu", x -> x[0].silu(), in(scaled(normal(13, N), 2f), S));
    }

    @Test
    void powWithFractionalAndNegativeExponents() {
        check("pow(2.5)", x -> x[0].pow(2.5f), in(uniform(14, N, 0.5, 2), S));
        check("pow(-1.5)", x -> x[0].pow(-1.5f), in(uniform(15, N, 0.5, 2), S));
    }

    @Test
    void powWithTheIntegerFastPaths() {
        // p = 2 and p = 3 are computed by multiplication in the CPU kernel; negative bases are fine there.
        check("pow(2)", x -> x[0].pow(2f), in(normal(16, N), S));
        check("pow(3)", x -> x[0].pow(3f), in(normal(17, N), S));
        check("square", x -> x[0].square(), in(normal(18, N), S));
    }

    @Test
    void powOfTwoTensors() {
        check("pow(tensor)", x -> x[0].pow(x[1]), in(uniform(19, N, 0.5, 2), S), in(uniform(20, N, -1.5, 2), S));
    }

    @Test
    void powWithABroadcastExponent() {
        check("pow(tensor) broadcast", x -> x[0].pow(x[1]), in(uniform(21, N, 0.5, 2), S), in(uniform(22, 7, -1.5, 2), 7));
    }

    @Test
    void clampAwayFromBothBounds() {
        check("clamp", x -> x[0].clamp(-0.5f, 0.7f), in(awayFrom(23, N, -1.5, 1.5, 0.05, -0.5, 0.7), S));
    }

    // ------------------------------------------------------------------------------------------ scalar

    @Test
    void scalarArithmetic() {
        check("add(s)", x -> x[0].add(0.3f), in(normal(30, N), S));
        check("sub(s)", x -> x[0].sub(1.7f), in(normal(31, N), S));
        check("mul(s)", x -> x[0].mul(-2.5f), in(normal(32, N), S));
        check("div(s)", x -> x[0].div(3f), in(normal(33, N), S));
        check("rsub(s)", x -> x[0].rsub(2f), in(normal(34, N), S));
        check("rdiv(s)", x -> x[0].rdiv(1.5f), in(awayFromZero(35, N, 0.5, 2), S));
        check("rdiv(negative s)", x -> x[0].rdiv(-0.75f), in(awayFromZero(36, N, 0.5, 2), S));
    }

    // ------------------------------------------------------------------------------------------ binary

    @Test
    void addSubMulDivSameShape() {
        check("add", x -> x[0].add(x[1]), in(normal(40, N), S), in(normal(41, N), S));
        check("sub", x -> x[0].sub(x[1]), in(normal(42, N), S), in(normal(43, N), S));
        check("mul", x -> x[0].mul(x[1]), in(normal(44, N), S), in(normal(45, N), S));
        check("div", x -> x[0].div(x[1]), in(normal(46, N), S), in(awayFromZero(47, N, 0.5, 2), S));
    }

    @Test
    void binaryOpsBroadcastBothWaysWithRankExpansion() {
        // [3, 1, 7] with [5, 1] -> [3, 5, 7]: each side is summed back over a different set of dims,
        // and the second also over a new leading dim.
        GradCheck.Input a = in(normal(50, 21), 3, 1, 7);
        GradCheck.Input b = in(normal(51, 5), 5, 1);
        GradCheck.Input bNonZero = in(awayFromZero(52, 5, 0.5, 2), 5, 1);
        check("add broadcast", x -> x[0].add(x[1]), a, b);
        check("sub broadcast", x -> x[0].sub(x[1]), a, b);
        check("mul broadcast", x -> x[0].mul(x[1]), a, b);
        check("div broadcast", x -> x[0].div(x[1]), a, bNonZero);
        check("sub broadcast reversed", x -> x[1].sub(x[0]), a, b);
    }

    @Test
    void binaryOpsWithAVectorOperand() {
        check("mul [3,5,7] by [7]", x -> x[0].mul(x[1]), in(normal(53, N), S), in(normal(54, 7), 7));
        check("div [7] by [3,5,7]", x -> x[1].div(x[0]), in(awayFromZero(55, N, 0.5, 2), S), in(normal(56, 7), 7));
    }

    @Test
    void maximumAndMinimumAwayFromTies() {
        // a = b (broadcast) + offset with |offset| >= 0.1, so no perturbation swaps which side wins.
        float[] b = normal(60, 35);
        float[] off = awayFromZero(61, N, 0.1, 1);
        float[] a = new float[N];
        for (int i = 0; i < N; i++) a[i] = b[i % 35] + off[i];
        check("maximum", x -> x[0].maximum(x[1]), in(a, S), in(b, 5, 7));
        check("minimum", x -> x[0].minimum(x[1]), in(a, S), in(b, 5, 7));
        check("maximum reversed", x -> x[1].maximum(x[0]), in(a, S), in(b, 5, 7));
    }

    @Test
    void whereSendsGradientToTheChosenSideOnly() {
        float[] c = new float[21];
        for (int i = 0; i < c.length; i++) c[i] = (i * 7) % 3 == 0 ? 1f : 0f;
        check("where", x -> {
            Tensor cond = Tensor.of(c, 3, 1, 7);
            return Tensor.where(cond, x[0], x[1]);
        }, in(normal(70, N), S), in(normal(71, 35), 5, 7));
    }

    @Test
    void maskedFill() {
        float[] m = {1, 0, 0, 1, 0};
        check("maskedFill", x -> x[0].maskedFill(Tensor.of(m, 5, 1), -3f).mul(x[0]), in(normal(72, N), S));
    }
}

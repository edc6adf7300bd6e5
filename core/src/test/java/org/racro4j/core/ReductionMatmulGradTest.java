package org.racro4j.core;

import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.normal;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** Finite-difference checks of reductions, matmul (all its shape cases) and softmax / log-softmax. */
class ReductionMatmulGradTest {
    private static final int[] S = {3, 5, 7};
    private static final int N = 105;

    /** Distinct values 0.05 apart in random order: max/min never tie, even after a +-0.01 perturbation. */
    private static float[] distinct(long seed, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = -2.6f + 0.05f * i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    // ------------------------------------------------------------------------------------------ reductions

    @Test
    void sumOfAllElements() {
        check("sum()", x -> x[0].sum(), in(normal(1, N), S));
    }

    @Test
    void sumOverDimsWithAndWithoutKeepdim() {
        check("sum(1)", x -> x[0].sum(1, false), in(normal(2, N), S));
        check("sum({0,2}, keepdim)", x -> x[0].sum(new int[] {0, 2}, true), in(normal(3, N), S));
        check("sum({0,2})", x -> x[0].sum(new int[] {0, 2}, false), in(normal(4, N), S));
        check("sum(-1, keepdim)", x -> x[0].sum(-1, true), in(normal(5, N), S));
    }

    @Test
    void mean() {
        check("mean()", x -> x[0].mean(), in(normal(6, 6), 2, 3));
        check("mean(1, keepdim)", x -> x[0].mean(1, true), in(normal(7, N), S));
        check("mean({0,2})", x -> x[0].mean(new int[] {0, 2}, false), in(normal(8, N), S));
    }

    @Test
    void maxAndMinAlongADim() {
        check("max(1)", x -> x[0].max(1, false), in(distinct(9, N), S));
        check("max(2, keepdim)", x -> x[0].max(2, true), in(distinct(10, N), S));
        check("min(0)", x -> x[0].min(0, false), in(distinct(11, N), S));
        check("maxWithIndices(-1).values", x -> x[0].maxWithIndices(-1, false).values(), in(distinct(12, N), S));
    }

    @Test
    void maxAndMinOfAllElements() {
        check("max()", x -> x[0].max().mul(x[0]), in(distinct(13, N), S));
        check("min()", x -> x[0].min().mul(x[0]), in(distinct(14, N), S));
    }

    @Test
    void logsumexp() {
        check("logsumexp(1)", x -> x[0].logsumexp(1, false), in(normal(15, N), S));
        check("logsumexp(-1, keepdim)", x -> x[0].logsumexp(-1, true), in(normal(16, N), S));
    }

    @Test
    void varianceWithBothCorrections() {
        check("var(1)", x -> x[0].var(1, false), in(normal(17, N), S));
        check("var(2, keepdim, correction 0)", x -> x[0].var(2, true, 0), in(normal(18, N), S));
    }

    // ------------------------------------------------------------------------------------------ matmul

    @Test
    void matmulOfTwoMatrices() {
        check("[3,5]@[5,4]", x -> x[0].matmul(x[1]), in(normal(20, 15), 3, 5), in(normal(21, 20), 5, 4));
    }

    @Test
    void matmulWithOneDimensionalOperands() {
        check("[5]@[5,4]", x -> x[0].matmul(x[1]), in(normal(22, 5), 5), in(normal(23, 20), 5, 4));
        check("[3,5]@[5]", x -> x[0].matmul(x[1]), in(normal(24, 15), 3, 5), in(normal(25, 5), 5));
        check("[5]@[5] (dot)", x -> x[0].matmul(x[1]), in(normal(26, 5), 5), in(normal(27, 5), 5));
        check("[2,3,5]@[5]", x -> x[0].matmul(x[1]), in(normal(28, 30), 2, 3, 5), in(normal(29, 5), 5));
    }

    @Test
    void matmulOfAStackOfRowsByOneMatrix() {
        check("[2,3,5]@[5,4]", x -> x[0].matmul(x[1]), in(normal(30, 30), 2, 3, 5), in(normal(31, 20), 5, 4));
    }

    @Test
    void batchedMatmulWithBroadcastBatchDims() {
        check("[2,3,5]@[2,5,4]", x -> x[0].matmul(x[1]), in(normal(32, 30), 2, 3, 5), in(normal(33, 40), 2, 5, 4));
        // batch [2,1] with [3] broadcasts to [2,3]; b is shared by the 2 outer batches, a by the 3 inner ones.
        check("[2,1,3,5]@[3,5,4]", x -> x[0].matmul(x[1]), in(normal(34, 30), 2, 1, 3, 5), in(normal(35, 60), 3, 5, 4));
        check("[3,5]@[2,5,4]", x -> x[0].matmul(x[1]), in(normal(36, 15), 3, 5), in(normal(37, 40), 2, 5, 4));
    }

    @Test
    void matmulOfTransposedViews() {
        check("a^T @ b", x -> x[0].t().matmul(x[1]), in(normal(38, 15), 5, 3), in(normal(39, 20), 5, 4));
        check("a @ b^T", x -> x[0].matmul(x[1].t()), in(normal(40, 15), 3, 5), in(normal(41, 20), 4, 5));
        check("a^T @ b^T", x -> x[0].t().matmul(x[1].t()), in(normal(42, 15), 5, 3), in(normal(43, 20), 4, 5));
        check("batched a @ b.transpose(1,2)", x -> x[0].matmul(x[1].transpose(1, 2)),
                in(normal(44, 30), 2, 3, 5), in(normal(45, 40), 2, 4, 5));
    }

    @Test
    void matmulOfASlicedView() {
        check("a[:, 1::2] @ b", x -> x[0].slice(1, 1, 10, 2).matmul(x[1]), in(normal(46, 30), 3, 10), in(normal(47, 20), 5, 4));
    }

    // ------------------------------------------------------------------------------------------ softmax

    @Test
    void softmaxOnTheLastAndAMiddleDim() {
        check("softmax(-1)", x -> x[0].softmax(-1), in(normal(50, N), S));
        check("softmax(1)", x -> x[0].softmax(1), in(normal(51, N), S));
        check("softmax(0)", x -> x[0].softmax(0), in(normal(52, N), S));
    }

    @Test
    void logSoftmaxOnTheLastAndAMiddleDim() {
        check("logSoftmax(-1)", x -> x[0].logSoftmax(-1), in(normal(53, N), S));
        check("logSoftmax(1)", x -> x[0].logSoftmax(1), in(normal(54, N), S));
    }
}

package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;
import static org.racro4j.core.TestSupport.uniform;

import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.racro4j.core.Functional.Reduction;

/**
 * Views share storage with their base; every kernel gives the same answer for a strided view (transposed,
 * sliced with a step, offset, expanded) as for a contiguous copy of it.
 */
@ExtendWith(ScopePerTest.class)
class ViewsAndLayoutTest {
    private static float[] arange(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = i + 1;
        return a;
    }

    // ------------------------------------------------------------------------------------------ shared storage

    @Test
    void viewsShareStorageWithTheirBase() {
        Tensor base = Tensor.of(arange(60), 3, 4, 5);
        Tensor[] views = {base.view(12, 5), base.reshape(4, 15), base.transpose(0, 2), base.permute(1, 2, 0), base.narrow(1, 1, 2),
                base.slice(2, 0, 5, 2), base.select(0, 1), base.unsqueeze(1), base.flatten(), base.detach(), base.squeeze(),
                base.narrow(0, 0, 1).expand(2, 4, 5)};
        for (Tensor v : views) assertSame(base.storage(), v.storage(), "a view must not copy: " + v);
        assertNotSame(base.storage(), base.copy().storage());
        assertNotSame(base.storage(), base.transpose(0, 1).contiguous().storage());
        assertSame(base, base.contiguous(), "contiguous() of a contiguous tensor is the tensor itself");
    }

    @Test
    void fillOfASteppedSliceChangesExactlyThoseElementsOfTheBase() {
        Tensor base = Tensor.of(arange(24), 4, 6);
        base.slice(1, 1, 6, 2).fill(-1f); // columns 1, 3, 5
        float[] v = base.toFloatArray();
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 6; c++) assertEquals(c % 2 == 1 ? -1f : r * 6 + c + 1, v[r * 6 + c], "element " + r + "," + c);
        }
    }

    @Test
    void copyFromIntoATransposedViewWritesThroughToTheBase() {
        Tensor base = Tensor.zeros(3, 4);
        float[] src = normal(1, 12);
        base.t().copyFrom(Tensor.of(src, 4, 3));
        float[] v = base.toFloatArray();
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) assertEquals(src[c * 3 + r], v[r * 4 + c]);
    }

    @Test
    void copyFromIntoASelectedRowAndAddInPlaceThroughANarrowView() {
        Tensor base = Tensor.of(arange(12), 3, 4);
        base.select(0, 2).copyFrom(Tensor.of(new float[] {-1, -2, -3, -4}, 4));
        base.narrow(1, 1, 2).addInPlace(Tensor.full(100f, 3, 2));
        assertArrayEquals(new float[] {1, 102, 103, 4, 5, 106, 107, 8, -1, 98, 97, -4}, base.toFloatArray());
    }

    @Test
    void writesToTheBaseShowInExistingViews() {
        Tensor base = Tensor.of(arange(6), 2, 3);
        Tensor t = base.t();
        base.fill(7f);
        assertArrayEquals(new float[] {7, 7, 7, 7, 7, 7}, t.toFloatArray());
    }

    @Test
    void viewOfANonContiguousTensorFailsWhileReshapeCopies() {
        Tensor t = Tensor.of(arange(12), 3, 4).t();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.view(12));
        assertTrue(e.getMessage().contains("view") && e.getMessage().contains("reshape"), e.getMessage());
        Tensor r = t.reshape(12);
        assertNotSame(t.storage(), r.storage());
        assertArrayEquals(new float[] {1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12}, r.toFloatArray());
        // merging dims that are contiguous among themselves is a view even in a non-contiguous tensor
        Tensor s = Tensor.of(arange(24), 2, 3, 4).slice(2, 0, 4, 2); // [2, 3, 2], strides [12, 4, 2]
        Tensor v = s.view(6, 2);
        assertSame(s.storage(), v.storage());
        assertArrayEquals(s.toFloatArray(), v.toFloatArray());
    }

    @Test
    void stridesAndOffsetsOfViews() {
        Tensor base = Tensor.of(arange(60), 3, 4, 5);
        assertArrayEquals(new int[] {20, 5, 1}, base.strides());
        Tensor p = base.permute(2, 0, 1);
        assertArrayEquals(new int[] {5, 3, 4}, p.shape());
        assertArrayEquals(new int[] {1, 20, 5}, p.strides());
        Tensor s = base.slice(1, 1, 4, 2);
        assertArrayEquals(new int[] {3, 2, 5}, s.shape());
        assertArrayEquals(new int[] {20, 10, 1}, s.strides());
        assertEquals(5, s.offset());
        assertFalse(s.isContiguous());
        Tensor e = base.narrow(0, 1, 1).expand(4, 4, 5);
        assertArrayEquals(new int[] {0, 5, 1}, e.strides());
        assertEquals(20, e.offset());
    }

    // ------------------------------------------------------------------------------------------ non-contiguous inputs

    /** Strided views of a [5, 6, 7]-shaped result, each paired with a contiguous copy of itself. */
    private static List<Tensor> stridedViews(long seed) {
        Tensor t = Tensor.of(normal(seed, 7 * 6 * 5 * 2), 7, 6, 10);
        return List.of(
                t.permute(2, 1, 0).slice(0, 1, 10, 2),              // [5, 6, 7], all strides non-unit
                Tensor.of(normal(seed + 1, 5 * 6 * 7), 5, 7, 6).transpose(1, 2),
                Tensor.of(normal(seed + 2, 6 * 9 * 7 + 3), 6 * 9 * 7 + 3).narrow(0, 3, 6 * 9 * 7).view(6, 9, 7).narrow(1, 2, 7)
                        .permute(1, 0, 2).slice(0, 0, 7, 1).narrow(0, 1, 5),
                Tensor.of(normal(seed + 3, 6 * 7), 1, 6, 7).expand(5, 6, 7));
    }

    private static void sameAsContiguous(String what, Function<Tensor, Tensor> op, double tol) {
        long seed = what.hashCode();
        for (Tensor v : stridedViews(seed)) {
            assertArrayEquals(new int[] {5, 6, 7}, v.shape());
            Tensor c = v.copy();
            assertTrue(c.isContiguous());
            float[] expected = op.apply(c).toFloatArray();
            float[] actual = op.apply(v).toFloatArray();
            assertClose(what + " on strides " + java.util.Arrays.toString(v.strides()) + " offset " + v.offset(),
                    TestSupport.toDouble(expected), actual, tol, tol);
        }
    }

    @Test
    void unaryAndBinaryKernelsOnStridedViews() {
        sameAsContiguous("exp", Tensor::exp, 0);
        sameAsContiguous("neg", Tensor::neg, 0);
        sameAsContiguous("abs", Tensor::abs, 0);
        sameAsContiguous("gelu", Tensor::gelu, 0);
        sameAsContiguous("clamp", x -> x.clamp(-0.3f, 0.4f), 0);
        sameAsContiguous("mul(s)", x -> x.mul(1.7f), 0);
        sameAsContiguous("x * sigmoid(x)", x -> x.mul(x.sigmoid()), 0);
        Tensor other = Tensor.of(normal(5, 6 * 7), 6, 7);
        sameAsContiguous("sub broadcast", x -> x.sub(other), 0);
        sameAsContiguous("div", x -> x.div(other.abs().add(0.5f)), 0);
        sameAsContiguous("maximum", x -> x.maximum(other), 0);
        sameAsContiguous("pow", x -> x.abs().pow(other), 0);
        sameAsContiguous("gt", x -> x.gt(other), 0);
        sameAsContiguous("where", x -> Tensor.where(x.gt(0f), x, other), 0);
        sameAsContiguous("to BF16", x -> x.to(DType.BF16), 0);
    }

    @Test
    void reductionsOnStridedViews() {
        sameAsContiguous("sum()", x -> x.sum(), 1e-6);
        sameAsContiguous("sum(1)", x -> x.sum(1, false), 1e-6);
        sameAsContiguous("sum({0, 2})", x -> x.sum(new int[] {0, 2}, true), 1e-6);
        sameAsContiguous("max(0)", x -> x.max(0, false), 0);
        sameAsContiguous("argmin(2)", x -> x.argmin(2, false), 0);
        sameAsContiguous("mean(-1)", x -> x.mean(-1, false), 1e-6);
        sameAsContiguous("var(1)", x -> x.var(1, false), 1e-6);
        sameAsContiguous("logsumexp(0)", x -> x.logsumexp(0, true), 1e-6);
    }

    @Test
    void matmulOnStridedViews() {
        Tensor w = Tensor.of(normal(6, 7 * 4), 7, 4);
        sameAsContiguous("x @ w", x -> x.matmul(w), 1e-5);
        sameAsContiguous("x @ x^T", x -> x.matmul(x.transpose(1, 2)), 1e-5);
        sameAsContiguous("x^T @ x", x -> x.transpose(1, 2).matmul(x), 1e-5);
        sameAsContiguous("w^T @ x^T", x -> w.t().matmul(x.transpose(1, 2)), 1e-5);
        sameAsContiguous("linear", x -> Functional.linear(x, Tensor.of(normal(7, 3 * 7), 3, 7), Tensor.of(normal(8, 3), 3)), 1e-5);
    }

    @Test
    void rowKernelsOnStridedViews() {
        Tensor w = Tensor.of(uniform(9, 7, 0.5, 1.5), 7);
        Tensor b = Tensor.of(normal(10, 7), 7);
        sameAsContiguous("softmax(-1)", x -> x.softmax(-1), 1e-7);
        sameAsContiguous("softmax(1)", x -> x.softmax(1), 1e-7);
        sameAsContiguous("logSoftmax(0)", x -> x.logSoftmax(0), 1e-6);
        sameAsContiguous("layerNorm", x -> Functional.layerNorm(x, w, b, 1e-5f), 1e-6);
        sameAsContiguous("rmsNorm", x -> Functional.rmsNorm(x, w, 1e-6f), 1e-6);
        long[] target = TestSupport.indices(11, 30, 7);
        sameAsContiguous("crossEntropy", x -> Functional.crossEntropy(x, Tensor.ofLongs(target, 5, 6), -100, Reduction.NONE), 1e-6);
        float[] cs = uniform(12, 6 * 3, -1, 1);
        float[] sn = uniform(13, 6 * 3, -1, 1);
        Tensor cos = Tensor.of(cs, 6, 3);
        Tensor sin = Tensor.of(sn, 6, 3);
        sameAsContiguous("rope", x -> Functional.rope(x.narrow(2, 0, 6), cos, sin), 1e-7);
        sameAsContiguous("attention", x -> Functional.scaledDotProductAttention(x.unsqueeze(0), x.unsqueeze(0), x.unsqueeze(0), null, true, Float.NaN), 1e-6);
    }

    @Test
    void ropeTablesMayBeStridedViews() {
        float[] x = normal(14, 2 * 4 * 6);
        float[] tab = uniform(15, 2 * 4 * 3, -1, 1);
        Tensor cosT = Tensor.of(tab, 2, 4, 3).select(0, 0);
        Tensor sinT = Tensor.of(tab, 2, 4, 3).select(0, 1);
        Tensor both = Tensor.stack(List.of(cosT, sinT), 1).copy();     // [4, 2, 3]
        Tensor a = Functional.rope(Tensor.of(x, 2, 4, 6), cosT.copy(), sinT.copy());
        Tensor c = Functional.rope(Tensor.of(x, 2, 4, 6), both.select(1, 0), both.select(1, 1)); // strided tables
        assertArrayEquals(a.toFloatArray(), c.toFloatArray());
    }

    @Test
    void indexingKernelsOnStridedViews() {
        long[] i1 = TestSupport.indices(16, 5 * 3 * 7, 6);
        sameAsContiguous("gather(1)", x -> x.gather(1, Tensor.ofLongs(i1, 5, 3, 7)), 0);
        sameAsContiguous("gather with a transposed index", x -> x.gather(2, Tensor.ofLongs(TestSupport.indices(17, 42, 7), 7, 6).t().unsqueeze(0).expand(5, 6, 7)), 0);
        sameAsContiguous("indexSelect(2)", x -> x.indexSelect(2, Tensor.ofLongs(new long[] {6, 0, 6, 3}, 4)), 0);
        Tensor src = Tensor.of(normal(18, 5 * 3 * 7), 5, 3, 7);
        sameAsContiguous("scatterAdd", x -> x.scatterAdd(1, Tensor.ofLongs(i1, 5, 3, 7), src), 1e-7);
        sameAsContiguous("scatterAdd with a strided src", x -> x.scatterAdd(1, Tensor.ofLongs(i1, 5, 3, 7), x.narrow(1, 2, 3)), 1e-7);
        sameAsContiguous("indexAdd", x -> x.indexAdd(0, Tensor.ofLongs(new long[] {4, 1, 4}, 3), x.narrow(0, 0, 3)), 1e-7);
        sameAsContiguous("embedding of a strided table", x -> x.select(2, 3).embedding(Tensor.ofLongs(new long[] {4, 0, 2, 2}, 2, 2)), 0);
        sameAsContiguous("cat", x -> Tensor.cat(List.of(x, x.narrow(1, 1, 2), x.exp()), 1), 0);
        sameAsContiguous("stack", x -> Tensor.stack(List.of(x, x.neg()), 3), 0);
        sameAsContiguous("contiguous", Tensor::contiguous, 0);
    }

    @Test
    void stridedIndexTensorsAreReadCorrectly() {
        float[] x = normal(19, 10);
        Tensor idx = Tensor.ofLongs(new long[] {9, 100, 3, 100, 3, 100, 0, 100}, 8).slice(0, 0, 8, 2); // 9, 3, 3, 0
        assertArrayEquals(new float[] {x[9], x[3], x[3], x[0]}, Tensor.of(x, 10).indexSelect(0, idx).toFloatArray());
        Tensor tgt = Tensor.ofLongs(new long[] {1, -5, 2, -5}, 4).slice(0, 0, 4, 2);
        float[] logits = normal(20, 6);
        float[] per = Functional.crossEntropy(Tensor.of(logits, 2, 3), tgt, -100, Reduction.NONE).toFloatArray();
        double[] ref = new double[2];
        for (int r = 0; r < 2; r++) {
            double s = 0;
            for (int j = 0; j < 3; j++) s += Math.exp(logits[r * 3 + j]);
            ref[r] = Math.log(s) - logits[r * 3 + (r == 0 ? 1 : 2)];
        }
        assertClose("crossEntropy with strided targets", ref, per, 1e-6, 1e-6);
    }
}

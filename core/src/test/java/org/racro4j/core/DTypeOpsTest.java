package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;
import static org.racro4j.core.TestSupport.uniform;

import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.racro4j.core.Functional.Reduction;

/**
 * BF16 and F16 tensors: every op computes in F32 and rounds once on store, so its result equals the F32 result on
 * the same (already rounded) inputs to within one rounding of the output dtype (plus a little for outputs that
 * themselves feed further rounded steps). Integer paths: I32 and I64 indices agree, integer sums are exact.
 */
@ExtendWith(ScopePerTest.class)
class DTypeOpsTest {
    /** Relative size of one rounding step (the unit roundoff is half of it). */
    private static double ulp(DType t) {
        return t == DType.BF16 ? 0x1p-7 : 0x1p-10;
    }

    /** op on half-precision inputs vs op on the same values in F32: one rounding of the output. */
    private static void matchesF32(String what, DType half, Function<Tensor[], Tensor> op, Tensor... inputs) {
        matchesF32(what, half, 0.1, op, inputs);
    }

    /**
     * As above with an absolute tolerance of atolUlps rounding steps, for composite ops whose intermediate results
     * are rounded too (attention rounds scores, probabilities and the output; with values of order 1, sums that
     * cancel to small outputs keep the absolute error of their order-1 terms).
     */
    private static void matchesF32(String what, DType half, double atolUlps, Function<Tensor[], Tensor> op, Tensor... inputs) {
        Tensor[] h = new Tensor[inputs.length];
        Tensor[] f = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            h[i] = inputs[i].dtype().isFloatingPoint() ? inputs[i].to(half) : inputs[i];
            f[i] = h[i].to(inputs[i].dtype().isFloatingPoint() ? DType.F32 : inputs[i].dtype());
        }
        Tensor outH = op.apply(h);
        Tensor outF = op.apply(f);
        if (outF.dtype() == DType.F32 && inputs[0].dtype().isFloatingPoint() && outH.dtype() != DType.F32) {
            assertEquals(half, outH.dtype(), what + ": result dtype");
        }
        double u = ulp(half);
        assertClose(what + " in " + half, TestSupport.toDouble(outF.toFloatArray()), outH.toFloatArray(), atolUlps * u, 2 * u);
    }

    private static final DType[] HALVES = {DType.BF16, DType.F16};

    @Test
    void elementwiseOpsInHalfPrecision() {
        Tensor x = Tensor.of(normal(1, 105), 3, 5, 7);
        Tensor y = Tensor.of(uniform(2, 35, 0.5, 2), 5, 7);
        for (DType h : HALVES) {
            matchesF32("exp", h, t -> t[0].exp(), x);
            matchesF32("gelu", h, t -> t[0].gelu(), x);
            matchesF32("silu", h, t -> t[0].silu(), x);
            matchesF32("tanh", h, t -> t[0].tanh(), x);
            matchesF32("add broadcast", h, t -> t[0].add(t[1]), x, y);
            matchesF32("mul", h, t -> t[0].mul(t[1]), x, y);
            matchesF32("div", h, t -> t[0].div(t[1]), x, y);
            matchesF32("pow", h, t -> t[1].pow(t[0]), x, y);
            matchesF32("maximum", h, t -> t[0].maximum(t[1]), x, y);
            matchesF32("where", h, t -> Tensor.where(t[0].gt(0f), t[0], t[1]), x, y);
            matchesF32("mul(s)", h, t -> t[0].mul(3.3f), x);
            matchesF32("clamp", h, t -> t[0].clamp(-0.5f, 0.5f), x);
        }
    }

    @Test
    void reductionsAndRowOpsInHalfPrecision() {
        Tensor x = Tensor.of(normal(3, 105), 3, 5, 7);
        Tensor w = Tensor.of(uniform(4, 7, 0.5, 1.5), 7);
        Tensor b = Tensor.of(normal(5, 7), 7);
        for (DType h : HALVES) {
            matchesF32("sum(1)", h, t -> t[0].sum(1, false), x);
            matchesF32("mean(-1)", h, t -> t[0].mean(-1, true), x);
            matchesF32("max(2)", h, t -> t[0].max(2, false), x);
            matchesF32("softmax(-1)", h, t -> t[0].softmax(-1), x);
            matchesF32("softmax(0)", h, t -> t[0].softmax(0), x);
            matchesF32("logSoftmax", h, t -> t[0].logSoftmax(-1), x);
            matchesF32("layerNorm", h, t -> Functional.layerNorm(t[0], t[1], t[2], 1e-5f), x, w, b);
            matchesF32("rmsNorm", h, t -> Functional.rmsNorm(t[0], t[1], 1e-6f), x, w);
        }
    }

    @Test
    void matmulAttentionAndRopeInHalfPrecision() {
        Tensor a = Tensor.of(normal(6, 3 * 13), 3, 13);
        Tensor m = Tensor.of(normal(7, 13 * 5), 13, 5);
        Tensor q = Tensor.of(normal(8, 2 * 4 * 3 * 8), 2, 4, 3, 8);
        Tensor k = Tensor.of(normal(9, 2 * 2 * 5 * 8), 2, 2, 5, 8);
        Tensor v = Tensor.of(normal(10, 2 * 2 * 5 * 8), 2, 2, 5, 8);
        Tensor cos = Tensor.of(uniform(11, 3 * 4, -1, 1), 3, 4);
        Tensor sin = Tensor.of(uniform(12, 3 * 4, -1, 1), 3, 4);
        for (DType h : HALVES) {
            matchesF32("matmul", h, t -> t[0].matmul(t[1]), a, m);
            matchesF32("linear", h, t -> Functional.linear(t[0], t[1].t(), null), a, m);
            matchesF32("attention", h, 4, t -> Functional.scaledDotProductAttention(t[0], t[1], t[2], null, true, Float.NaN), q, k, v);
            matchesF32("rope", h, t -> Functional.rope(t[0], t[1], t[2]), q, cos, sin);
        }
    }

    @Test
    void indexingInHalfPrecisionIsExact() {
        Tensor x = Tensor.of(normal(13, 105), 3, 5, 7);
        Tensor idx = Tensor.ofLongs(TestSupport.indices(14, 3 * 2 * 7, 5), 3, 2, 7);
        for (DType h : HALVES) {
            Tensor xh = x.to(h);
            assertArrayEquals(xh.to(DType.F32).gather(1, idx).toFloatArray(), xh.gather(1, idx).toFloatArray());
            assertArrayEquals(xh.to(DType.F32).indexSelect(2, Tensor.ofInts(new int[] {6, 1}, 2)).toFloatArray(),
                    xh.indexSelect(2, Tensor.ofInts(new int[] {6, 1}, 2)).toFloatArray());
            assertEquals(h, xh.gather(1, idx).dtype());
            Tensor c = Tensor.cat(List.of(xh, xh.neg()), 0);
            assertEquals(h, c.dtype());
            assertArrayEquals(Tensor.cat(List.of(xh.to(DType.F32), xh.to(DType.F32).neg()), 0).toFloatArray(), c.toFloatArray());
        }
    }

    @Test
    void crossEntropyOfHalfLogitsIsComputedInF32() {
        Tensor logits = Tensor.of(normal(15, 4 * 9), 4, 9);
        Tensor target = Tensor.ofLongs(new long[] {0, 8, 3, 3}, 4);
        for (DType h : HALVES) {
            Tensor lh = logits.to(h);
            Tensor loss = Functional.crossEntropy(lh, target, -100, Reduction.NONE);
            assertEquals(DType.F32, loss.dtype());
            assertClose("crossEntropy " + h, TestSupport.toDouble(Functional.crossEntropy(lh.to(DType.F32), target, -100, Reduction.NONE).toFloatArray()),
                    loss.toFloatArray(), 1e-6, 1e-6);
        }
    }

    /** Gradients of half-precision leaves equal the F32 gradients of the same values, up to a few roundings. */
    private static void gradMatchesF32(String what, DType half, Function<Tensor, Tensor> f, float[] data, int... shape) {
        Tensor xh = Tensor.of(data, shape).to(half).requiresGrad(true);
        Tensor xf = xh.detach().to(DType.F32).requiresGrad(true);
        // w is representable in the half type, so the output gradient reaching the half graph (cast from F32) is
        // exactly the one the F32 graph sees; what remains is the rounding of the half graph's own results.
        Tensor w = Tensor.of(normal(what.hashCode(), (int) f.apply(xf.detach()).numel()), f.apply(xf.detach()).shape()).to(half).to(DType.F32);
        f.apply(xh).to(DType.F32).mul(w).sum().backward();
        f.apply(xf).mul(w).sum().backward();
        assertEquals(half, xh.grad().dtype(), what + ": gradient dtype");
        double u = ulp(half);
        assertClose(what + " gradient in " + half, TestSupport.toDouble(xf.grad().toFloatArray()), xh.grad().toFloatArray(), 4 * u * 0.1, 4 * u);
        xh.zeroGrad();
        xf.zeroGrad();
    }

    @Test
    void backwardThroughHalfPrecisionLeaves() {
        float[] x = normal(16, 105);
        float[] table = normal(17, 6 * 4);
        Tensor idx = Tensor.ofLongs(TestSupport.indices(18, 3 * 2 * 7, 5), 3, 2, 7);
        for (DType h : HALVES) {
            gradMatchesF32("exp", h, t -> t.exp(), x, 3, 5, 7);
            gradMatchesF32("softmax", h, t -> t.softmax(1), x, 3, 5, 7);
            gradMatchesF32("layerNorm", h, t -> Functional.layerNorm(t, Tensor.ones(7).to(t.dtype()), null, 1e-5f), x, 3, 5, 7);
            gradMatchesF32("matmul", h, t -> t.matmul(t.transpose(1, 2)), x, 3, 5, 7);
            gradMatchesF32("sum", h, t -> t.sum(new int[] {0, 2}, false), x, 3, 5, 7);
            gradMatchesF32("slice", h, t -> t.slice(2, 1, 7, 3), x, 3, 5, 7);
            gradMatchesF32("max(1)", h, t -> t.max(1, false), x, 3, 5, 7);
            gradMatchesF32("gather", h, t -> t.gather(1, idx), x, 3, 5, 7);
            gradMatchesF32("indexSelect", h, t -> t.indexSelect(1, Tensor.ofLongs(new long[] {4, 4, 0}, 3)), x, 3, 5, 7);
            gradMatchesF32("embedding", h, t -> t.embedding(Tensor.ofLongs(new long[] {1, 5, 1, 1}, 2, 2)), table, 6, 4);
        }
    }

    @Test
    void scatterAddAndIndexAddIntoHalfPrecision() {
        float[] self = normal(19, 15);
        float[] src = normal(20, 12);
        Tensor index = Tensor.ofLongs(new long[] {0, 0, 4, 0, 1, 2, 3, 3, 4, 4, 4, 4}, 3, 4);
        for (DType h : HALVES) {
            Tensor sh = Tensor.of(self, 3, 5).to(h);
            Tensor srch = Tensor.of(src, 3, 4).to(h);
            Tensor ref = sh.to(DType.F32).scatterAdd(1, index, srch.to(DType.F32)).to(h);
            Tensor got = sh.scatterAdd(1, index, srch);
            assertEquals(h, got.dtype());
            assertArrayEquals(ref.toFloatArray(), got.toFloatArray(), "scatterAdd " + h + " accumulates in F32 and rounds once");
            Tensor rows = Tensor.ofLongs(new long[] {2, 2, 0}, 3);
            Tensor add = Tensor.of(normal(21, 3 * 5), 3, 5).to(h);
            Tensor ref2 = sh.to(DType.F32).indexAdd(0, rows, add.to(DType.F32)).to(h);
            assertArrayEquals(ref2.toFloatArray(), sh.indexAdd(0, rows, add).toFloatArray(), "indexAdd " + h);
        }
    }

    // ------------------------------------------------------------------------------------------ integer paths

    @Test
    void i32AndI64IndicesGiveIdenticalResults() {
        Tensor x = Tensor.of(normal(22, 105), 3, 5, 7);
        long[] g = TestSupport.indices(23, 3 * 4 * 7, 5);
        long[] sel = {4, 0, 4, 2};
        long[] tgt = {1, 6, 0, 3, 2};
        Tensor x2 = Tensor.of(normal(24, 35), 5, 7);
        assertArrayEquals(x.gather(1, Tensor.ofLongs(g, 3, 4, 7)).toFloatArray(), x.gather(1, Tensor.ofInts(TestSupport.toInts(g), 3, 4, 7)).toFloatArray());
        assertArrayEquals(x.indexSelect(1, Tensor.ofLongs(sel, 4)).toFloatArray(), x.indexSelect(1, Tensor.ofInts(TestSupport.toInts(sel), 4)).toFloatArray());
        assertArrayEquals(x2.embedding(Tensor.ofLongs(sel, 2, 2)).toFloatArray(), x2.embedding(Tensor.ofInts(TestSupport.toInts(sel), 2, 2)).toFloatArray());
        Tensor src = Tensor.of(normal(25, 84), 3, 4, 7);
        assertArrayEquals(x.scatterAdd(1, Tensor.ofLongs(g, 3, 4, 7), src).toFloatArray(),
                x.scatterAdd(1, Tensor.ofInts(TestSupport.toInts(g), 3, 4, 7), src).toFloatArray());
        Tensor add = Tensor.of(normal(26, 84), 3, 4, 7);
        assertArrayEquals(x.indexAdd(1, Tensor.ofLongs(sel, 4), add).toFloatArray(), x.indexAdd(1, Tensor.ofInts(TestSupport.toInts(sel), 4), add).toFloatArray());
        assertArrayEquals(Functional.crossEntropy(x2, Tensor.ofLongs(tgt, 5), -100, Reduction.NONE).toFloatArray(),
                Functional.crossEntropy(x2, Tensor.ofInts(TestSupport.toInts(tgt), 5), -100, Reduction.NONE).toFloatArray());
    }

    @Test
    void indexDtypeIsChecked() {
        Tensor x = Tensor.of(normal(27, 6), 2, 3);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> x.indexSelect(1, Tensor.of(new float[] {0, 1}, 2)));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("indexSelect") && e.getMessage().contains("F32"), e.getMessage());
    }

    @Test
    void integerSumsAreExactBeyondTwoToThe24() {
        // in float, 2^24 + 1 + 1 + 1 would stay at 2^24 (each +1 is half an ulp and rounds to even)
        Tensor i32 = Tensor.ofInts(new int[] {1 << 24, 1, 1, 1, 2_000_000_000, 2_000_000_000}, 6);
        Tensor s = i32.sum();
        assertEquals(DType.I64, s.dtype(), "integer sums accumulate and return I64");
        assertEquals((1L << 24) + 3 + 4_000_000_000L, s.toLongArray()[0]);
        Tensor rows = Tensor.ofInts(new int[] {1 << 24, 1, 1, 1, 7, 2_000_000_000}, 2, 3).sum(1, false);
        assertArrayEquals(new long[] {(1L << 24) + 2, 2_000_000_008L}, rows.toLongArray());
        long big = (1L << 53) + 1; // not even a double can hold this
        Tensor i64 = Tensor.ofLongs(new long[] {big, 2, big, 1}, 2, 2);
        assertArrayEquals(new long[] {2 * big, 3}, i64.sum(0, false).toLongArray());
        assertArrayEquals(new long[] {big + 2, big + 1}, i64.sum(new int[] {1}, false).toLongArray());
        assertEquals(2 * big + 3, i64.sum().toLongArray()[0]);
    }

    @Test
    void integerDataRoundTripsExactlyThroughCopies() {
        long big = (1L << 62) + 12345;
        Tensor t = Tensor.ofLongs(new long[] {big, -big, 7, 0}, 2, 2);
        assertArrayEquals(new long[] {big, 7, -big, 0}, t.t().contiguous().toLongArray());
        assertArrayEquals(new long[] {big, 7}, t.select(1, 0).toLongArray(), "a strided I64 column");
        assertArrayEquals(new int[] {2_000_000_001, -5}, Tensor.ofLongs(new long[] {2_000_000_001, -5}, 2).to(DType.I32).toIntArray());
        assertArrayEquals(new long[] {3, -2, 0}, Tensor.of(new float[] {3.9f, -2.7f, 0.2f}, 3).to(DType.I64).toLongArray(), "float to int truncates");
        assertArrayEquals(new long[] {0, 2, 4}, Tensor.arange(0, 5, 2, DType.I64, Device.CPU).toLongArray());
    }
}

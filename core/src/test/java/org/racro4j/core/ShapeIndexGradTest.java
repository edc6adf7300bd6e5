package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.normal;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Finite-difference checks of views, copies, dtype round trips, indexing ops, cat/stack/split. */
class ShapeIndexGradTest {
    private static final int[] S = {3, 5, 7};
    private static final int N = 105;

    private static GradCheck.Input x(long seed) {
        return in(normal(seed, N), S);
    }

    // ------------------------------------------------------------------------------------------ views

    @Test
    void viewAndReshape() {
        check("view(5, 21)", x -> x[0].view(5, 21), x(1));
        check("reshape(7, -1)", x -> x[0].reshape(7, -1), x(2));
        // A transposed tensor cannot be viewed as [-1, 3]: reshape copies, and the gradient must follow the copy.
        check("transpose then reshape (copy path)", x -> x[0].transpose(0, 2).reshape(-1, 3), x(3));
    }

    @Test
    void permuteAndTranspose() {
        check("permute(2, 0, 1)", x -> x[0].permute(2, 0, 1), x(4));
        check("transpose(0, 1)", x -> x[0].transpose(0, 1), x(5));
        check("t()", x -> x[0].t(), in(normal(6, 15), 3, 5));
    }

    @Test
    void sliceWithStepNarrowAndSelect() {
        check("slice(2, 1, 7, 2)", x -> x[0].slice(2, 1, 7, 2), x(7));
        check("slice(1, -4, 5)", x -> x[0].slice(1, -4, 5), x(8));
        check("narrow(2, 2, 3)", x -> x[0].narrow(2, 2, 3), x(9));
        check("select(1, 3)", x -> x[0].select(1, 3), x(10));
        check("select(0, -1)", x -> x[0].select(0, -1), x(11));
    }

    @Test
    void expandSumsTheGradientOverBroadcastDims() {
        check("expand(2, 3, 5, 7)", x -> x[0].expand(2, 3, 5, 7), in(normal(12, 21), 3, 1, 7));
        check("expand(-1, 4)", x -> x[0].expand(-1, 4), in(normal(13, 3), 3, 1));
    }

    @Test
    void squeezeUnsqueezeFlatten() {
        check("squeeze(1)", x -> x[0].squeeze(1), in(normal(14, 21), 3, 1, 7));
        check("squeeze()", x -> x[0].squeeze(), in(normal(15, 21), 3, 1, 7, 1));
        check("unsqueeze(1)", x -> x[0].unsqueeze(1), x(16));
        check("unsqueeze(-1)", x -> x[0].unsqueeze(-1), x(17));
        check("flatten(1, 2)", x -> x[0].flatten(1, 2), x(18));
        check("flatten()", x -> x[0].flatten(), x(19));
    }

    @Test
    void contiguousAndCopy() {
        check("transpose().contiguous()", x -> x[0].transpose(1, 2).contiguous(), x(20));
        check("copy()", x -> x[0].copy().mul(x[0]), x(21));
    }

    @Test
    void viewsOfViewsComposed() {
        check("permute -> slice -> unsqueeze -> expand",
                x -> x[0].permute(1, 2, 0).slice(0, 0, 5, 2).unsqueeze(0).expand(2, 3, 7, 3), x(22));
    }

    // ------------------------------------------------------------------------------------------ dtype round trip

    /**
     * to(BF16).to(F32) is piecewise constant, so finite differences cannot check it; its gradient is defined
     * as the straight-through cast: the incoming gradient w is rounded to BF16 and widened back.
     */
    @Test
    void castToBf16AndBackPassesTheGradientThroughRoundedToBf16() {
        checkCastRoundTrip(DType.BF16);
        checkCastRoundTrip(DType.F16);
    }

    private static void checkCastRoundTrip(DType half) {
        float[] xs = normal(23, N);
        float[] w = normal(24, N);
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(xs, S).requiresGrad(true);
            Tensor y = x.to(half).to(DType.F32);
            assertEquals(DType.F32, y.dtype());
            float[] yv = y.toFloatArray();
            for (int i = 0; i < N; i++) {
                float r = half == DType.BF16 ? HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(xs[i]))
                        : HalfFloats.f16ToFloat(HalfFloats.floatToF16(xs[i]));
                assertEquals(r, yv[i], 0f, "forward value " + i);
            }
            y.mul(Tensor.of(w, S)).sum().backward();
            float[] g = x.grad().toFloatArray();
            for (int i = 0; i < N; i++) {
                float r = half == DType.BF16 ? HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(w[i]))
                        : HalfFloats.f16ToFloat(HalfFloats.floatToF16(w[i]));
                assertEquals(r, g[i], 0f, half + " gradient " + i);
            }
            x.zeroGrad();
        }
    }

    // ------------------------------------------------------------------------------------------ indexing

    @Test
    void gatherAlongTheMiddleDimWithRepeatedIndices() {
        long[] idx = TestSupport.indices(30, 3 * 4 * 7, 5);
        check("gather(1)", x -> x[0].gather(1, Tensor.ofLongs(idx, 3, 4, 7)), x(31));
        int[] idx32 = TestSupport.toInts(TestSupport.indices(32, 3 * 5 * 2, 7));
        check("gather(-1) with I32 index", x -> x[0].gather(-1, Tensor.ofInts(idx32, 3, 5, 2)), x(33));
    }

    @Test
    void indexSelectWithRepeatedIndices() {
        check("indexSelect(1)", x -> x[0].indexSelect(1, Tensor.ofLongs(new long[] {4, 0, 4, 2}, 4)), x(34));
        check("indexSelect(0) I32", x -> x[0].indexSelect(0, Tensor.ofInts(new int[] {2, 2, 1}, 3)), x(35));
    }

    @Test
    void scatterAddDifferentiatesBothSelfAndSource() {
        // index [3, 2, 7] into dim 1 of size 5, with collisions (several src elements land on one place)
        long[] idx = {0, 1, 2, 3, 4, 0, 1, 0, 0, 0, 1, 1, 1, 4, 2, 2, 2, 2, 2, 2, 2,
                3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 1, 2, 3, 1, 2, 3, 1};
        check("scatterAdd(1)", x -> x[0].scatterAdd(1, Tensor.ofLongs(idx, 3, 2, 7), x[1]), x(36), in(normal(37, 42), 3, 2, 7));
    }

    @Test
    void indexAddDifferentiatesBothSelfAndSource() {
        check("indexAdd(1)", x -> x[0].indexAdd(1, Tensor.ofLongs(new long[] {1, 3, 1}, 3), x[1]), x(38), in(normal(39, 63), 3, 3, 7));
    }

    @Test
    void embeddingAccumulatesRowsOfRepeatedIds() {
        long[] ids = {2, 5, 2, 0, 2, 3};
        check("embedding", x -> x[0].embedding(Tensor.ofLongs(ids, 2, 3)), in(normal(40, 24), 6, 4));
    }

    // ------------------------------------------------------------------------------------------ cat / stack / split

    @Test
    void catAlongTheMiddleDim() {
        check("cat(1)", x -> Tensor.cat(List.of(x[0], x[1], x[2]), 1),
                in(normal(41, 42), 3, 2, 7), in(normal(42, 84), 3, 4, 7), in(normal(43, 21), 3, 1, 7));
    }

    @Test
    void stackAlongANewMiddleDim() {
        check("stack(1)", x -> Tensor.stack(List.of(x[0], x[1], x[2]), 1),
                in(normal(44, 15), 3, 5), in(normal(45, 15), 3, 5), in(normal(46, 15), 3, 5));
    }

    @Test
    void splitAndChunkPiecesUsedDifferently() {
        check("split(2, 1)", x -> {
            List<Tensor> p = x[0].split(2, 1); // sizes 2, 2, 1
            assertEquals(3, p.size());
            return Tensor.cat(List.of(p.get(2).mul(3f), p.get(0), p.get(1).exp()), 1);
        }, x(47));
        check("split({4, 3}, -1)", x -> {
            List<Tensor> p = x[0].split(new int[] {4, 3}, -1);
            return p.get(0).sum(-1, false).mul(p.get(1).sum(-1, false));
        }, x(48));
        check("chunk(3, 2)", x -> {
            List<Tensor> p = x[0].chunk(3, 2); // sizes 3, 3, 1
            assertEquals(3, p.size());
            return p.get(0).mul(p.get(1)).add(p.get(2));
        }, x(49));
    }

    @Test
    void aViewDoesNotRecordHistoryUnderNoGrad() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(normal(50, N), S).requiresGrad(true);
            try (Autograd.Mode off = Autograd.noGrad()) {
                assertFalse(x.transpose(0, 1).requiresGrad());
            }
        }
    }
}

package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What backward() does beyond single derivatives: accumulation, detach, no-grad, graph lifetime, errors. */
@ExtendWith(ScopePerTest.class)
class AutogradSemanticsTest {
    private static Tensor leaf(long seed, int... shape) {
        return Tensor.of(normal(seed, TestSupport.numel(shape)), shape).requiresGrad(true);
    }

    private static float[] times(float[] a, float s) {
        float[] o = a.clone();
        for (int i = 0; i < o.length; i++) o[i] *= s;
        return o;
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = leaf(1, 3, 4);
        float[] xv = x.toFloatArray();
        x.mul(x).sum().backward();                  // 2x
        assertClose("after one backward", times(xv, 2), x.grad().toFloatArray(), 1e-6, 1e-6);
        x.mul(3f).sum().backward();                 // + 3
        float[] expected = times(xv, 2);
        for (int i = 0; i < expected.length; i++) expected[i] += 3;
        assertClose("after two backwards", expected, x.grad().toFloatArray(), 1e-6, 1e-6);
        x.zeroGrad();
        assertNull(x.grad());
        x.sum().backward();
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, x.grad().toFloatArray());
        x.zeroGrad();
    }

    @Test
    void leavesAddedTogetherGetGradientsThatDoNotAliasEachOther() {
        // z = x + y hands the same incoming gradient to both inputs; each leaf must own its own copy, or a later
        // accumulation into one would silently change the other.
        // (The product with c makes the gradient reaching the add a fresh contiguous tensor, not sum's view.)
        Tensor x = leaf(2, 5);
        Tensor y = leaf(3, 5);
        Tensor c = Tensor.of(new float[] {1, 2, 3, 4, 5}, 5);
        x.add(y).mul(c).sum().backward();
        x.mul(3f).sum().backward();
        assertArrayEquals(new float[] {4, 5, 6, 7, 8}, x.grad().toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5}, y.grad().toFloatArray(), "y's gradient changed when x's accumulated");
        x.zeroGrad();
        y.zeroGrad();
    }

    @Test
    void theGradientPassedToBackwardIsNotAdoptedAsALeafGradient() {
        Tensor x = leaf(4, 3);
        Tensor g = Tensor.of(new float[] {1, 2, 3}, 3);
        x.backward(g);
        assertArrayEquals(new float[] {1, 2, 3}, x.grad().toFloatArray());
        x.mul(2f).backward(Tensor.ones(3));
        assertArrayEquals(new float[] {3, 4, 5}, x.grad().toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3}, g.toFloatArray(), "backward(g) must not write into g");
        x.zeroGrad();
    }

    @Test
    void aTensorUsedTwiceReceivesTheSumOfBothPaths() {
        Tensor x = leaf(5, 4);
        float[] xv = x.toFloatArray();
        x.mul(x).sum().backward();
        assertClose("x*x", times(xv, 2), x.grad().toFloatArray(), 1e-6, 1e-6);
        x.zeroGrad();
        x.add(x).sum().backward();
        assertArrayEquals(new float[] {2, 2, 2, 2}, x.grad().toFloatArray());
        x.zeroGrad();
        // used along two different paths that meet again: y = exp(x); z = y * x + y
        Tensor y = x.exp();
        y.mul(x).add(y).sum().backward();
        double[] ref = new double[4];
        for (int i = 0; i < 4; i++) ref[i] = Math.exp(xv[i]) * (xv[i] + 2); // d/dx (e^x x + e^x)
        assertClose("diamond", ref, x.grad().toFloatArray(), 1e-5, 1e-5);
        x.zeroGrad();
    }

    @Test
    void detachCutsTheGraphButSharesTheData() {
        Tensor x = leaf(6, 3);
        Tensor d = x.detach();
        assertFalse(d.requiresGrad());
        assertTrue(d.isLeaf());
        assertSame(x.storage(), d.storage());
        Tensor y = x.mul(d); // derivative sees d as a constant: dy/dx = d = x
        y.sum().backward();
        assertArrayEquals(x.toFloatArray(), x.grad().toFloatArray());
        x.zeroGrad();
    }

    @Test
    void noGradRecordsNothingAndRestoresThePreviousMode() {
        Tensor x = leaf(7, 3);
        assertTrue(Autograd.isEnabled());
        try (Autograd.Mode off = Autograd.noGrad()) {
            assertFalse(Autograd.isEnabled());
            Tensor y = x.mul(2f).exp();
            assertFalse(y.requiresGrad());
            assertNull(y.gradFnName());
            try (Autograd.Mode on = Autograd.enableGrad()) {
                assertTrue(x.mul(2f).requiresGrad());
            }
            assertFalse(Autograd.isEnabled());
            IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
            assertTrue(e.getMessage().contains("does not require grad"), e.getMessage());
        }
        assertTrue(Autograd.isEnabled());
        assertEquals("mul", x.mul(2f).gradFnName().replace("mul_scalar", "mul").replace("_", ""));
    }

    @Test
    void backwardOnANonScalarNeedsAnExplicitGradient() {
        Tensor x = leaf(8, 2, 3);
        Tensor y = x.mul(2f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, y::backward);
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("gradient"), e.getMessage());
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.ones(3, 2)));
        assertTrue(wrong.getMessage().contains("[3, 2]") && wrong.getMessage().contains("[2, 3]"), wrong.getMessage());
        y.backward(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, x.grad().toFloatArray());
        x.zeroGrad();
    }

    @Test
    void theGraphIsFreedAfterBackwardUnlessRetained() {
        Tensor x = leaf(9, 4);
        Tensor loss = x.exp().sum();
        loss.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("already freed") && e.getMessage().contains("backward(grad, true)"), e.getMessage());
        x.zeroGrad();

        Tensor kept = x.exp().sum();
        kept.backward(Tensor.scalar(1f), true);
        float[] once = x.grad().toFloatArray();
        kept.backward(Tensor.scalar(1f), true);
        kept.backward();                            // the last one may free it
        assertClose("three backwards through a retained graph", times(once, 3), x.grad().toFloatArray(), 1e-5, 1e-6);
        assertThrows(IllegalStateException.class, kept::backward);
        x.zeroGrad();
    }

    @Test
    void anIntermediateOfAFreedGraphCannotBeBackpropagatedEither() {
        Tensor x = leaf(10, 4);
        Tensor mid = x.exp();
        mid.sum().backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> mid.backward(Tensor.ones(4)));
        assertTrue(e.getMessage().contains("exp"), "the message names the op whose graph is gone: " + e.getMessage());
        x.zeroGrad();
    }

    @Test
    void leafGradientsAreContiguousEvenWhenTheRuleReturnsAView() {
        Tensor x = leaf(11, 3, 4);
        x.sum().backward(); // sum's rule returns an expanded (stride-0) view
        assertTrue(x.grad().isContiguous());
        assertArrayEquals(new int[] {3, 4}, x.grad().shape());
        x.zeroGrad();
        Tensor w = Tensor.of(normal(12, 12), 4, 3);
        x.t().mul(w).sum().backward(); // permute's rule returns a transposed view
        assertTrue(x.grad().isContiguous());
        assertArrayEquals(w.t().contiguous().toFloatArray(), x.grad().toFloatArray());
        x.zeroGrad();
    }

    @Test
    void onlyFloatingTensorsCanRequireGrad() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.ofInts(new int[] {1, 2}, 2).requiresGrad(true));
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofLongs(new long[] {1}, 1).requiresGrad(true));
        Tensor b = Tensor.of(new float[] {1}, 1).to(DType.BF16).requiresGrad(true);
        assertTrue(b.requiresGrad());
    }

    @Test
    void requiresGradFalseOnAComputedTensorPointsToDetach() {
        Tensor y = leaf(13, 2).exp();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
        assertTrue(e.getMessage().contains("detach"), e.getMessage());
    }

    @Test
    void gradientsDoNotFlowIntoInputsThatDoNotRequireThem() {
        Tensor x = leaf(14, 3);
        Tensor c = Tensor.of(normal(15, 3), 3);
        x.mul(c).sum().backward();
        assertNull(c.grad());
        assertArrayEquals(c.toFloatArray(), x.grad().toFloatArray());
        x.zeroGrad();
    }

    @Test
    void deepChainsOfTenThousandOpsDoNotOverflowTheStack() {
        Tensor x = leaf(16, 3);
        float[] xv = x.toFloatArray();
        Tensor y = x;
        int n = 10_000;
        for (int i = 0; i < n; i++) y = i % 2 == 0 ? y.mul(1.0001f) : y.add(0.001f);
        y.sum().backward();
        double slope = Math.pow(1.0001f, n / 2);
        for (int i = 0; i < 3; i++) assertEquals(slope, x.grad().toFloatArray()[i], 1e-3 * slope);
        assertTrue(xv.length == 3);
        x.zeroGrad();
    }

    @Test
    void deepChainsThroughViewsAndBinaryOps() {
        Tensor x = leaf(17, 4, 2);
        Tensor y = x;
        for (int i = 0; i < 5_000; i++) y = y.transpose(0, 1).reshape(4, 2).add(x.mul(1e-4f));
        y.sum().backward();
        assertTrue(x.grad().isContiguous());
        for (float g : x.grad().toFloatArray()) assertTrue(Float.isFinite(g) && g > 1f);
        x.zeroGrad();
    }

    @Test
    void gradientsAreFiniteWhereTheFunctionIsFlat() {
        // 0 / x is constant: its gradient is 0 everywhere, not 0 * (-1/0)
        Tensor x = leaf(20, 4);
        x.rdiv(0f).sum().backward();
        assertArrayEquals(new float[] {0, 0, 0, 0}, x.grad().toFloatArray(), 0f); // -0 counts as 0
        x.zeroGrad();
        // relu(x)^2 at x < 0: the derivative 2 relu(x) relu'(x) is 0, also where relu(x) is exactly 0
        Tensor y = Tensor.of(new float[] {-1f, 2f}, 2).requiresGrad(true);
        y.relu().pow(2f).sum().backward();
        assertArrayEquals(new float[] {0f, 4f}, y.grad().toFloatArray());
        y.zeroGrad();
    }

    @Test
    void backwardGradientsAreCastToTheLeafDtype() {
        Tensor x = Tensor.of(normal(18, 6), 6).to(DType.BF16).requiresGrad(true);
        x.to(DType.F32).mul(Tensor.of(normal(19, 6), 6)).sum().backward();
        assertEquals(DType.BF16, x.grad().dtype());
        x.zeroGrad();
    }
}

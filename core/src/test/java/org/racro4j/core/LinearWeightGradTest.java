package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.normal;

import org.junit.jupiter.api.Test;

/**
 * A linear layer's weight gradient comes out of the matmul's backward in the weight's own layout (as (g^T x), not as
 * a transposed view of x^T g that the leaf then copies), with the bits of both formulations: each element is the same
 * products summed in the same order. Checked against an independent float64 sum too, on awkward sizes, with more rows
 * than one K block of the CPU matmul (512) so that the sum crosses a block edge; and by the peak of live storage during
 * the backward, which the copy would raise.
 */
class LinearWeightGradTest {
    @Test
    void weightGradientIsContiguousAndHasTheBitsOfBothFormulations() {
        int[][] shapes = {{3, 37, 45, 70}, {2, 301, 33, 17}, {1, 9, 130, 5}};   // batch, seq, in, out
        for (int[] s : shapes) {
            int rows = s[0] * s[1];
            int in = s[2];
            int out = s[3];
            String what = "x [" + s[0] + ", " + s[1] + ", " + in + "], W [" + out + ", " + in + "]";
            float[] xs = normal(11 + in, rows * in);
            float[] ws = normal(13 + out, out * in);
            float[] rs = normal(17 + rows, rows * out);
            try (Scope scope = Scope.open()) {
                Tensor x = Tensor.of(xs, s[0], s[1], in).requiresGrad(true);
                Tensor w = Tensor.of(ws, out, in).requiresGrad(true);
                Tensor r = Tensor.of(rs, s[0], s[1], out);
                Functional.linear(x, w, null).mul(r).sum().backward();   // dL/dy = r exactly
                Tensor grad = w.grad();
                assertTrue(grad.isContiguous(), what + ": the weight's gradient is stored in its own layout");

                float[] gotBits = grad.toFloatArray();
                float[] asGTimesX;
                float[] asTransposedXTimesG;
                try (Autograd.Mode off = Autograd.noGrad()) {
                    Tensor g2 = Tensor.of(rs, rows, out);
                    Tensor x2 = Tensor.of(xs, rows, in);
                    asGTimesX = g2.t().matmul(x2).contiguous().toFloatArray();
                    asTransposedXTimesG = x2.t().matmul(g2).t().contiguous().toFloatArray();
                }
                assertArrayEquals(asGTimesX, gotBits, what + ": g^T x");
                assertArrayEquals(asTransposedXTimesG, gotBits, what + ": (x^T g)^T, as before");

                double[] ref = new double[out * in];
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        double sum = 0;
                        for (int k = 0; k < rows; k++) sum += (double) rs[k * out + o] * xs[k * in + i];
                        ref[o * in + i] = sum;
                    }
                }
                TestSupport.assertClose(what + ": against a float64 sum", ref, gotBits, 1e-4, 1e-5);
            }
        }
    }

    @Test
    void theWeightGradientNeedsNoCopy() {
        // x W^T with W [out, in] a leaf, against x V with V [in, out] a leaf: the same graph but for the transposed view,
        // so the same peak of live storage during the backward, unless W's gradient reaches it transposed and is copied
        int rows = 4;   // few rows: the weight's gradient is most of what the backward holds
        int in = 200;
        int out = 96;
        float[] xs = normal(21, rows * in);
        float[] ws = normal(23, out * in);
        float[] rs = normal(29, rows * out);
        long transposed = backwardPeak(xs, ws, rs, true, rows, in, out);
        long plain = backwardPeak(xs, ws, rs, false, rows, in, out);
        assertEquals(plain, transposed, "bytes above the start at the peak of the backward of x W^T and of x V");
    }

    /** Bytes of live storage at the peak of the backward above its start: x W^T (linear) or x V. */
    private static long backwardPeak(float[] xs, float[] ws, float[] rs, boolean linear, int rows, int in, int out) {
        Backend cpu = Device.CPU.backend();
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.of(xs, 2, rows / 2, in);
            Tensor w = (linear ? Tensor.of(ws, out, in) : Tensor.of(ws, in, out)).requiresGrad(true);
            Tensor y = linear ? Functional.linear(x, w, null) : x.matmul(w);
            Tensor loss = y.mul(Tensor.of(rs, 2, rows / 2, out)).sum();
            long start = cpu.memoryStats().bytesInUse();
            cpu.resetPeakMemory();
            loss.backward();
            return cpu.memoryStats().peakBytesInUse() - start;
        }
    }
}

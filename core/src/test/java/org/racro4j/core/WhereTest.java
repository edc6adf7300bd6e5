package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * where(cond, a, b) against a loop in the test, on the shapes the kernels take different paths for: unit-stride runs
 * longer than a vector with tails, a or b a broadcast scalar, a causal-mask-like [T, S] condition broadcast over [B, H],
 * strided views; conditions holding NaN (selects a) and -0 (selects b).
 */
class WhereTest {
    @Test
    void selectsLikeTheScalarRule() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : new int[] {1, 15, 16, 17, 100, 1037}) {
            float[] c = new float[n];
            for (int i = 0; i < n; i++) c[i] = switch (r.nextInt(5)) {
                case 0 -> 0f;
                case 1 -> -0f;
                case 2 -> Float.NaN;
                default -> (float) r.nextGaussian();
            };
            float[] a = TestSupport.normal(n, n);
            float[] b = TestSupport.normal(n + 1, n);
            Tensor ct = Tensor.of(c, n);
            check(c, a, b, false, false, Tensor.where(ct, Tensor.of(a, n), Tensor.of(b, n)));
            check(c, a, b, true, false, Tensor.where(ct, Tensor.scalar(a[0]), Tensor.of(b, n)));
            check(c, a, b, false, true, Tensor.where(ct, Tensor.of(a, n), Tensor.scalar(b[0])));
            check(c, a, b, true, true, Tensor.where(ct, Tensor.scalar(a[0]), Tensor.scalar(b[0])));
        }
    }

    @Test
    void aMaskBroadcastOverBatchAndHeadsAndAStridedInput() {
        int bt = 3, h = 2, t = 5, s = 37;
        float[] mask = new float[t * s];
        for (int i = 0; i < t; i++) for (int j = 0; j < s; j++) mask[i * s + j] = j > i + s - t ? 1f : 0f;
        float[] x = TestSupport.normal(9, bt * h * s * t);
        // the scores as the transpose of [B, H, S, T]: not contiguous
        Tensor scores = Tensor.of(x, bt, h, s, t).transpose(2, 3);
        float[] got = scores.maskedFill(Tensor.of(mask, t, s), -7f).toFloatArray();
        for (int q = 0; q < bt * h; q++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < s; j++) {
                    float want = mask[i * s + j] != 0f ? -7f : x[(q * s + j) * t + i];
                    assertEquals(want, got[(q * t + i) * s + j], "[" + q + ", " + i + ", " + j + "]");
                }
            }
        }
    }

    private static void check(float[] c, float[] a, float[] b, boolean aScalar, boolean bScalar, Tensor got) {
        float[] g = got.toFloatArray();
        for (int i = 0; i < c.length; i++) {
            float want = c[i] != 0f ? (aScalar ? a[0] : a[i]) : (bScalar ? b[0] : b[i]);
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(g[i]), "element " + i + " of " + c.length + ", cond " + c[i]);
        }
    }
}

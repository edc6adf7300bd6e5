package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/**
 * FastKernelsGpuTest's element-wise bounds, on the CPU (no GPU needed): the CPU backend computes BF16 and F16 in F32
 * and rounds once, the best a kernel can do, so it must pass them; one element off by a fraction of the output's
 * RMS, which the relative norm cannot see, must fail them, naming that element.
 */
class FastKernelsToleranceTest {
    private static Tensor randn(long seed, DType dt, int... shape) {
        return Tensor.randn(new Generator(seed), shape).to(dt);
    }

    @Test
    void aRoundedOnceGemmPassesAndOneWrongElementFailsByName() {
        for (DType dt : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            int batch = 2, m = 45, n = 70, k = 83;
            Tensor a = randn(1, dt, batch, k, m).transpose(1, 2);
            Tensor b = randn(2, dt, batch, k, n);
            Tensor c0 = randn(3, dt, batch, m, n);
            Tensor want = c0.to(DType.F32).copy();   // the products below accumulate into their outputs: never c0 itself
            Device.CPU.backend().matmul(a.to(DType.F32), b.to(DType.F32), want, 0.75f, 0.5f);
            Tensor magnitude = c0.to(DType.F32).abs();
            Device.CPU.backend().matmul(a.to(DType.F32).abs(), b.to(DType.F32).abs(), magnitude, 0.75f, 0.5f);
            Tensor got = c0.copy();
            Device.CPU.backend().matmul(a, b, got, 0.75f, 0.5f);
            double gamma = FastKernelsGpuTest.gemmGamma(k, false);
            FastKernelsGpuTest.assertCloseRelative(dt + " gemm", got, want, 1e-2, magnitude, gamma);

            // element [1, 7, 9] off by 1 (the output's RMS is about 6): the norm moves by ~2e-3 and passes
            float[] off = got.to(DType.F32).toFloatArray();
            off[(1 * m + 7) * n + 9] += 1f;
            Tensor wrong = Tensor.of(off, batch, m, n).to(dt);
            AssertionFailedError e = assertThrows(AssertionFailedError.class,
                    () -> FastKernelsGpuTest.assertCloseRelative(dt + " gemm", wrong, want, 1e-2, magnitude, gamma));
            assertTrue(e.getMessage().contains("worst element [1, 7, 9]") && e.getMessage().contains("1 of 6300 elements"), e.getMessage());
            assertTrue(!e.getMessage().contains("exceeds"), "the norm alone passes: " + e.getMessage());
            // and the rule without magnitudes (6 x the norm bound at the RMS scale) catches it too
            assertThrows(AssertionFailedError.class, () -> FastKernelsGpuTest.assertCloseRelative(dt + " gemm", wrong, want, 1e-2));
        }
    }

    @Test
    void aRoundedOnceAttentionPassesItsBound() {
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            Tensor q = randn(4, dt, 2, 4, 37, 64);
            Tensor k = randn(5, dt, 2, 2, 53, 64);
            Tensor v = randn(6, dt, 2, 2, 53, 64);
            Tensor got = Functional.scaledDotProductAttention(q, k, v, null, true, Float.NaN);
            Tensor want = Functional.scaledDotProductAttention(q.to(DType.F32), k.to(DType.F32), v.to(DType.F32), null, true, Float.NaN);
            Tensor magnitude = Functional.scaledDotProductAttention(q.to(DType.F32), k.to(DType.F32), v.to(DType.F32).abs(), null, true,
                    Float.NaN);
            FastKernelsGpuTest.assertCloseRelative("attention " + dt, got, want, 1.5e-2, magnitude, FastKernelsGpuTest.attentionGamma(dt));
        }
    }
}

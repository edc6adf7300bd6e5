package org.racro4j.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.DType;
import org.racro4j.core.HalfFloats;
import org.racro4j.core.Scope;
import org.racro4j.core.ScopePerTest;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;

/** AdamW against a float64 implementation, optimizer state round trips, gradient clipping, LR schedules. */
@ExtendWith(ScopePerTest.class)
class OptimTest {
    /** Float64 AdamW (decoupled weight decay, bias correction) for one tensor. */
    static final class RefAdamW {
        final double[] p;
        final double[] m;
        final double[] v;
        final double wd;

        RefAdamW(float[] init, double wd) {
            p = org.racro4j.core.TestSupport.toDouble(init);
            m = new double[init.length];
            v = new double[init.length];
            this.wd = wd;
        }

        void step(float[] g, double lr, double b1, double b2, double eps, long t) {
            double bc1 = 1 - Math.pow(b1, t);
            double bc2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < p.length; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                p[i] -= lr * wd * p[i];
                p[i] -= lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + eps);
            }
        }
    }

    /** Sets p.grad() to exactly g (the gradient of sum(p * g)). */
    private static void setGrad(Tensor p, float[] g) {
        p.zeroGrad();
        p.mul(Tensor.of(g, p.shape())).sum().backward();
    }

    @Test
    void adamWMatchesFloat64OverSixStepsWithTwoDecayGroups() {
        float[] a0 = normal(1, 12);
        float[] b0 = normal(2, 5);
        float[] c0 = normal(3, 4);
        Tensor a = Scope.escape(Tensor.of(a0, 3, 4).requiresGrad(true));
        Tensor b = Scope.escape(Tensor.of(b0, 5).requiresGrad(true));
        Tensor c = Scope.escape(Tensor.of(c0, 2, 2).requiresGrad(true));
        float lr = 0.05f;
        float b1 = 0.9f;
        float b2 = 0.99f;
        float eps = 1e-6f;
        try (AdamW opt = new AdamW(List.of(new AdamW.Group(List.of(a, c), 0.1f), new AdamW.Group(List.of(b), 0f)), lr, b1, b2, eps)) {
            RefAdamW ra = new RefAdamW(a0, 0.1f);
            RefAdamW rb = new RefAdamW(b0, 0f);
            RefAdamW rc = new RefAdamW(c0, 0.1f);
            for (int t = 1; t <= 6; t++) {
                float[] ga = normal(10 + t, 12);
                float[] gb = normal(20 + t, 5);
                float[] gc = normal(30 + t, 4);
                if (t == 4) {
                    for (int i = 0; i < ga.length; i++) ga[i] *= 100; // a large gradient, then back: v must remember it
                }
                setGrad(a, ga);
                setGrad(b, gb);
                setGrad(c, gc);
                opt.step();
                assertEquals(t, opt.stepCount());
                ra.step(ga, lr, b1, b2, eps, t);
                rb.step(gb, lr, b1, b2, eps, t);
                rc.step(gc, lr, b1, b2, eps, t);
                assertClose("a after step " + t, ra.p, a.toFloatArray(), 2e-6, 2e-6);
                assertClose("b after step " + t, rb.p, b.toFloatArray(), 2e-6, 2e-6);
                assertClose("c after step " + t, rc.p, c.toFloatArray(), 2e-6, 2e-6);
                Map<String, Tensor> st = opt.stateDict();
                assertClose("m of a", ra.m, st.get("m.0").toFloatArray(), 1e-6, 1e-5);
                assertClose("v of a", ra.v, st.get("v.0").toFloatArray(), 1e-6, 1e-5);
                assertClose("v of b", rb.v, st.get("v.2").toFloatArray(), 1e-6, 1e-5);
            }
        } finally {
            for (Tensor p : List.of(a, b, c)) {
                p.zeroGrad();
                p.close();
            }
        }
    }

    /**
     * A parameter with no gradient in a step (PRCO's vision tower in a minibatch of text-only Solver rollouts) is
     * left alone, weight decay and moments included, and its bias correction counts only its own steps, as
     * PyTorch's per-parameter step does. b misses steps 2 and 3: its float64 reference steps at t = 1, 2, 3, 4 while
     * a's steps at t = 1..6. The per-parameter counts survive a state round trip; a state without them (older
     * checkpoints) gives each parameter the optimizer's step count.
     */
    @Test
    void aParameterWithoutGradientSkipsTheStepAndKeepsItsOwnBiasCorrection() {
        float[] a0 = normal(81, 7);
        float[] b0 = normal(82, 5);
        Tensor a = Scope.escape(Tensor.of(a0, 7, 1).requiresGrad(true));
        Tensor b = Scope.escape(Tensor.of(b0, 5, 1).requiresGrad(true));
        float lr = 0.05f;
        float b1 = 0.8f;
        float b2 = 0.9f;
        float eps = 1e-6f;
        try (AdamW opt = new AdamW(List.of(new AdamW.Group(List.of(a, b), 0.1f)), lr, b1, b2, eps)) {
            RefAdamW ra = new RefAdamW(a0, 0.1f);
            RefAdamW rb = new RefAdamW(b0, 0.1f);
            long bSteps = 0;
            for (int t = 1; t <= 6; t++) {
                boolean bSkips = t == 2 || t == 3;
                float[] ga = normal(90 + t, 7);
                float[] gb = normal(100 + t, 5);
                setGrad(a, ga);
                b.zeroGrad();
                if (!bSkips) setGrad(b, gb);
                float[] bBefore = b.toFloatArray();
                opt.step();
                ra.step(ga, lr, b1, b2, eps, t);
                if (!bSkips) rb.step(gb, lr, b1, b2, eps, ++bSteps);
                assertClose("a after step " + t, ra.p, a.toFloatArray(), 2e-6, 2e-6);
                if (bSkips) assertArrayEquals(bBefore, b.toFloatArray(), "b without a gradient is not touched at step " + t);
                assertClose("b after step " + t, rb.p, b.toFloatArray(), 2e-6, 2e-6);
            }
            Map<String, Tensor> st = opt.stateDict();
            assertArrayEquals(new long[] {6}, st.get("step.0").toLongArray());
            assertArrayEquals(new long[] {4}, st.get("step.1").toLongArray());

            // a restored optimizer continues with b's own count; one restored from moments alone uses the global count
            float[] ga = normal(120, 7);
            float[] gb = normal(121, 5);
            Tensor a2 = Scope.escape(Tensor.of(a.toFloatArray(), 7, 1).requiresGrad(true));
            Tensor b2t = Scope.escape(Tensor.of(b.toFloatArray(), 5, 1).requiresGrad(true));
            Tensor b3 = Scope.escape(Tensor.of(b.toFloatArray(), 5, 1).requiresGrad(true));
            try (AdamW restored = new AdamW(List.of(new AdamW.Group(List.of(a2, b2t), 0.1f)), lr, b1, b2, eps);
                 AdamW legacy = new AdamW(List.of(new AdamW.Group(List.of(b3), 0.1f)), lr, b1, b2, eps)) {
                restored.loadStateDict(st, opt.stepCount());
                legacy.loadStateDict(Map.of("m.0", st.get("m.1"), "v.0", st.get("v.1")), opt.stepCount());
                setGrad(a2, ga);
                setGrad(b2t, gb);
                setGrad(b3, gb);
                restored.step();
                legacy.step();
                rb.step(gb, lr, b1, b2, eps, 5);
                assertClose("restored b", rb.p, b2t.toFloatArray(), 2e-6, 2e-6);
                RefAdamW legacyRef = new RefAdamW(b.toFloatArray(), 0.1f);
                System.arraycopy(org.racro4j.core.TestSupport.toDouble(st.get("m.1").toFloatArray()), 0, legacyRef.m, 0, 5);
                System.arraycopy(org.racro4j.core.TestSupport.toDouble(st.get("v.1").toFloatArray()), 0, legacyRef.v, 0, 5);
                legacyRef.step(gb, lr, b1, b2, eps, 7);
                assertClose("b restored without its count", legacyRef.p, b3.toFloatArray(), 2e-6, 2e-6);
            } finally {
                for (Tensor p : List.of(a2, b2t, b3)) {
                    p.zeroGrad();
                    p.close();
                }
            }
        } finally {
            for (Tensor p : List.of(a, b)) {
                p.zeroGrad();
                p.close();
            }
        }
    }

    @Test
    void weightDecayAloneShrinksParametersByOneMinusLrTimesDecay() {
        Tensor p = Scope.escape(Tensor.of(new float[] {2f, -4f}, 2).requiresGrad(true));
        try (AdamW opt = new AdamW(List.of(p), 0.1f, 0.5f)) {
            setGrad(p, new float[] {0f, 0f});
            opt.step();
            assertArrayEquals(new float[] {2f * 0.95f, -4f * 0.95f}, p.toFloatArray(), 1e-6f);
        } finally {
            p.zeroGrad();
            p.close();
        }
    }

    @Test
    void parametersWithoutGradientsAreLeftAlone() {
        Tensor p = Scope.escape(Tensor.of(new float[] {1f, 2f}, 2).requiresGrad(true));
        Tensor q = Scope.escape(Tensor.of(new float[] {3f}, 1).requiresGrad(true));
        try (AdamW opt = new AdamW(List.of(p, q), 0.1f, 0.1f)) {
            setGrad(p, new float[] {1f, -1f});
            opt.step();
            assertArrayEquals(new float[] {3f}, q.toFloatArray());
            assertEquals(List.of("m.0", "v.0", "step.0"), List.copyOf(opt.stateDict().keySet()), "state only for stepped parameters");
        } finally {
            p.zeroGrad();
            p.close();
            q.close();
        }
    }

    @Test
    void forTransformerDecaysMatricesOnly() {
        Tensor w = Scope.escape(Tensor.of(new float[] {1, 1, 1, 1}, 2, 2).requiresGrad(true));
        Tensor bias = Scope.escape(Tensor.of(new float[] {1, 1}, 2).requiresGrad(true));
        try (AdamW opt = AdamW.forTransformer(List.of(bias, w), 0.1f, 0.5f, 0.9f, 0.999f, 1e-8f)) {
            setGrad(w, new float[] {0, 0, 0, 0});
            setGrad(bias, new float[] {0, 0});
            opt.step();
            assertArrayEquals(new float[] {0.95f, 0.95f, 0.95f, 0.95f}, w.toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {1f, 1f}, bias.toFloatArray());
        } finally {
            for (Tensor t : List.of(w, bias)) {
                t.zeroGrad();
                t.close();
            }
        }
    }

    @Test
    void bf16ParametersKeepF32MomentsAndRoundOnce() {
        float[] init = normal(40, 16);
        Tensor p = Scope.escape(Tensor.of(init, 16).to(DType.BF16).requiresGrad(true));
        float[] start = p.toFloatArray();
        try (AdamW opt = new AdamW(List.of(p), 0.01f, 0.01f)) {
            RefAdamW ref = new RefAdamW(start, 0.01f);
            for (int t = 1; t <= 5; t++) {
                float[] g = normal(50 + t, 16);
                setGrad(p, g);
                float[] gRounded = p.grad().toFloatArray(); // the gradient of a BF16 leaf is BF16
                opt.step();
                ref.step(gRounded, 0.01, 0.9, 0.999, 1e-8, t);
                assertEquals(DType.F32, opt.stateDict().get("m.0").dtype());
                assertEquals(DType.BF16, p.dtype());
                float[] got = p.toFloatArray();
                for (int i = 0; i < 16; i++) {
                    // one step from the same BF16 value: the results differ by the final rounding (and, next to a
                    // rounding midpoint, by the float-vs-double arithmetic before it): at most one BF16 ulp
                    assertEquals(ref.p[i], got[i], Math.abs(ref.p[i]) * 0x1p-7 + 1e-6, "element " + i + " after step " + t);
                    assertEquals(got[i], HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(got[i])), 0f, "the parameter holds BF16 values");
                    ref.p[i] = got[i];
                }
            }
        } finally {
            p.zeroGrad();
            p.close();
        }
    }

    @Test
    void optimizerStateRoundTripContinuesIdentically(@TempDir Path dir) throws IOException {
        float[] init = normal(60, 10);
        Tensor p1 = Scope.escape(Tensor.of(init, 2, 5).requiresGrad(true));
        Tensor p2 = null;
        Tensor p3 = null;
        AdamW opt1 = new AdamW(List.of(p1), 0.02f, 0.05f);
        AdamW opt2 = null;
        AdamW opt3 = null;
        try {
            for (int t = 0; t < 3; t++) {
                setGrad(p1, normal(70 + t, 10));
                opt1.step();
            }
            // checkpoint: parameters and optimizer state through a safetensors file
            Path ckpt = dir.resolve("opt.safetensors");
            Safetensors.write(ckpt, opt1.stateDict(), Map.of("step", Long.toString(opt1.stepCount())));
            float[] saved = p1.toFloatArray();
            p2 = Scope.escape(Tensor.of(saved, 2, 5).requiresGrad(true));
            p3 = Scope.escape(Tensor.of(saved, 2, 5).requiresGrad(true));
            opt2 = new AdamW(List.of(p2), 0.02f, 0.05f);
            opt3 = new AdamW(List.of(p3), 0.02f, 0.05f);
            try (Safetensors.Reader r = Safetensors.open(ckpt)) {
                Map<String, Tensor> st = new LinkedHashMap<>();
                for (String n : r.names()) st.put(n, r.load(n));
                opt2.loadStateDict(st, Long.parseLong(r.metadata().get("step")));
            }
            assertEquals(3, opt2.stepCount());
            for (int t = 3; t < 5; t++) {
                float[] g = normal(70 + t, 10);
                for (Tensor p : List.of(p1, p2, p3)) setGrad(p, g);
                opt1.step();
                opt2.step();
                opt3.step();
            }
            assertArrayEquals(p1.toFloatArray(), p2.toFloatArray(), "restored optimizer continues bit for bit");
            assertFalse(java.util.Arrays.equals(p1.toFloatArray(), p3.toFloatArray()), "a fresh optimizer does not (the test can fail)");
        } finally {
            List<Tensor> ps = new ArrayList<>(List.of(p1));
            if (p2 != null) ps.add(p2);
            if (p3 != null) ps.add(p3);
            for (Tensor p : ps) {
                p.zeroGrad();
                p.close();
            }
            opt1.close();
            if (opt2 != null) opt2.close();
            if (opt3 != null) opt3.close();
        }
    }

    @Test
    void loadStateDictNeedsBothMoments() {
        Tensor p = Scope.escape(Tensor.ones(3).requiresGrad(true));
        try (AdamW opt = new AdamW(List.of(p), 0.1f, 0f)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(Map.of("m.0", Tensor.zeros(3)), 1));
            assertTrue(e.getMessage().contains("m.0") && e.getMessage().contains("v.0"), e.getMessage());
        } finally {
            p.close();
        }
    }

    @Test
    void invalidHyperparametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(new AdamW.Group(List.of(), 0f)), -1f, 0.9f, 0.999f, 1e-8f));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(new AdamW.Group(List.of(), 0f)), 1f, 1f, 0.999f, 1e-8f));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(new AdamW.Group(List.of(), 0f)), 1f, 0.9f, 0.999f, 0f));
    }

    // ------------------------------------------------------------------------------------------ gradient clipping

    @Test
    void clipGradNormScalesAllGradientsTogether() {
        Tensor a = Scope.escape(Tensor.ones(2, 3).requiresGrad(true));
        Tensor b = Scope.escape(Tensor.ones(4).requiresGrad(true));
        Tensor none = Scope.escape(Tensor.ones(2).requiresGrad(true));
        float[] ga = normal(80, 6);
        float[] gb = normal(81, 4);
        try {
            setGrad(a, ga);
            setGrad(b, gb);
            double ss = 0;
            for (float v : ga) ss += (double) v * v;
            for (float v : gb) ss += (double) v * v;
            double norm = Math.sqrt(ss);
            float maxNorm = (float) (norm / 3);
            float returned = GradClip.clipGradNorm(List.of(a, b, none), maxNorm);
            assertEquals(norm, returned, 1e-5 * norm, "the norm before clipping");
            double scale = maxNorm / (norm + 1e-6);
            double[] ra = new double[6];
            double[] rb = new double[4];
            for (int i = 0; i < 6; i++) ra[i] = ga[i] * scale;
            for (int i = 0; i < 4; i++) rb[i] = gb[i] * scale;
            assertClose("clipped a", ra, a.grad().toFloatArray(), 1e-7, 1e-6);
            assertClose("clipped b", rb, b.grad().toFloatArray(), 1e-7, 1e-6);
            double after = 0;
            for (float v : a.grad().toFloatArray()) after += v * v;
            for (float v : b.grad().toFloatArray()) after += v * v;
            assertEquals(maxNorm, Math.sqrt(after), 1e-5);
            assertNull(none.grad());

            // below the limit: nothing changes, bit for bit
            float[] before = a.grad().toFloatArray();
            GradClip.clipGradNorm(List.of(a, b), 100f);
            assertArrayEquals(before, a.grad().toFloatArray());
        } finally {
            for (Tensor t : List.of(a, b, none)) {
                t.zeroGrad();
                t.close();
            }
        }
    }

    @Test
    void nonFiniteNormsAreReportedAndNothingIsScaled() {
        Tensor a = Scope.escape(Tensor.ones(2).requiresGrad(true));
        try {
            setGrad(a, new float[] {Float.POSITIVE_INFINITY, 1f});
            float n = GradClip.clipGradNorm(List.of(a), 1f);
            assertTrue(Float.isInfinite(n));
            assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, 1f}, a.grad().toFloatArray());
        } finally {
            a.zeroGrad();
            a.close();
        }
    }

    // ------------------------------------------------------------------------------------------ schedules

    @Test
    void warmupCosineRisesLinearlyThenDecaysToTheMinimum() {
        float peak = 1e-3f;
        float min = 1e-5f;
        LrSchedule s = LrSchedule.warmupCosine(peak, 10, 110, min);
        assertEquals(peak / 10, s.lr(0), 1e-10);
        assertEquals(peak * 5 / 10, s.lr(4), 1e-10);
        assertEquals(peak, s.lr(9), 1e-10, "the last warm-up step reaches the peak");
        assertEquals(peak, s.lr(10), 1e-10, "cosine starts at the peak");
        assertEquals(min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * 0.25)), s.lr(35), 1e-9);
        assertEquals(min + 0.5 * (peak - min), s.lr(60), 1e-9, "halfway");
        assertEquals(min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * 0.99)), s.lr(109), 1e-10);
        assertEquals(min, s.lr(110), 0);
        assertEquals(min, s.lr(100_000), 0);
        for (long t = 10; t < 110; t++) assertTrue(s.lr(t + 1) <= s.lr(t), "monotone decay at " + t);
        assertEquals(peak, LrSchedule.warmupCosine(peak, 0, 100, 0f).lr(0), 1e-10, "no warm-up");
        assertEquals(0.3f, LrSchedule.constant(0.3f).lr(12345));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.warmupCosine(peak, 20, 10, min));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.warmupCosine(peak, -1, 10, min));
    }
}

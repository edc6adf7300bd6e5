package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.normal;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.core.cpu.CpuBackend;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.optim.GradClip;
import org.racro4j.core.random.Generator;

/**
 * Deterministic memory: CpuBackend's byte count returns exactly to its baseline when a scope closes, and
 * what deliberately outlives the scope (parameters, gradients, optimizer state) is exactly what stays.
 */
class MemoryTest {
    private static long inUse() {
        return CpuBackend.INSTANCE.memoryStats().bytesInUse();
    }

    private static long live() {
        return CpuBackend.INSTANCE.memoryStats().liveStorages();
    }

    /** A two-layer perceptron of nn.Linear, as a module with children. */
    static final class Mlp extends Module {
        final Linear fc1;
        final Linear fc2;

        Mlp(Generator gen) {
            fc1 = registerModule("fc1", new Linear(7, 13, true, gen));
            fc2 = registerModule("fc2", new Linear(13, 3, true, gen));
        }

        Tensor forward(Tensor x) {
            return fc2.forward(fc1.forward(x).gelu());
        }
    }

    @Test
    void aScopeFreesEveryTemporaryOfForwardAndBackward() {
        long base = inUse();
        long baseLive = live();
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(normal(1, 105), 3, 5, 7).requiresGrad(true);
            Tensor w = Tensor.of(normal(2, 28), 4, 7).requiresGrad(true);
            Tensor y = Functional.linear(x, w, null).softmax(1).transpose(0, 2).reshape(-1).logsumexp(0, false);
            Tensor z = x.gather(2, Tensor.ofLongs(TestSupport.indices(3, 105, 7), 3, 5, 7)).max(1, false).sum()
                    .add(Tensor.cat(List.of(x, x.exp()), 1).var(1, false, 1).mean());
            y.add(z).backward();
            assertTrue(inUse() > base);
            // grads escape the scope (they belong to their leaves); free them by hand
            x.zeroGrad();
            w.zeroGrad();
        }
        assertEquals(base, inUse(), "bytes in use after the scope closed");
        assertEquals(baseLive, live(), "live storages after the scope closed");
    }

    @Test
    void everyOpForwardAndBackwardFreesEverythingAtScopeClose() {
        long base = inUse();
        try (Scope s = Scope.open()) {
            Tensor q = Tensor.of(normal(40, 2 * 4 * 3 * 6), 2, 4, 3, 6).requiresGrad(true);
            Tensor k = Tensor.of(normal(41, 2 * 2 * 5 * 6), 2, 2, 5, 6).requiresGrad(true);
            Tensor table = Tensor.of(normal(42, 9 * 6), 9, 6).requiresGrad(true);
            Tensor w = Tensor.ones(6).requiresGrad(true);
            Tensor cos = Tensor.of(TestSupport.uniform(43, 9, -1, 1), 3, 3);
            Tensor sin = Tensor.of(TestSupport.uniform(44, 9, -1, 1), 3, 3);
            Tensor qr = Functional.rope(q, cos, sin);
            Tensor att = Functional.scaledDotProductAttention(qr, k, k.mul(2f), Tensor.of(new float[] {1, 1, 0, 1, 1, 1, 1, 1, 1, 0}, 2, 1, 1, 5), true, Float.NaN);
            Tensor e = table.embedding(Tensor.ofLongs(new long[] {1, 8, 1}, 3));
            Tensor h = Functional.layerNorm(att.reshape(-1, 6), w, null, 1e-5f).add(Functional.rmsNorm(e, w, 1e-6f).sum(0, false));
            Tensor d = Functional.dropout(h, 0.2f, true, new Generator(1)).to(DType.BF16).to(DType.F32);
            Tensor sc = d.scatterAdd(1, Tensor.ofLongs(TestSupport.indices(45, 24 * 2, 6), 24, 2), d.narrow(1, 0, 2))
                    .indexAdd(0, Tensor.ofLongs(new long[] {0, 3}, 2), d.narrow(0, 5, 2));
            Tensor parts = Tensor.stack(sc.split(3, 1), 0).maskedFill(Tensor.of(new float[] {1, 0}, 2, 1, 1), 0.5f);
            Tensor loss = Functional.crossEntropy(parts.reshape(-1, 3), Tensor.ofLongs(TestSupport.indices(46, 48, 3), 48), -100)
                    .add(Tensor.where(parts.gt(0f), parts, parts.neg()).logsumexp(-1, false).var(0, false).mean())
                    .add(parts.max(0, false).min(0, false).sum().pow(2f));
            loss.backward();
            Tensor tokens = Tensor.empty(DType.I64, Device.CPU, 4);
            CpuBackend.INSTANCE.sampleTokens(Tensor.of(normal(47, 4 * 7), 4, 7), 0.8f, 3, 0.9f, 1, 0, tokens);
            assertEquals(4, tokens.toLongArray().length);
            for (Tensor leaf : List.of(q, k, table, w)) {
                assertNotNull(leaf.grad());
                leaf.zeroGrad();
            }
        }
        assertEquals(base, inUse(), "bytes in use after the scope closed");
    }

    @Test
    void hostCopiesAndFileWritesOutsideAnyScopeFreeTheirTemporaries(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        Tensor t = Tensor.of(normal(48, 12), 3, 4).to(DType.BF16);
        Tensor tt = t.t();
        long base = inUse();
        tt.toFloatArray();
        tt.toLongArray();
        Tensor.ofInts(new int[] {1, 2}, 2).close();
        org.racro4j.core.io.Safetensors.write(dir.resolve("a.safetensors"), java.util.Map.of("t", tt), java.util.Map.of());
        org.racro4j.core.io.Npy.write(dir.resolve("a.npy"), tt);
        assertEquals(base, inUse(), "no temporaries left behind");
        java.util.Map<String, Tensor> read = org.racro4j.core.io.Safetensors.read(dir.resolve("a.safetensors"));
        assertEquals(base + 24, inUse(), "what read() returns belongs to the caller");
        read.values().forEach(Tensor::close);
        tt.close();
        t.close();
        assertEquals(base - 24, inUse());
    }

    @Test
    void trainingStepsKeepExactlyParametersGradientsAndOptimizerState() {
        long base = inUse();
        Mlp mlp = new Mlp(new Generator(7));
        long paramBytes = 4L * (7 * 13 + 13 + 13 * 3 + 3);
        assertEquals(base + paramBytes, inUse(), "the module's parameters");
        AdamW opt = new AdamW(mlp.parameters(), 1e-2f, 0.1f);
        assertEquals(base + paramBytes, inUse(), "AdamW allocates its state lazily");
        long stepCounts = 8L * mlp.parameters().size();
        for (int step = 0; step < 3; step++) {
            try (Scope s = Scope.open()) {
                Tensor x = Tensor.of(normal(10 + step, 5 * 7), 5, 7);
                Tensor target = Tensor.ofLongs(TestSupport.indices(20 + step, 5, 3), 5);
                Tensor loss = Functional.crossEntropy(mlp.forward(x), target, -100);
                mlp.zeroGrad();
                loss.backward();
                GradClip.clipGradNorm(mlp.parameters(), 1f);
                opt.step();
            }
            // parameters + one gradient each + AdamW's m and v (F32) and step count (one I64) for each
            assertEquals(base + 4 * paramBytes + stepCounts, inUse(), "after step " + step);
        }
        mlp.close();
        assertEquals(base + 2 * paramBytes + stepCounts, inUse(), "closing the module frees parameters and gradients");
        opt.close();
        assertEquals(base, inUse(), "closing the optimizer frees its state");
    }

    @Test
    void keepHandsATensorToTheEnclosingScope() {
        long base = inUse();
        Tensor kept;
        try (Scope outer = Scope.open()) {
            try (Scope inner = Scope.open()) {
                Tensor tmp = Tensor.ones(100);
                kept = inner.keep(tmp.mul(2f));
                assertEquals(1, inner.ownedCount(), "inner keeps tmp only");
                assertEquals(1, outer.ownedCount(), "outer now owns the kept tensor");
            }
            assertFalse(kept.isClosed());
            assertEquals(base + 400, inUse(), "only the kept tensor survives the inner scope");
            assertEquals(200f, kept.sum().item());
        }
        assertTrue(kept.isClosed(), "the outer scope closes what was handed to it");
        assertEquals(base, inUse());
    }

    @Test
    void keepFromTheOutermostScopeHandsTheTensorToTheCaller() {
        long base = inUse();
        Tensor kept;
        try (Scope s = Scope.open()) {
            kept = s.keep(Tensor.ones(10));
        }
        assertFalse(kept.isClosed());
        assertEquals(base + 40, inUse());
        kept.close();
        assertEquals(base, inUse());
    }

    @Test
    void escapeTakesATensorOutOfEveryScope() {
        long base = inUse();
        Tensor escaped;
        try (Scope outer = Scope.open(); Scope inner = Scope.open()) {
            escaped = Scope.escape(Tensor.full(3f, 5));
        }
        assertFalse(escaped.isClosed());
        try (Tensor sum = escaped.sum()) {
            assertEquals(15f, sum.item());
        }
        escaped.close();
        assertEquals(base, inUse());
    }

    @Test
    void closingTwiceIsHarmless() {
        long base = inUse();
        Scope s = Scope.open();
        Tensor t = Tensor.ones(7);
        s.close();
        s.close();
        t.close(); // already closed by the scope; must not release the storage a second time
        assertEquals(base, inUse());
        assertTrue(t.isClosed());
        assertSame(null, Scope.current());
    }

    @Test
    void usingAClosedTensorNamesTheOpAndSaysItWasFreed() {
        Tensor t;
        try (Scope s = Scope.open()) {
            t = Tensor.of(normal(30, 6), 2, 3);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, t::exp);
        assertTrue(e.getMessage().startsWith("exp:") && e.getMessage().contains("closed") && e.getMessage().contains("[2, 3]"), e.getMessage());
        IllegalStateException m = assertThrows(IllegalStateException.class, () -> t.matmul(Tensor.ones(3, 1)));
        assertTrue(m.getMessage().startsWith("matmul:"), m.getMessage());
        IllegalStateException a = assertThrows(IllegalStateException.class, t::toFloatArray);
        assertTrue(a.getMessage().startsWith("toFloatArray:"), a.getMessage());
        IllegalStateException s = assertThrows(IllegalStateException.class, t::sum);
        assertTrue(s.getMessage().startsWith("sum:"), s.getMessage());
        IllegalStateException sm = assertThrows(IllegalStateException.class, () -> t.softmax(-1));
        assertTrue(sm.getMessage().startsWith("softmax:"), sm.getMessage());
        try (Scope s2 = Scope.open()) {
            Tensor ok = Tensor.ones(2, 3);
            IllegalStateException b = assertThrows(IllegalStateException.class, () -> ok.add(t));
            assertTrue(b.getMessage().startsWith("add:"), b.getMessage());
        }
    }

    @Test
    void scopesMustBeClosedInnermostFirst() {
        Scope outer = Scope.open();
        Scope inner = Scope.open();
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("innermost first"), e.getMessage());
        assertSame(inner, Scope.current());
        inner.close();
        outer.close();
        assertSame(null, Scope.current());
    }

    @Test
    void aViewKeepsItsStorageAliveAfterTheBaseIsClosed() {
        long base = inUse();
        Tensor b = Tensor.ones(4, 4);
        Tensor v = b.narrow(0, 1, 2);
        b.close();
        assertEquals(base + 64, inUse(), "the view still holds the storage");
        try (Tensor sum = v.sum()) {
            assertEquals(8f, sum.item());
        }
        v.close();
        assertEquals(base, inUse());
    }

    @Test
    void byteCountsFollowTheDtype() {
        long base = inUse();
        try (Scope s = Scope.open()) {
            Tensor.empty(DType.BF16, Device.CPU, 3, 5);
            Tensor.empty(DType.F16, Device.CPU, 7);
            Tensor.empty(DType.I32, Device.CPU, 2, 2);
            Tensor.empty(DType.I64, Device.CPU, 3);
            Tensor.empty(DType.F32, Device.CPU, 0, 9);
            assertEquals(base + 30 + 14 + 16 + 24, inUse());
        }
        assertEquals(base, inUse());
    }

    @Test
    void peakMemoryIsTrackedAndResettable() {
        CpuBackend.INSTANCE.resetPeakMemory();
        long base = inUse();
        assertEquals(base, CpuBackend.INSTANCE.memoryStats().peakBytesInUse());
        try (Scope s = Scope.open()) {
            Tensor.empty(DType.F32, Device.CPU, 1000);
        }
        assertEquals(base + 4000, CpuBackend.INSTANCE.memoryStats().peakBytesInUse());
        assertEquals(base, inUse());
        CpuBackend.INSTANCE.resetPeakMemory();
        assertEquals(base, CpuBackend.INSTANCE.memoryStats().peakBytesInUse());
    }

    @Test
    void unscopedCreatesTensorsTheCallerOwns() {
        long base = inUse();
        Tensor t;
        try (Scope s = Scope.open()) {
            t = Scope.unscoped(() -> Tensor.ones(3));
            assertNotNull(Scope.current());
            assertEquals(0, s.ownedCount());
        }
        assertFalse(t.isClosed());
        t.close();
        assertEquals(base, inUse());
    }
}

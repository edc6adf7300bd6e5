package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.racro4j.core.TestSupport.normal;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.random.Generator;

/** Row-major weight copies: Functional.linear gives x W^T + b through them, only while autograd is off, only on their thread. */
class TransposedWeightsTest {
    @Test
    void linearThroughTheCopiesMatchesAFloat64Product() {
        int m = 5, in = 37, out = 23;
        Tensor x = Tensor.of(normal(1, m * in), m, in);
        Tensor w = Tensor.of(normal(2, out * in), out, in);
        Tensor b = Tensor.of(normal(3, out), out);
        float[] xs = x.toFloatArray(), ws = w.toFloatArray(), bs = b.toFloatArray();
        try (Autograd.Mode off = Autograd.noGrad(); TransposedWeights copies = TransposedWeights.of(List.of(w))) {
            assertNotNull(TransposedWeights.lookup(w));
            float[] y = Functional.linear(x, w, b).toFloatArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < out; j++) {
                    double want = bs[j];
                    for (int p = 0; p < in; p++) want += (double) xs[i * in + p] * ws[j * in + p];
                    assertEquals(want, y[i * out + j], 1e-4, "y[" + i + ", " + j + "]");
                }
            }
            // the product really reads the copy: doubling it doubles x W^T
            TransposedWeights.lookup(w).mulInPlace(2f);
            float[] doubled = Functional.linear(x, w, null).toFloatArray();
            for (int i = 0; i < m * out; i++) assertEquals(2 * (y[i] - bs[i % out]), doubled[i], 1e-4, "element " + i);
        }
    }

    @Test
    void gradientsStillReachTheWeightItself() {
        Tensor w = Tensor.of(normal(4, 6 * 4), 6, 4).requiresGrad(true);
        Tensor x = Tensor.of(normal(5, 3 * 4), 3, 4);
        try (TransposedWeights copies = TransposedWeights.of(List.of(w))) {
            assertNull(TransposedWeights.lookup(w), "autograd on: the copy is not used");
            Functional.linear(x, w, null).sum().backward();
            assertNotNull(w.grad());
            float[] g = w.grad().toFloatArray();
            float[] xs = x.toFloatArray();
            for (int j = 0; j < 6; j++) {
                for (int p = 0; p < 4; p++) {
                    double want = 0;
                    for (int i = 0; i < 3; i++) want += xs[i * 4 + p];
                    assertEquals(want, g[j * 4 + p], 1e-5);
                }
            }
        }
    }

    @Test
    void copiesArePerThreadNestAndAreFreedOnClose() throws InterruptedException {
        Tensor w = Tensor.of(normal(6, 8 * 3), 8, 3);
        Tensor v = Tensor.of(normal(7, 2 * 3), 2, 3);
        long live = Device.CPU.backend().memoryStats().liveStorages();
        try (Autograd.Mode off = Autograd.noGrad()) {
            try (TransposedWeights outer = TransposedWeights.of(List.of(w))) {
                Tensor outerCopy = TransposedWeights.lookup(w);
                try (TransposedWeights inner = TransposedWeights.of(List.of(v))) {
                    assertNull(TransposedWeights.lookup(w), "the inner copies are the thread's copies");
                    assertNotNull(TransposedWeights.lookup(v));
                }
                assertSame(outerCopy, TransposedWeights.lookup(w), "closing the inner ones restores the outer");
                AtomicReference<Tensor> seen = new AtomicReference<>(w);
                Thread other = new Thread(() -> {
                    try (Autograd.Mode o = Autograd.noGrad()) {
                        seen.set(TransposedWeights.lookup(w));
                    }
                });
                other.start();
                other.join();
                assertNull(seen.get(), "another thread does not see them");
            }
            assertNull(TransposedWeights.lookup(w));
        }
        assertEquals(live, Device.CPU.backend().memoryStats().liveStorages(), "the copies are freed");
    }

    @Test
    void linearWeightsAreFoundThroughTheModuleTree() {
        Generator gen = new Generator(1);
        Linear a = new Linear(3, 4, true, gen);
        Linear c = new Linear(4, 2, false, gen);
        Module root = new Module() {
            {
                registerModule("a", a);
                registerModule("inner", new Module() {
                    {
                        registerModule("c", c);
                    }
                });
            }
        };
        List<Tensor> found = Linear.weightsIn(root);
        assertEquals(2, found.size());
        assertSame(a.weight(), found.get(0));
        assertSame(c.weight(), found.get(1));
    }
}

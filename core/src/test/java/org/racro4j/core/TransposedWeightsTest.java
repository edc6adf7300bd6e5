package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.normal;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import org.racro4j.core.cpu.VectorApi;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.random.Generator;

/**
 * Row-major weight copies: Functional.linear gives x W^T + b through them, only while autograd is off, only on their
 * thread; packed for the CPU's kernels, they give the same bits as unpacked.
 */
class TransposedWeightsTest {
    @Test
    void linearThroughTheCopiesMatchesAFloat64Product() {
        int m = 5, in = 37, out = 23;
        Tensor x = Tensor.of(normal(1, m * in), m, in);
        Tensor w = Tensor.of(normal(2, out * in), out, in);
        Tensor b = Tensor.of(normal(3, out), out);
        float[] xs = x.toFloatArray(), ws = w.toFloatArray(), bs = b.toFloatArray();
        // unpacked, so that changing the copy below shows in the product (a packed copy is a snapshot of it)
        System.setProperty(TransposedWeights.PROP_PACKED, "false");
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
        } finally {
            System.clearProperty(TransposedWeights.PROP_PACKED);
        }
    }

    /**
     * Packing changes where the tile kernel reads B, not what it computes: every product gives the unpacked copy's
     * bits, for row counts on each of the CPU's paths (the row kernel up to 4, B in place up to 128, packed panels
     * above), K over several of its K blocks (512) and N over several column blocks (2048) with ragged edges. The
     * packed copy counts in memory use while open.
     */
    @Test
    void packedCopiesGiveTheUnpackedBits() {
        int[][] shapes = {{37, 23}, {600, 45}, {129, 2100}, {1100, 70}};
        for (int[] shape : shapes) {
            int in = shape[0], out = shape[1];
            Tensor w = Tensor.of(normal(11 + in, out * in), out, in);
            for (int m : new int[] {1, 3, 7, 64, 130, 300}) {
                Tensor x = Tensor.of(normal(13 + m, m * in), m, in);
                float[] unpacked;
                System.setProperty(TransposedWeights.PROP_PACKED, "false");
                try (Autograd.Mode off = Autograd.noGrad(); TransposedWeights copies = TransposedWeights.of(List.of(w))) {
                    unpacked = Functional.linear(x, w, null).toFloatArray();
                } finally {
                    System.clearProperty(TransposedWeights.PROP_PACKED);
                }
                long before = Device.CPU.backend().memoryStats().bytesInUse();
                try (Autograd.Mode off = Autograd.noGrad(); TransposedWeights copies = TransposedWeights.of(List.of(w))) {
                    long copyBytes = 4L * in * out;
                    long held = Device.CPU.backend().memoryStats().bytesInUse() - before;
                    if (VectorApi.ENABLED) {   // panels of up to 32 columns, the last one zero-padded
                        assertTrue(held >= 2 * copyBytes && held <= copyBytes + 4L * in * ((out + 31) / 32 * 32),
                                "the copy and its packed form in use: " + held + " bytes for " + in + " x " + out);
                    } else {
                        assertEquals(copyBytes, held, "the plain loops need no packed form");
                    }
                    float[] packed;
                    try (Scope scope = Scope.open()) {
                        packed = Functional.linear(x, w, null).toFloatArray();
                    }
                    for (int i = 0; i < packed.length; i++) {
                        assertEquals(Float.floatToIntBits(unpacked[i]), Float.floatToIntBits(packed[i]),
                                "in " + in + ", out " + out + ", rows " + m + ", element " + i + ": " + unpacked[i] + " vs " + packed[i]);
                    }
                }
                assertEquals(before, Device.CPU.backend().memoryStats().bytesInUse(), "copy and packed form freed");
            }
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

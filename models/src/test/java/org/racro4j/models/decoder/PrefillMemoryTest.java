package org.racro4j.models.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Backend;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;

/**
 * A forward without autograd frees each layer's activations as the layer ends: its peak memory is about one layer's,
 * not every layer's (what a forward that records a graph must keep), and its logits are the same bit for bit.
 */
class PrefillMemoryTest {
    @Test
    void aForwardWithoutAutogradHoldsOneLayersActivationsAtATime() {
        int layers = 6;
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, 67, 32, 520, layers, 2, 1, 16, 128, 10000.0, 1e-6, true, true, -1, List.of(0));
        Random r = new Random(5);
        long[] ids = new long[4 * 61];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(67);
        Backend backend = Device.CPU.backend();
        try (CausalLM lm = CausalLM.create(c, 9, DType.F32, Device.CPU)) {
            float[] recorded;
            long recordedPeak;
            try (Scope s = Scope.open()) {
                long before = backend.memoryStats().bytesInUse();
                backend.resetPeakMemory();
                recorded = lm.forward(Tensor.ofLongs(ids, 4, 61), null, null).toFloatArray();
                recordedPeak = backend.memoryStats().peakBytesInUse() - before;
            }
            float[] released;
            long releasedPeak;
            try (Scope s = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
                long before = backend.memoryStats().bytesInUse();
                backend.resetPeakMemory();
                released = lm.forward(Tensor.ofLongs(ids, 4, 61), null, null).toFloatArray();
                releasedPeak = backend.memoryStats().peakBytesInUse() - before;
            }
            assertArrayEquals(recorded, released, 0f);
            // one layer's MLP (4 x 61 x 520 floats, a few of them) is about a sixth of six layers'
            assertTrue(releasedPeak < 0.4 * recordedPeak, "peak " + releasedPeak + " bytes without autograd, " + recordedPeak + " with");
        }
    }
}

package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.KvCache;
import org.racro4j.models.decoder.TestModels;

/**
 * The device-cursor decode step (what a captured graph replays) against the ordinary cached decode path, on the
 * CPU: same logits for left-padded rows of different prompt lengths, step after step.
 */
class DecodeStepTest {
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.QWEN2, 31, 24, 40, 3, 4, 2, 6, 64, 10000.0, 1e-6, true, true, 0, List.of(1));

    @Test
    void theDeviceCursorStepEqualsTheHostCursorStep() {
        int b = 3, longest = 6, steps = 7, capacity = longest + steps;
        int[] promptLengths = {6, 2, 4};
        try (Autograd.Mode off = Autograd.noGrad(); CausalLM model = TestModels.randomModel(CONFIG, 5);
             KvCache hostCursor = model.newCache(b, capacity); KvCache deviceCursor = model.newCache(b, capacity); Scope s = Scope.open()) {
            long[] ids = new long[b * longest];
            float[] mask = new float[b * longest];
            for (int r = 0; r < b; r++) {
                for (int i = longest - promptLengths[r]; i < longest; i++) {
                    ids[r * longest + i] = 2 + (r * 7 + i * 3) % (CONFIG.vocabSize() - 2);
                    mask[r * longest + i] = 1f;
                }
            }
            for (KvCache c : new KvCache[] {hostCursor, deviceCursor}) {
                c.markKeys(Tensor.of(mask, b, longest));
                model.hidden(model.embed(Tensor.ofLongs(ids, b, longest)), c.keyMask(longest), c);
                c.advance(longest);
            }
            deviceCursor.startDeviceCursor();
            Tensor next = Tensor.ofLongs(new long[] {3, 5, 7}, b, 1);
            for (int step = 0; step < steps; step++) {
                hostCursor.markKeys(Tensor.ones(DType.F32, Device.CPU, b, 1));
                int len = hostCursor.length() + 1;
                Tensor want = model.logits(model.hidden(model.embed(next), hostCursor.keyMask(len), hostCursor).reshape(b, -1));
                hostCursor.advance(1);
                Tensor got = model.decodeStep(next, deviceCursor);
                deviceCursor.advance(1);
                float[] w = want.toFloatArray(), g = got.toFloatArray();
                for (int i = 0; i < w.length; i++) assertEquals(w[i], g[i], 2e-5, "step " + step + " logit " + i);
                long[] argmax = want.argmax(1, true).toLongArray();
                next = Tensor.ofLongs(argmax, b, 1);
            }
            assertEquals(longest + steps, deviceCursor.devicePosition().toLongArray()[0]);
            assertEquals(longest + steps, deviceCursor.deviceLengths().toIntArray()[1]);
        }
    }

    @Test
    void theStepNeedsAStartedCursor() {
        try (Autograd.Mode off = Autograd.noGrad(); CausalLM model = TestModels.randomModel(CONFIG, 6); KvCache c = model.newCache(1, 8)) {
            assertThrows(IllegalStateException.class, () -> model.decodeStep(Tensor.ofLongs(new long[] {1}, 1, 1), c));
        }
    }

    @Test
    void generationOnTheCpuDecodesAtTheCursorWithoutGraphs() {
        assertEquals(false, TextGeneration.graphs(Device.CPU));
        try (CausalLM model = TestModels.randomModel(CONFIG, 7)) {
            assertEquals(true, TextGeneration.deviceCursor(model), "the CPU's decode-attention kernel reads each row's valid keys");
        }
    }
}

package org.racro4j.models.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/**
 * The CPU cache stores keys transposed for the decode kernel ({@link KvCache#keysTransposed}); that must change nothing
 * a model computes. Two caches, one per layout, go through the same prefill (left padding masked out), host steps after
 * a shift, fork and device-cursor decode steps, and every logit must have the same bits. Head dim 32 gives
 * full blocks of keys and tails as the lengths pass multiples of 16; head dim 6 gives only partial vectors.
 */
class KvCacheLayoutTest {
    @Test
    void transposedKeysGiveTheRowMajorCachesBits() {
        assertTrue(KvCache.keysTransposed(DType.F32, Device.CPU, 32), "the CPU stores F32 keys transposed");
        for (DecoderConfig c : List.of(
                new DecoderConfig(DecoderConfig.QWEN2, 53, 64, 96, 2, 4, 2, 32, 128, 10000.0, 1e-6, true, true, 0, List.of(1)),
                CausalLMTest.qwen2Config())) {
            try (CausalLM m = TestModels.randomModel(c, 3); Autograd.Mode off = Autograd.noGrad()) {
                Generator g = new Generator(11);
                int b = 3;
                int t = 21;
                int[][] prompts = new int[b][];
                for (int r = 0; r < b; r++) prompts[r] = CausalLMTest.randomIds(g, t, c.vocabSize());
                float[] mask = new float[b * t];
                for (int r = 0; r < b; r++) for (int i = 0; i < t; i++) mask[r * t + i] = i < 4 * r ? 0f : 1f;   // left padding
                int[] steps = new int[3 * 2 * b + 20 * 2 * b];
                for (int i = 0; i < steps.length; i++) steps[i] = g.nextInt(c.vocabSize());
                float[][] rowMajor = run(m, c, false, prompts, mask, steps);
                float[][] transposed = run(m, c, true, prompts, mask, steps);
                for (int s = 0; s < rowMajor.length; s++) {
                    assertEquals(rowMajor[s].length, transposed[s].length);
                    for (int i = 0; i < rowMajor[s].length; i++) {
                        assertEquals(Float.floatToIntBits(rowMajor[s][i]), Float.floatToIntBits(transposed[s][i]),
                                "head dim " + c.headDim() + ", step " + s + ", logit " + i + ": " + rowMajor[s][i] + " vs " + transposed[s][i]);
                    }
                }
            }
        }
    }

    /**
     * A one-token forward over transposed keys takes the decode kernel, which records no backward; with autograd
     * recording it must take attention's products instead, and give the row-major cache's gradients, bit for bit.
     */
    @Test
    void aRecordedOneTokenForwardKeepsItsGradients() {
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, 53, 64, 96, 2, 4, 2, 32, 128, 10000.0, 1e-6, true, true, 0, List.of(1));
        try (CausalLM m = TestModels.randomModel(c, 5)) {
            Generator g = new Generator(13);
            int[][] prompt = {CausalLMTest.randomIds(g, 17, c.vocabSize()), CausalLMTest.randomIds(g, 17, c.vocabSize())};
            int[][] next = {CausalLMTest.randomIds(g, 1, c.vocabSize()), CausalLMTest.randomIds(g, 1, c.vocabSize())};
            float[][] grads = new float[2][];
            for (int layout = 0; layout < 2; layout++) {
                m.zeroGrad();
                try (Scope s = Scope.open(); KvCache cache = new KvCache(c, 2, 24, DType.F32, Device.CPU, layout == 1)) {
                    try (Autograd.Mode off = Autograd.noGrad()) {
                        m.forward(CausalLMTest.idsTensor(prompt), null, cache);
                    }
                    cache.advance(17);
                    m.forward(CausalLMTest.idsTensor(next), null, cache).sum().backward();
                    Tensor grad = m.stateDict().get("model.layers.1.self_attn.q_proj.weight").grad();
                    assertTrue(grad != null, "layout " + layout + ": no gradient reached q_proj");
                    grads[layout] = grad.toFloatArray();
                }
            }
            for (int i = 0; i < grads[0].length; i++) {
                assertEquals(Float.floatToIntBits(grads[0][i]), Float.floatToIntBits(grads[1][i]), "gradient element " + i);
            }
        }
    }

    /**
     * The logits of every forward: prefill, 3 host steps of 2 tokens after a shift, then a fork of 2 copies decoding 20
     * steps at the device cursor.
     */
    private static float[][] run(CausalLM m, DecoderConfig c, boolean transposedKeys, int[][] prompts, float[] mask, int[] steps) {
        int b = prompts.length;
        int t = prompts[0].length;
        float[][] out = new float[1 + 3 + 20][];
        try (Scope s = Scope.open(); KvCache cache = new KvCache(c, b, t + 40, DType.F32, Device.CPU, transposedKeys)) {
            assertEquals(transposedKeys, cache.keysTransposed());
            Tensor keyMask = Tensor.of(mask, b, t);
            cache.markKeys(keyMask);
            out[0] = m.forward(CausalLMTest.idsTensor(prompts), cache.keyMask(t), cache).toFloatArray();
            cache.advance(t);
            cache.shiftLeft(2);
            int at = 0;
            for (int step = 0; step < 3; step++) {   // two tokens a step: one would take the decode kernel on transposed keys
                long[] ids = new long[2 * b];
                for (int r = 0; r < ids.length; r++) ids[r] = steps[at++];
                cache.markKeys(Tensor.ones(DType.F32, Device.CPU, b, 2));
                out[1 + step] = m.forward(Tensor.ofLongs(ids, b, 2), cache.keyMask(cache.length() + 2), cache).toFloatArray();
                cache.advance(2);
            }
            try (KvCache fork = cache.repeatRows(2)) {
                assertEquals(transposedKeys, fork.keysTransposed());
                fork.startDeviceCursor();
                for (int step = 0; step < 20; step++) {
                    long[] ids = new long[2 * b];
                    for (int r = 0; r < ids.length; r++) ids[r] = steps[at++];
                    out[4 + step] = m.decodeStep(Tensor.ofLongs(ids, 2 * b, 1), fork).toFloatArray();
                    fork.advance(1);
                }
            }
        }
        return out;
    }
}

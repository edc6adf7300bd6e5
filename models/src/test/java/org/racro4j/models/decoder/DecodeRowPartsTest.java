package org.racro4j.models.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.TransposedWeights;
import org.racro4j.core.random.Generator;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TextGeneration;

/**
 * A decode step in row parts ({@link DecodeRowParts}: one part per thread, on row views of the cache) must compute
 * the whole step's bits: every logit of every step, and every key and value it writes into the cache.
 */
class DecodeRowPartsTest {
    @AfterEach
    void clearProperty() {
        System.clearProperty(DecodeRowParts.PROP);
    }

    /**
     * Head dim 32 (full blocks of transposed keys) with a tied head, and the awkward Llama shape (head dim 4, 5 query
     * heads on one KV head, its own head); 7 left-padded prompts forked into groups of 5, decoded in 3 uneven parts of
     * whole groups, and a cache without groups in 2 parts of 11 and 12 rows.
     */
    @Test
    void partsGiveTheWholeStepsBits() {
        for (DecoderConfig c : List.of(
                new DecoderConfig(DecoderConfig.QWEN2, 53, 64, 96, 2, 4, 2, 32, 128, 10000.0, 1e-6, true, true, 0, List.of(1)),
                CausalLMTest.llamaConfig())) {
            try (CausalLM m = TestModels.randomModel(c, 3); Autograd.Mode off = Autograd.noGrad()) {
                compare(m, c, 7, 5, DecodeRowParts.bounds(35, 5, 3), 0, 10, 20, 35);
                compare(m, c, 23, 1, DecodeRowParts.bounds(23, 1, 2), 0, 11, 23);
            }
        }
    }

    /** Prefill of prompts, a fork into groups, then 12 decode steps whole and in parts; asserts the bounds first. */
    private static void compare(CausalLM m, DecoderConfig c, int prompts, int group, int[] bounds, int... expectedBounds) {
        assertArrayEquals(expectedBounds, bounds);
        Generator g = new Generator(11);
        int t = 19;
        int b = prompts * group;
        int steps = 12;
        float[] mask = new float[prompts * t];
        for (int r = 0; r < prompts; r++) for (int i = 0; i < t; i++) mask[r * t + i] = i < (3 * r) % 11 ? 0f : 1f;   // left padding
        long[] prompt = new long[prompts * t];
        for (int i = 0; i < prompt.length; i++) prompt[i] = g.nextInt(c.vocabSize());
        long[][] ids = new long[steps][b];
        for (long[] step : ids) for (int r = 0; r < b; r++) step[r] = g.nextInt(c.vocabSize());
        try (Scope s = Scope.open(); KvCache cache = m.newCache(prompts, t + steps); TransposedWeights copies = m.transposedWeights()) {
            cache.markKeys(Tensor.of(mask, prompts, t));
            m.hidden(m.embed(Tensor.ofLongs(prompt, prompts, t)), cache.keyMask(t), cache);
            cache.advance(t);
            try (KvCache whole = cache.repeatRows(group); KvCache parted = cache.repeatRows(group)) {
                assertEquals(group > 1, whole.sharedPrefix() != null);
                whole.startDeviceCursor();
                parted.startDeviceCursor();
                for (int step = 0; step < steps; step++) {
                    Tensor x = Tensor.ofLongs(ids[step], b, 1);
                    float[] want = m.decodeStep(x, whole, null).toFloatArray();
                    float[] got = m.decodeStep(x, parted, bounds).toFloatArray();
                    whole.advance(1);
                    parted.advance(1);
                    assertSameBits(want, got, "head dim " + c.headDim() + ", groups of " + group + ", step " + step + ", logit ");
                }
                for (int l = 0; l < c.numLayers(); l++) {
                    assertSameBits(whole.keys(l).toFloatArray(), parted.keys(l).toFloatArray(), "layer " + l + " key ");
                    assertSameBits(whole.values(l).toFloatArray(), parted.values(l).toFloatArray(), "layer " + l + " value ");
                }
                assertArrayEquals(whole.deviceLengths().toIntArray(), parted.deviceLengths().toIntArray());
                assertArrayEquals(whole.devicePosition().toLongArray(), parted.devicePosition().toLongArray());
            }
        }
    }

    /** Sampled generation in groups, its decode steps in parts on the engine's threads or whole: same tokens and log-probs. */
    @Test
    void aGenerationInPartsSamplesTheSameTokens() {
        DecoderConfig c = CausalLMTest.qwen2Config();
        try (CausalLM m = TestModels.randomModel(c, 7)) {
            Generator g = new Generator(5);
            List<int[]> prompts = new ArrayList<>();
            for (int r = 0; r < 6; r++) prompts.add(CausalLMTest.randomIds(g, 3 + 2 * r, c.vocabSize()));
            SamplingConfig cfg = new SamplingConfig(15, 1f, 0, 1f, 21, Set.of());
            System.setProperty(DecodeRowParts.PROP, "false");
            List<Generated> whole = TextGeneration.generate(m, null, prompts, cfg, 4);
            System.setProperty(DecodeRowParts.PROP, "3");
            List<Generated> parted = TextGeneration.generate(m, null, prompts, cfg, 4);
            assertEquals(whole.size(), parted.size());
            for (int r = 0; r < whole.size(); r++) {
                assertArrayEquals(whole.get(r).tokens(), parted.get(r).tokens(), "row " + r);
                assertSameBits(whole.get(r).logProbs(), parted.get(r).logProbs(), "row " + r + " log-prob ");
            }
        }
    }

    @Test
    void boundsKeepGroupsWholeAndPartsLargeEnough() {
        assertArrayEquals(new int[] {0, 16, 40, 64}, DecodeRowParts.bounds(64, 8, 3));
        assertArrayEquals(new int[] {0, 5, 10}, DecodeRowParts.bounds(10, 1, 2));
        assertNull(DecodeRowParts.bounds(9, 1, 2), "a part of 4 rows would leave the tile kernel");
        assertNull(DecodeRowParts.bounds(40, 40, 2), "one group cannot be split");
        assertNull(DecodeRowParts.bounds(64, 1, 1));
    }

    /** Parts only where the products read the model's row-major copies with autograd off, and as the property says. */
    @Test
    void partsNeedTheRowMajorCopiesAndFollowTheProperty() {
        DecoderConfig c = CausalLMTest.qwen2Config();
        try (CausalLM m = TestModels.randomModel(c, 3); KvCache cache = m.newCache(40, 8)) {
            System.setProperty(DecodeRowParts.PROP, "2");
            try (Autograd.Mode off = Autograd.noGrad()) {
                assertNull(DecodeRowParts.of(m, cache, 40), "no copies open");
                try (TransposedWeights copies = m.transposedWeights()) {
                    assertArrayEquals(new int[] {0, 20, 40}, DecodeRowParts.of(m, cache, 40));
                    try (Autograd.Mode on = Autograd.enableGrad()) {
                        assertNull(DecodeRowParts.of(m, cache, 40), "autograd on: the products read the weights themselves");
                    }
                    try (CausalLM other = TestModels.randomModel(c, 4)) {
                        assertNull(DecodeRowParts.of(other, cache, 40), "the copies are another model's");
                    }
                    System.setProperty(DecodeRowParts.PROP, "false");
                    assertNull(DecodeRowParts.of(m, cache, 40));
                    System.setProperty(DecodeRowParts.PROP, "two");
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecodeRowParts.of(m, cache, 40));
                    assertEquals("-D" + DecodeRowParts.PROP + " must be false or a number of parts, got \"two\"", e.getMessage());
                }
            }
        }
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + "count");
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), what + i + ": " + want[i] + " vs " + got[i]);
        }
    }
}

package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Device;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.TestModels;

/**
 * A model whose weights hold NaN or infinity must not produce tokens: before the check, greedy decoding of NaN logits
 * returned token 0 at every step (the argmax of a row of NaNs) and sampling returned some token, with no sign that
 * anything was wrong. Generation now stops with where the non-finite logits arose: the prefill or the decode step, and
 * the row.
 */
class NonFiniteLogitsTest {
    /** Untied embeddings, so that poisoning one token's input embedding does not also poison its output logit. */
    static final DecoderConfig UNTIED =
            new DecoderConfig(DecoderConfig.QWEN2, 29, 24, 40, 2, 4, 2, 6, 48, 10000.0, 1e-6, false, true, 0, List.of(1));

    private static void poison(CausalLM m, String name, int element, float value) {
        Tensor w = m.stateDict().get(name);
        float[] v = w.toFloatArray();
        v[element] = value;
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            w.copyFrom(Tensor.of(v, w.shape()));
        }
    }

    @Test
    void oneNanWeightStopsGreedyAndSampledGenerationAtThePrefill() {
        try (CausalLM m = TestModels.randomModel(UNTIED, 3)) {
            poison(m, "model.layers.0.self_attn.q_proj.weight", 5, Float.NaN);
            // a first call allocates the model's lasting buffers (rotary tables); after it, nothing may stay behind
            assertThrows(NonFiniteException.class, () -> TextGeneration.generate(m, List.of(TextGenerationTest.ids(1, 5)),
                    SamplingConfig.greedy(2, Set.of())));
            long before = Device.CPU.backend().memoryStats().bytesInUse();
            for (SamplingConfig cfg : List.of(SamplingConfig.greedy(6, Set.of()), new SamplingConfig(6, 0.7f, 0, 1f, 9, Set.of()))) {
                NonFiniteException e = assertThrows(NonFiniteException.class,
                        () -> TextGeneration.generate(m, List.of(TextGenerationTest.ids(1, 5), TextGenerationTest.ids(2, 3)), cfg));
                assertEquals("generate: non-finite logits at the prefill (new token 1) in row 0 of 2 (the sampled token's "
                        + "log-probability is NaN): the model's weights or inputs hold NaN or infinity", e.getMessage());
                assertEquals(0, e.row());
            }
            assertEquals(before, Device.CPU.backend().memoryStats().bytesInUse(), "the cache and the step's tensors are freed");
        }
    }

    @Test
    void anInfiniteEmbeddingStopsGenerationInTheRowThatReadsIt() {
        try (CausalLM m = TestModels.randomModel(UNTIED, 4)) {
            int[] clean = {3, 4, 5, 6};
            int[] dirty = {3, 4, 7, 6};
            poison(m, "model.embed_tokens.weight", 7 * UNTIED.hiddenSize() + 2, Float.POSITIVE_INFINITY);
            NonFiniteException e = assertThrows(NonFiniteException.class,
                    () -> TextGeneration.generate(m, List.of(clean, dirty), SamplingConfig.greedy(4, Set.of())));
            assertTrue(e.getMessage().contains("at the prefill (new token 1) in row 1 of 2"), e.getMessage());
            assertEquals(1, e.row());
            // the row that never reads the token still generates
            assertEquals(4, TextGeneration.generate(m, List.of(clean), SamplingConfig.greedy(4, Set.of())).get(0).tokens().length);
        }
    }

    /**
     * A token whose input embedding is NaN, first produced by row 1 at new token j: the prefill and the steps before are
     * finite, and the decode step that feeds it back (step j) is the one reported, in row 1.
     */
    @Test
    void aNanReachedDuringDecodingIsReportedWithItsStepAndRow() {
        try (CausalLM m = TestModels.randomModel(UNTIED, 5)) {
            int maxNew = 8;
            List<int[]> prompts = List.of(new int[] {3, 4, 5}, new int[] {6, 8, 9, 10});
            List<Generated> ok = TextGeneration.generate(m, prompts, SamplingConfig.greedy(maxNew, Set.of()));
            int[] row0 = ok.get(0).tokens();
            int[] row1 = ok.get(1).tokens();
            // the first token of row 1 that no prompt, no earlier token of row 1 and no token of row 0 holds
            int at = -1;
            for (int j = 0; j < maxNew - 1 && at < 0; j++) {
                int t = row1[j];
                boolean seen = contains(prompts.get(0), t) || contains(prompts.get(1), t) || contains(row0, t);
                for (int i = 0; i < j; i++) seen |= row1[i] == t;
                if (!seen) at = j;
            }
            assertTrue(at >= 0, "row 1 produces a token of its own (rows " + java.util.Arrays.toString(row0) + ", "
                    + java.util.Arrays.toString(row1) + ")");
            poison(m, "model.embed_tokens.weight", row1[at] * UNTIED.hiddenSize(), Float.NaN);
            NonFiniteException e = assertThrows(NonFiniteException.class,
                    () -> TextGeneration.generate(m, prompts, SamplingConfig.greedy(maxNew, Set.of())));
            int step = at + 1;
            assertEquals("generate: non-finite logits at decode step " + step + " (new token " + (step + 1) + ") in row 1 of 2 (the "
                    + "sampled token's log-probability is NaN): the model's weights or inputs hold NaN or infinity", e.getMessage());
        }
    }

    private static boolean contains(int[] a, int t) {
        for (int x : a) if (x == t) return true;
        return false;
    }
}

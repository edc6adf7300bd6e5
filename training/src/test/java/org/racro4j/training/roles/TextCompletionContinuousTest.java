package org.racro4j.training.roles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.generation.ContinuousGeneration;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.training.text.Prompts;
import org.racro4j.training.text.TaskTokenizer;

/**
 * TextCompletion with -Dracro4j.rollout.continuous=true (ContinuousGeneration) against its fixed batches: the same greedy
 * tokens and stop flags in the same order, groups and a prefix included, and log-probabilities equal to rounding.
 */
class TextCompletionContinuousTest {
    @Test
    void continuousCompletionGivesTheBatchedGreedyResults() {
        WordLevelTokenizer tok = TaskTokenizer.create();
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, tok.vocabSize(), 32, 48, 2, 4, 2, 8, 128, 10000.0, 1e-6, true, true,
                tok.specialTokens().bos(), List.of(tok.specialTokens().eos()));
        List<int[]> prompts = new ArrayList<>();
        String[] questions = {"how many red shapes are there ?", "what color is the circle ?", "what is the value of the blue bar ?"};
        for (String q : questions) prompts.add(TextCompletion.promptIds(tok, Prompts.captioner(q)));
        try (CausalLM lm = CausalLM.create(c, 5, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Tensor prefix = Tensor.randn(new Generator(9), prompts.size(), 4, c.hiddenSize());
            for (int groupSize : new int[] {1, 3}) {
                List<Generated> batched = TextCompletion.complete(lm, tok, prefix, prompts, groupSize, 12, 0f, 1);
                List<Generated> continuous;
                System.setProperty(TextCompletion.PROP_CONTINUOUS, "true");
                try {
                    continuous = TextCompletion.complete(lm, tok, prefix, prompts, groupSize, 12, 0f, 1);
                } finally {
                    System.clearProperty(TextCompletion.PROP_CONTINUOUS);
                }
                assertEquals(prompts.size() * groupSize, continuous.size());
                for (int r = 0; r < batched.size(); r++) {
                    assertArrayEquals(batched.get(r).tokens(), continuous.get(r).tokens(), "group " + groupSize + ", row " + r);
                    assertEquals(batched.get(r).stopped(), continuous.get(r).stopped());
                    for (int i = 0; i < batched.get(r).logProbs().length; i++) {
                        assertEquals(batched.get(r).logProbs()[i], continuous.get(r).logProbs()[i], 2e-5, "row " + r + ", token " + i);
                    }
                }
                assertNotEquals(0, batched.get(0).tokens().length);
            }
            // sampled: the property really switches the path (continuous sampling draws from other streams) to exactly
            // ContinuousGeneration's results
            List<Generated> sampledBatched = TextCompletion.complete(lm, tok, prefix, prompts, 3, 12, 1f, 7);
            List<Generated> sampledContinuous;
            System.setProperty(TextCompletion.PROP_CONTINUOUS, "true");
            try {
                sampledContinuous = TextCompletion.complete(lm, tok, prefix, prompts, 3, 12, 1f, 7);
            } finally {
                System.clearProperty(TextCompletion.PROP_CONTINUOUS);
            }
            List<Generated> direct = ContinuousGeneration.generate(lm, ContinuousGeneration.Request.list(prefix, prompts),
                    new SamplingConfig(12, 1f, 0, 1f, 7, Set.of(tok.specialTokens().eos())), 256, 3, 0);
            boolean anyDiffers = false;
            for (int r = 0; r < direct.size(); r++) {
                assertArrayEquals(direct.get(r).tokens(), sampledContinuous.get(r).tokens(), "sampled row " + r);
                anyDiffers |= !java.util.Arrays.equals(direct.get(r).tokens(), sampledBatched.get(r).tokens());
            }
            assertTrue(anyDiffers, "continuous sampling should draw other samples than the batched path");
        }
    }
}

package org.racro4j.training.roles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TextGeneration;

/**
 * Long sequences to a wide model go in fewer rows per batch, so that a batch's widest activation stays bounded; the
 * greedy completions are those of each prompt generated alone.
 */
class BatchBudgetTest {
    @Test
    void aWideModelsLongPromptsGoInSmallerBatchesWithTheSameCompletions() {
        // MLP width 2^17: 20 positions a row make 2.6M elements, so 51 rows a batch, not MAX_BATCH
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, 41, 8, 1 << 17, 1, 2, 1, 4, 64, 10000.0, 1e-6, true, true, -1, List.of(0));
        try (CausalLM lm = CausalLM.create(c, 3, DType.F32, Device.CPU)) {
            int rows = TextCompletion.rowsPerBatch(lm, 20);
            assertEquals((int) (TextCompletion.MAX_ACTIVATION_ELEMENTS / (20L << 17)), rows);
            assertTrue(rows < TextCompletion.MAX_BATCH);
            Random r = new Random(8);
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < 70; i++) {
                int[] p = new int[3 + r.nextInt(12)];
                for (int j = 0; j < p.length; j++) p[j] = 1 + r.nextInt(40);
                prompts.add(p);
            }
            List<Generated> batched;
            try (Autograd.Mode off = Autograd.noGrad()) {
                batched = TextCompletion.complete(lm, Set.of(0), null, prompts, 1, 5, 0f, 1);
                for (int i = 0; i < prompts.size(); i++) {
                    Generated alone = TextGeneration.generate(lm, List.of(prompts.get(i)), SamplingConfig.greedy(5, Set.of(0))).get(0);
                    assertArrayEquals(alone.tokens(), batched.get(i).tokens(), "prompt " + i);
                }
            }
            assertEquals(1, TextCompletion.rowsPerBatch(lm, 1 << 12), "a single row when even one exceeds the bound");
            assertEquals(TextCompletion.MAX_BATCH, TextCompletion.rowsPerBatch(lm, 1));
        }
    }
}

package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.TestModels;

/**
 * Groups of samples that share a prompt, prefilled once and forked (TextGeneration with a group size), against the
 * plain path on the list with every prompt and prefix row repeated: the same tokens, log-probabilities and stop flags,
 * bit for bit.
 */
class GroupGenerationTest {
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.QWEN2, 41, 32, 48, 2, 4, 2, 8, 128, 10000.0, 1e-6, true, true, 0, List.of(1));
    static final int[] LENGTHS = {30, 45, 37};
    static final int PREFIX = 8;
    static CausalLM model;

    @BeforeAll
    static void makeModel() {
        model = TestModels.randomModel(CONFIG, 17);
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @Test
    void aGroupGivesWhatRepeatingThePromptGives() {
        SamplingConfig cfg = new SamplingConfig(14, 0.9f, 0, 1f, 11, Set.of(1));
        for (int groupSize : new int[] {1, 2, 5}) {
            for (boolean withPrefix : new boolean[] {false, true}) {
                try (Scope s = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
                    Tensor prefix = withPrefix ? Tensor.randn(new Generator(5), LENGTHS.length, PREFIX, CONFIG.hiddenSize()) : null;
                    List<int[]> prompts = prompts();
                    List<Generated> grouped = TextGeneration.generate(model, prefix, prompts, cfg, groupSize);

                    List<int[]> repeated = new ArrayList<>();
                    long[] rows = new long[prompts.size() * groupSize];
                    for (int r = 0; r < rows.length; r++) {
                        rows[r] = r / groupSize;
                        repeated.add(prompts.get(r / groupSize));
                    }
                    Tensor repeatedPrefix = prefix == null ? null : prefix.indexSelect(0, Tensor.ofLongs(rows, rows.length));
                    List<Generated> plain = TextGeneration.generate(model, repeatedPrefix, repeated, cfg);

                    String what = "group " + groupSize + (withPrefix ? ", with a prefix" : "");
                    assertEquals(plain.size(), grouped.size(), what);
                    boolean samplesDiffer = false;
                    for (int r = 0; r < plain.size(); r++) {
                        assertArrayEquals(plain.get(r).tokens(), grouped.get(r).tokens(), what + ", row " + r);
                        assertArrayEquals(plain.get(r).logProbs(), grouped.get(r).logProbs(), what + ", row " + r);
                        assertEquals(plain.get(r).stopped(), grouped.get(r).stopped(), what + ", row " + r);
                        if (r % groupSize != 0) {
                            samplesDiffer |= !java.util.Arrays.equals(grouped.get(r).tokens(), grouped.get(r - 1).tokens());
                        }
                    }
                    // the samples of a group are distinct draws, not one sample copied
                    if (groupSize > 1) assertTrue(samplesDiffer, what + ": every group's samples are identical");
                }
            }
        }
    }

    @Test
    void aGroupSizeBelowOneOrAPrefixOfTheWrongRowsIsRefused() {
        SamplingConfig cfg = new SamplingConfig(4, 1f, 0, 1f, 1, Set.of());
        assertThrows(IllegalArgumentException.class, () -> TextGeneration.generate(model, null, prompts(), cfg, 0));
        try (Scope s = Scope.open()) {
            Tensor repeatedRows = Tensor.zeros(LENGTHS.length * 2, PREFIX, CONFIG.hiddenSize());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TextGeneration.generate(model, repeatedRows, prompts(), cfg, 2));
            assertTrue(e.getMessage().contains("prefix has 6 rows for 3 prompts"), e.getMessage());
        }
    }

    private static List<int[]> prompts() {
        List<int[]> out = new ArrayList<>();
        Generator g = new Generator(23);
        for (int n : LENGTHS) {
            int[] p = new int[n];
            for (int i = 0; i < n; i++) p[i] = 2 + g.nextInt(CONFIG.vocabSize() - 2);
            out.add(p);
        }
        return out;
    }
}

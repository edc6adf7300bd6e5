package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.racro4j.models.decoder.CausalLM;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;

/**
 * What the reasoner is shown during SFT: nothing (empty_fraction of the examples), a partial view of the scene
 * (partial_fraction) or the focused gold evidence (the rest). 20000 draws, each share within 6 binomial standard
 * deviations of the configured one; a partial view is never empty and never the focused evidence itself.
 */
class ReasonerSftDescriptionTest {
    private static final List<TaskItem> ITEMS = new TaskGenerator(31).generate(Split.TRAIN, 60).stream()
            .filter(t -> !t.neededDescription().isEmpty()).toList();

    static RunConfig.ReasonerSpec config(double partial, double empty, int steps) {
        return new RunConfig.ReasonerSpec(new RunConfig.Decoder("qwen2", 24, 2, 4, 2, 40), new RunConfig.Sft(steps, 4, 1e-3, 1, 0.0), partial,
                empty, 3);
    }

    @Test
    void descriptionsAreEmptyPartialOrFocusedInTheConfiguredShares() {
        double empty = 0.1;
        double partial = 0.25;
        RunConfig.ReasonerSpec cfg = config(partial, empty, 3);
        SplittableRandom r = new SplittableRandom(5);
        int n = 20000;
        int[] kinds = new int[3];
        for (int i = 0; i < n; i++) {
            TaskItem item = ITEMS.get(i % ITEMS.size());
            String d = ReasonerSft.description(item, cfg, r);
            kinds[d.isEmpty() ? 0 : d.equals(item.neededDescription()) ? 2 : 1]++;
        }
        double[] want = {empty, partial, 1 - empty - partial};
        String[] names = {"empty", "partial", "focused"};
        for (int k = 0; k < 3; k++) {
            double sigma = Math.sqrt(n * want[k] * (1 - want[k]));
            assertEquals(n * want[k], kinds[k], 6 * sigma, names[k] + " descriptions out of " + n);
        }
    }

    /** The stage's name is its checkpoint and metrics key; its step count and optimizer are the configured ones. */
    @Test
    void stageReportsItsNameStepsModelAndOptimizer() {
        try (CausalLM lm = TinyModels.decoder(ReasonerSftStepTest.TOK.vocabSize(), true, 160, 32)) {
            ReasonerSft stage = new ReasonerSft("swap_reasoner_sft", lm, new ReasonerPrompt.Words(ReasonerSftStepTest.TOK), ITEMS, config(0.1, 0.1, 17), 3);
            assertEquals("swap_reasoner_sft", stage.name());
            assertEquals(17, stage.steps());
            assertSame(lm, stage.model());
            stage.step(0);
            assertEquals(1, stage.optimizer().stepCount(), "the stage's optimizer took the step");
            assertTrue(stage.optimizer().lr() > 0);
        }
    }
}

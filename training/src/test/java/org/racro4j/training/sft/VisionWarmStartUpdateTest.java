package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Tensor;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;

/**
 * One step of the vision warm start. Reference: AdamW's first step from zero moments (no weight decay here) moves each
 * coordinate by at most the learning rate, and by the learning rate itself wherever the gradient is not tiny; the
 * rate warms up linearly over min(20, steps) steps, so the first is lr / 3 with 3 steps. The same batch then scores
 * a lower loss.
 */
class VisionWarmStartUpdateTest {
    @Test
    void theFirstStepMovesTheProbeByTheWarmUpRateAndLowersTheLoss() {
        List<TaskItem> items = new TaskGenerator(71).generate(Split.TRAIN, 6);
        double peak = 2e-3;
        double lr = peak / 3;
        try (Captioner cap = VisionWarmStartObjectiveTest.captioner()) {
            VisionWarmStart stage = VisionWarmStartObjectiveTest.stage(cap, items, 3, peak);
            List<Tensor> params = stage.model().parameters();
            List<float[]> before = new ArrayList<>();
            for (Tensor p : params) before.add(p.toFloatArray());

            assertEquals("vision_warm_start", stage.name(), "the stage's checkpoint and metrics key");
            assertEquals(3, stage.steps());
            double loss0 = (double) stage.step(0).get("loss");
            assertEquals(1, stage.optimizer().stepCount(), "the stage's optimizer took the step");
            int moved = 0;
            int total = 0;
            for (int i = 0; i < params.size(); i++) {
                float[] w = before.get(i);
                float[] after = params.get(i).toFloatArray();
                for (int k = 0; k < w.length; k++) {
                    double step = Math.abs(after[k] - w[k]);
                    assertTrue(step <= lr * 1.002 + 1e-7, "parameter " + i + " element " + k + " moved " + step + " > lr " + lr);
                    if (Math.abs(step - lr) < 0.01 * lr) moved++;
                    total++;
                }
            }
            assertTrue(moved > 0.3 * total, moved + " of " + total + " coordinates moved by the learning rate");
            double loss1 = (double) stage.step(1).get("loss");   // the same items: the batch is the whole set
            assertTrue(loss1 < loss0, "loss " + loss0 + " -> " + loss1);
        }
    }

    /**
     * After a step no gradient is left behind for the next one, and the rate follows warm-up and a cosine decay to a
     * tenth of the peak: with 30 steps, warm-up lasts 20 and step 29 runs at 0.1 + 0.45 (1 + cos 0.9 pi) of the peak.
     */
    @Test
    void aStepLeavesNoGradientAndTheRateDecaysToATenthOfThePeak() {
        List<TaskItem> items = new TaskGenerator(72).generate(Split.TRAIN, 4);
        double peak = 2e-3;
        try (Captioner cap = VisionWarmStartObjectiveTest.captioner()) {
            VisionWarmStart stage = VisionWarmStartObjectiveTest.stage(cap, items, 30, peak);
            stage.step(29);
            double want = peak * (0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.9)));
            assertEquals(want, stage.optimizer().lr(), 1e-6 * want, "rate at the last step");
            for (Tensor p : stage.model().parameters()) {
                if (p.grad() == null) continue;
                for (float g : p.grad().toFloatArray()) assertEquals(0f, g, "a gradient left after the step");
            }
        }
    }
}

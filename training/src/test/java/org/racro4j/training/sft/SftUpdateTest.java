package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;

/**
 * What one step of the reasoner's SFT does to the weights. Reference: AdamW's first step from zero moments moves each
 * coordinate by lr · g / (|g| + eps), i.e. by the learning rate itself wherever the gradient is not tiny, plus the
 * decoupled decay lr · wd · w on matrices (not on norms and biases); the learning rate follows a linear warm-up,
 * then a cosine from the peak to a tenth of it. After the step the float64 loss of the same batch is lower.
 */
class SftUpdateTest {
    private static final List<TaskItem> ITEMS = new TaskGenerator(61).generate(Split.TRAIN, 5);
    private static final double PEAK = 1e-3;
    private static final double DECAY = 0.1;
    private static final int WARMUP = 4;
    private static final int STEPS = 8;

    static ReasonerSft stage(CausalLM lm) {
        RunConfig.ReasonerSpec cfg = new RunConfig.ReasonerSpec(new RunConfig.Decoder("qwen2", 24, 2, 4, 2, 40),
                new RunConfig.Sft(STEPS, ITEMS.size(), PEAK, WARMUP, DECAY), 0.0, 0.0, 3);
        return new ReasonerSft("reasoner_sft", lm, new ReasonerPrompt.Words(ReasonerSftStepTest.TOK), ITEMS, cfg, 62);
    }

    private static double scheduled(int step) {
        if (step < WARMUP) return PEAK * (step + 1) / WARMUP;
        double min = PEAK / 10;
        return min + 0.5 * (PEAK - min) * (1 + Math.cos(Math.PI * (step - WARMUP) / (STEPS - WARMUP)));
    }

    @Test
    void theFirstStepMovesEveryWeightByTheScheduledRateDownhill() {
        try (CausalLM lm = TinyModels.decoder(ReasonerSftStepTest.TOK.vocabSize(), true, 160, 63)) {
            List<float[]> before = new ArrayList<>();
            for (Tensor p : lm.parameters()) before.add(p.toFloatArray());
            double lossBefore = ReasonerSftStepTest.reference(lm, ITEMS, false);

            Map<String, Object> m = stage(lm).step(0);
            double lr = scheduled(0);
            assertEquals(lr, (double) m.get("lr"), 1e-9);

            int moved = 0;
            int total = 0;
            for (int i = 0; i < before.size(); i++) {
                Tensor p = lm.parameters().get(i);
                float[] w = before.get(i);
                float[] after = p.toFloatArray();
                double decay = p.dim() >= 2 ? DECAY : 0;
                for (int k = 0; k < w.length; k++) {
                    double step = Math.abs(after[k] - w[k] + lr * decay * w[k]);   // the Adam part, decay taken out
                    assertTrue(step <= lr * 1.002 + 1e-7, "parameter " + i + " element " + k + " moved " + step + " > lr " + lr);
                    if (Math.abs(step - lr) < 0.01 * lr) moved++;
                    total++;
                }
            }
            assertTrue(moved > 0.5 * total, moved + " of " + total + " coordinates moved by the learning rate");
            double lossAfter = ReasonerSftStepTest.reference(lm, ITEMS, false);
            assertTrue(lossAfter < lossBefore - 1e-3, "loss " + lossBefore + " -> " + lossAfter);
        }
    }

    @Test
    void theLearningRateWarmsUpThenFollowsACosineToATenth() {
        try (CausalLM lm = TinyModels.decoder(ReasonerSftStepTest.TOK.vocabSize(), true, 160, 64)) {
            ReasonerSft stage = stage(lm);
            for (int step = 0; step < STEPS; step++) {
                assertEquals(scheduled(step), (double) stage.step(step).get("lr"), 1e-9, "step " + step);
            }
        }
    }
}

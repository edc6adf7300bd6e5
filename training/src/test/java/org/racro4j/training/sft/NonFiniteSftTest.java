package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Module;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.pipeline.NonFiniteSteps;
import org.racro4j.training.pipeline.Stage;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;

/**
 * The supervised stages skip a step whose loss or gradient norm is not finite: before, AdamW took it and every weight
 * became NaN. The skipped step leaves the weights and AdamW's state bit for bit, is counted in the step's metrics
 * ({@code skipped_nonfinite}), and the fifth such step in a row stops the stage with a message naming it and the step.
 */
class NonFiniteSftTest {
    private static void poison(Tensor w, int element, float factor) {
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            w.reshape(-1).narrow(0, element, 1).mulInPlace(factor);
        }
    }

    private static List<float[]> weights(Module m) {
        List<float[]> out = new ArrayList<>();
        for (Tensor t : m.parameters()) out.add(t.toFloatArray());
        return out;
    }

    private static void assertUnchanged(List<float[]> before, Stage stage) {
        List<float[]> after = weights(stage.model());
        for (int i = 0; i < before.size(); i++) assertArrayEquals(before.get(i), after.get(i), 0f, "parameter " + i);
        assertEquals(0, stage.optimizer().stepCount(), "AdamW took no step");
        assertTrue(stage.optimizer().stateDict().isEmpty(), "AdamW has no moments");
        for (Tensor p : stage.model().parameters()) assertEquals(null, p.grad(), "no gradient is left behind");
    }

    /** A reasoner with one NaN weight: four steps are skipped and counted, the fifth stops the stage. */
    @Test
    void reasonerStepsWithANanLossAreSkippedThenTheStageStops() {
        try (CausalLM lm = TinyModels.decoder(ReasonerSftStepTest.TOK.vocabSize(), true, 160, 63)) {
            poison(lm.stateDict().get("model.norm.weight"), 5, Float.NaN);
            ReasonerSft stage = SftUpdateTest.stage(lm);
            List<float[]> before = weights(lm);
            for (int s = 0; s < NonFiniteSteps.MAX_CONSECUTIVE - 1; s++) {
                Map<String, Object> m = stage.step(s);
                assertEquals(1, m.get("skipped_nonfinite"), "step " + s);
                assertTrue(Double.isNaN((double) m.get("loss")) && Double.isNaN((double) m.get("grad_norm")), m.toString());
            }
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> stage.step(4));
            assertEquals("reasoner_sft step 4: stopped after 5 steps in a row whose every update was skipped because the loss or "
                    + "gradient norm was not finite (last: the loss is NaN (the log-probability of target token 0 of row 0 is NaN)); the "
                    + "checkpoints written before are kept and hold the weights of the last good step; check the learning rate and look "
                    + "for NaN or infinite weights or inputs", e.getMessage());
            assertUnchanged(before, stage);
        }
    }

    /**
     * An output projection scaled by 1e20 keeps the loss finite (logits of about 1e20 give a loss of that size) but the
     * gradients flowing back through it are so large that their squared norm overflows: the norm is infinite, and
     * clipGradNorm cannot scale such a gradient. The step is skipped; a finite step afterwards counts nothing.
     */
    @Test
    void aStepWithAnInfiniteGradientNormIsSkipped() {
        try (CausalLM lm = TinyModels.decoder(ReasonerSftStepTest.TOK.vocabSize(), false, 160, 64)) {
            Tensor head = lm.stateDict().get("lm_head.weight");
            float[] original = head.toFloatArray();
            try (Autograd.Mode off = Autograd.noGrad()) {
                head.mulInPlace(1e20f);
            }
            ReasonerSft stage = SftUpdateTest.stage(lm);
            List<float[]> before = weights(lm);
            Map<String, Object> m = stage.step(0);
            assertEquals(1, m.get("skipped_nonfinite"), m.toString());
            assertTrue(Double.isFinite((double) m.get("loss")), "the loss is finite: " + m);
            assertEquals(Double.POSITIVE_INFINITY, (double) m.get("grad_norm"));
            assertUnchanged(before, stage);

            try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
                head.copyFrom(Tensor.of(original, head.shape()));
            }
            Map<String, Object> ok = stage.step(1);
            assertEquals(0, ok.get("skipped_nonfinite"));
            assertEquals(1, stage.optimizer().stepCount());
        }
    }

    @Test
    void aCaptionerStepWithANanImageEncoderIsSkipped() {
        try (Captioner cap = CaptionerSftStepTest.captioner()) {
            poison(cap.visionTower().parameters().get(0), 3, Float.NaN);
            CaptionerSft stage = new CaptionerSft(new CaptionPolicy(cap, CaptionerSftStepTest.TOK, 12, 3), CaptionerSftStepTest.ITEMS,
                    CaptionerSftStepTest.spec(0.5), 44);
            List<float[]> before = weights(cap);
            Map<String, Object> m = stage.step(0);
            assertEquals(1, m.get("skipped_nonfinite"));
            assertTrue(Double.isNaN((double) m.get("loss")), m.toString());
            assertUnchanged(before, stage);
        }
    }

    @Test
    void aVisionWarmStartStepWithANanEncoderIsSkipped() {
        List<TaskItem> items = new TaskGenerator(71).generate(Split.TRAIN, 4);
        try (Captioner cap = VisionWarmStartObjectiveTest.captioner()) {
            VisionWarmStart stage = VisionWarmStartObjectiveTest.stage(cap, items, 3, 2e-3);
            poison(cap.visionTower().parameters().get(0), 3, Float.NaN);
            List<float[]> before = weights(stage.model());
            Map<String, Object> m = stage.step(0);
            assertEquals(1, m.get("skipped_nonfinite"));
            assertTrue(Double.isNaN((double) m.get("loss")), m.toString());
            assertUnchanged(before, stage);
            for (int s = 1; s < NonFiniteSteps.MAX_CONSECUTIVE - 1; s++) stage.step(s);
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> stage.step(NonFiniteSteps.MAX_CONSECUTIVE - 1));
            assertTrue(e.getMessage().startsWith("vision_warm_start step 4: stopped after 5 steps in a row"), e.getMessage());
            assertUnchanged(before, stage);
        }
    }
}

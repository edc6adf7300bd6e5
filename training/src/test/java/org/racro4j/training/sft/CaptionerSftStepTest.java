package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.models.vision.VisionConfig;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.Prompts;
import org.racro4j.training.text.TaskTokenizer;

/**
 * The captioner's SFT loss is the mean NLL of description + EOS after [image tokens][BOS + captioner prompt].
 * Reference: {@link TinyModels#targetNll} per item, in float64, on the item's own image embeddings. A batch as large
 * as the training set covers every item once at step 0, so the reference needs no knowledge of the batch order.
 */
class CaptionerSftStepTest {
    static final WordLevelTokenizer TOK = TaskTokenizer.create();
    static final List<TaskItem> ITEMS = new TaskGenerator(41).generate(Split.TRAIN, 3);

    /** Focused fraction 1: every target is the question-focused evidence. */
    @Test
    void lossScoresTheFocusedEvidenceAfterImageAndPrompt() {
        assertEquals(reference(true), loggedLoss(1.0), 1e-5 * reference(true));
    }

    /** Focused fraction 0 with only the "full" view: every target is the whole gold description. */
    @Test
    void lossScoresTheWholeSceneWhenNoTargetIsFocused() {
        assertTrue(ITEMS.stream().anyMatch(t -> !t.neededDescription().equals(t.goldDescription())), "the two targets differ somewhere");
        assertEquals(reference(false), loggedLoss(0.0), 1e-5 * reference(false));
    }

    /** The stage's name is its checkpoint and metrics key; its step count, model and optimizer are the configured ones. */
    @Test
    void stageReportsItsNameStepsModelAndOptimizer() {
        try (Captioner cap = captioner()) {
            CaptionerSft stage = new CaptionerSft(new CaptionPolicy(cap, TOK, 12, 3), ITEMS, spec(0.5), 44);
            assertEquals("captioner_sft", stage.name());
            assertEquals(3, stage.steps());
            assertSame(cap, stage.model());
            stage.step(0);
            assertEquals(1, stage.optimizer().stepCount(), "the stage's optimizer took the step");
        }
    }

    /** Warm-up, then a cosine decay to a tenth of the peak: with 1 warm-up step of 3, step 2 runs at 0.1 + 0.45 (1 + cos pi/2). */
    @Test
    void theRateDecaysToATenthOfThePeak() {
        try (Captioner cap = captioner()) {
            CaptionerSft stage = new CaptionerSft(new CaptionPolicy(cap, TOK, 12, 3), ITEMS, spec(0.5), 44);
            stage.step(2);
            double want = 1e-3 * (0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.5)));
            assertEquals(want, stage.optimizer().lr(), 1e-6 * want, "rate at the last step");
        }
    }

    static RunConfig.CaptionerSpec spec(double focusedFraction) {
        return new RunConfig.CaptionerSpec(new RunConfig.Vision(16, 24, 1, 2), new RunConfig.VisionWarmStart(0, 1, 1e-3),
                new RunConfig.Decoder("qwen2", 24, 2, 4, 2, 40), new RunConfig.Sft(3, ITEMS.size(), 1e-3, 1, 0.0), focusedFraction,
                List.of("full"), 12);
    }

    static Captioner captioner() {
        Captioner cap = Captioner.create(VisionConfig.small(48, 16, 24, 1, 2), TinyModels.config(TOK.vocabSize(), true, 128), 42, DType.F32,
                Device.CPU);
        TinyModels.randomize(cap.languageModel(), 43);
        return cap;
    }

    private static double loggedLoss(double focusedFraction) {
        try (Captioner cap = captioner()) {
            return (double) new CaptionerSft(new CaptionPolicy(cap, TOK, 12, 3), ITEMS, spec(focusedFraction), 44).step(0).get("loss");
        }
    }

    private static double reference(boolean focused) {
        double sum = 0;
        int tokens = 0;
        try (Captioner cap = captioner()) {
            for (TaskItem item : ITEMS) {
                int[] prompt = ReasonerSftStepTest.withBos(TOK.encode(Prompts.captioner(item.question())));
                int[] description = TOK.encode(focused ? item.neededDescription() : item.goldDescription());
                int[] target = java.util.Arrays.copyOf(description, description.length + 1);
                target[description.length] = TOK.specialTokens().eos();
                try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
                    Tensor image = cap.embedImages(cap.processor().patches(List.of(item.image())));
                    sum += TinyModels.targetNll(cap.languageModel(), image, prompt, target);
                }
                tokens += target.length;
            }
        }
        return sum / tokens;
    }
}

package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.Prompts;

/**
 * The policy's warm-start loss, one role at a time: the mean over examples of each example's mean NLL of its target
 * + EOS after [image tokens][BOS + the role's prompt]. Reference: {@link TinyModels#targetNll} per item in float64 on
 * the item's own image embeddings, with the prompt and target the test builds from the role's definition: the
 * captioner's prompt and the focused evidence; the reasoner's prompt with an empty description and the answer (the
 * Solver); the direct prompt and the answer (the Answerer). The captions' lengths differ, so a mean over all target
 * tokens instead of per example would be a different number.
 */
class PolicySftStepTest {
    private static final List<TaskItem> ITEMS = CaptionerSftStepTest.ITEMS;

    @Test
    void captionExamplesScoreTheFocusedEvidenceAfterImageAndCaptionerPrompt() {
        assertTrue(ITEMS.stream().map(t -> t.neededDescription().split(" ").length).distinct().count() > 1, "captions of different lengths");
        double want = reference(Role.CAPTIONER);
        assertEquals(want, loggedLoss(Role.CAPTIONER), 1e-5 * want);
        assertTrue(Math.abs(want - tokenMean(Role.CAPTIONER)) > 1e-3 * want, "the per-example mean is not the token mean here");
    }

    @Test
    void solverExamplesScoreTheAnswerAfterImageAndDescription() {
        double want = reference(Role.SOLVER);
        assertEquals(want, loggedLoss(Role.SOLVER), 1e-5 * want);
    }

    /** With no empty or partial descriptions and focused fraction 1, the Solver reads the question's gold evidence. */
    @Test
    void solverExamplesReadTheDescriptionsTheCaptionerIsTaughtToWrite() {
        double want = reference(Role.SOLVER, true);
        assertEquals(want, loggedLoss(Role.SOLVER, fullDescriptions()), 1e-5 * want);
        assertTrue(Math.abs(want - reference(Role.SOLVER, false)) > 1e-4, "the description changes the answer's NLL");
    }

    @Test
    void answererExamplesScoreTheAnswerAfterImageAndQuestionAlone() {
        double want = reference(Role.ANSWERER);
        assertEquals(want, loggedLoss(Role.ANSWERER), 1e-5 * want);
        assertTrue(Math.abs(want - reference(Role.SOLVER)) > 1e-4, "the two answer prompts differ");
    }

    @Test
    void theStageIsNamedPolicySftAndTeachesThreeRoles() {
        try (Captioner cap = CaptionerSftStepTest.captioner()) {
            PolicySft stage = new PolicySft(new CaptionPolicy(cap, CaptionerSftStepTest.TOK, 12, 3), ITEMS, CaptionerSftStepTest.spec(1.0),
                    emptyDescriptions(), 44);
            assertEquals("policy_sft", stage.name());
            assertEquals(List.of(Role.CAPTIONER, Role.SOLVER, Role.ANSWERER), PolicySft.ROLES);
        }
    }

    /** The Solver's descriptions are always empty: the reference needs no knowledge of the random views. */
    private static RunConfig.ReasonerSpec emptyDescriptions() {
        return new RunConfig.ReasonerSpec(new RunConfig.Decoder("qwen2", 24, 2, 4, 2, 40), new RunConfig.Sft(3, 3, 1e-3, 1, 0.0), 0.0, 1.0, 3);
    }

    /** The Solver's descriptions are never empty nor partial: with focused fraction 1, always the gold evidence. */
    private static RunConfig.ReasonerSpec fullDescriptions() {
        return new RunConfig.ReasonerSpec(new RunConfig.Decoder("qwen2", 24, 2, 4, 2, 40), new RunConfig.Sft(3, 3, 1e-3, 1, 0.0), 0.0, 0.0, 3);
    }

    private static double loggedLoss(Role role) {
        return loggedLoss(role, emptyDescriptions());
    }

    private static double loggedLoss(Role role, RunConfig.ReasonerSpec solverDescriptions) {
        try (Captioner cap = CaptionerSftStepTest.captioner()) {
            PolicySft stage = new PolicySft(new CaptionPolicy(cap, CaptionerSftStepTest.TOK, 12, 3), ITEMS, CaptionerSftStepTest.spec(1.0),
                    solverDescriptions, 44, List.of(role));
            return (double) stage.step(0).get("loss");
        }
    }

    private static double reference(Role role) {
        return reference(role, false);
    }

    /** @param evidence whether the Solver's description is the item's focused evidence (else empty) */
    private static double reference(Role role, boolean evidence) {
        double sum = 0;
        for (double[] nll : perItem(role, evidence)) sum += nll[0] / nll[1];
        return sum / ITEMS.size();
    }

    private static double tokenMean(Role role) {
        double sum = 0;
        double tokens = 0;
        for (double[] nll : perItem(role, false)) {
            sum += nll[0];
            tokens += nll[1];
        }
        return sum / tokens;
    }

    /** Each item's summed target NLL and target length. */
    private static double[][] perItem(Role role, boolean evidence) {
        double[][] out = new double[ITEMS.size()][];
        try (Captioner cap = CaptionerSftStepTest.captioner()) {
            for (int i = 0; i < ITEMS.size(); i++) {
                TaskItem item = ITEMS.get(i);
                String prompt = switch (role) {
                    case CAPTIONER -> Prompts.captioner(item.question());
                    case SOLVER -> "question : " + item.question() + " description :" + (evidence ? " " + item.neededDescription() : "") + " answer :";
                    case ANSWERER -> "question : " + item.question() + " answer :";
                };
                int[] body = CaptionerSftStepTest.TOK.encode(role == Role.CAPTIONER ? item.neededDescription() : item.answer());
                int[] target = Arrays.copyOf(body, body.length + 1);
                target[body.length] = CaptionerSftStepTest.TOK.specialTokens().eos();
                try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
                    Tensor image = cap.embedImages(cap.processor().patches(List.of(item.image())));
                    double nll = TinyModels.targetNll(cap.languageModel(), image, ReasonerSftStepTest.withBos(CaptionerSftStepTest.TOK.encode(prompt)), target);
                    out[i] = new double[] {nll, target.length};
                }
            }
        }
        return out;
    }
}

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

    /** The Reader answers from the description with no image tokens before its prompt. */
    @Test
    void readerExamplesScoreTheAnswerAfterTheDescriptionWithoutTheImage() {
        double want = reference(Role.READER, true);
        assertEquals(want, loggedLoss(Role.READER, fullDescriptions()), 1e-5 * want);
        assertTrue(Math.abs(want - reference(Role.SOLVER, true)) > 1e-4, "the image changes the answer's NLL");
    }

    /** Thinker and Describer: the focused evidence, then the answer line, after the image and their own prompts. */
    @Test
    void thinkerAndDescriberExamplesScoreEvidenceThenAnswerLine() {
        double think = reference(Role.THINKER);
        double describe = reference(Role.DESCRIBER);
        assertEquals(think, loggedLoss(Role.THINKER), 1e-5 * think);
        assertEquals(describe, loggedLoss(Role.DESCRIBER), 1e-5 * describe);
        assertTrue(Math.abs(think - describe) > 1e-4, "the two prompts differ");
    }

    /**
     * A batch mixing rows with and without the image is scored in two parts as one loss: the logged loss is the mean,
     * over the items, of each item's reference in the role it drew (which role each drew is the stage's random choice;
     * exactly one of the 2^3 assignments matches, and it uses both roles).
     */
    @Test
    void aBatchOfReaderAndCaptionerRowsIsOneMeanOverItsExamples() {
        double[][] per = {perItemMeans(Role.READER), perItemMeans(Role.CAPTIONER)};
        double logged;
        try (Captioner cap = CaptionerSftStepTest.captioner()) {
            logged = (double) new PolicySft(new CaptionPolicy(cap, CaptionerSftStepTest.TOK, 12, 3), ITEMS, CaptionerSftStepTest.spec(1.0),
                    fullDescriptions(), 45, List.of(Role.READER, Role.CAPTIONER)).step(0).get("loss");
        }
        int matches = 0;
        boolean mixed = false;
        for (int mask = 0; mask < 1 << ITEMS.size(); mask++) {
            double sum = 0;
            for (int i = 0; i < ITEMS.size(); i++) sum += per[(mask >> i) & 1][i];
            if (Math.abs(sum / ITEMS.size() - logged) <= 1e-5 * logged) {
                matches++;
                mixed = mask != 0 && mask != (1 << ITEMS.size()) - 1;
            }
        }
        assertEquals(1, matches, "assignments matching loss " + logged);
        assertTrue(mixed, "seed 45 draws both roles");
    }

    private static double[] perItemMeans(Role role) {
        double[][] nll = perItem(role, true);
        double[] out = new double[nll.length];
        for (int i = 0; i < nll.length; i++) out[i] = nll[i][0] / nll[i][1];
        return out;
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
                    case SOLVER, READER -> "question : " + item.question() + " description :" + (evidence ? " " + item.neededDescription() : "") + " answer :";
                    case ANSWERER -> "question : " + item.question() + " answer :";
                    case THINKER -> "question : " + item.question() + " think :";
                    case DESCRIBER -> "describe the image , then answer the question : " + item.question() + " description :";
                };
                String said = switch (role) {
                    case CAPTIONER -> item.neededDescription();
                    case THINKER, DESCRIBER -> item.neededDescription() + " answer : " + item.answer();
                    default -> item.answer();
                };
                int[] body = CaptionerSftStepTest.TOK.encode(said);
                int[] target = Arrays.copyOf(body, body.length + 1);
                target[body.length] = CaptionerSftStepTest.TOK.specialTokens().eos();
                try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
                    Tensor image = role == Role.READER ? null : cap.embedImages(cap.processor().patches(List.of(item.image())));
                    double nll = TinyModels.targetNll(cap.languageModel(), image, ReasonerSftStepTest.withBos(CaptionerSftStepTest.TOK.encode(prompt)), target);
                    out[i] = new double[] {nll, target.length};
                }
            }
        }
        return out;
    }
}

package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.Prompts;
import org.racro4j.training.text.TaskTokenizer;

/**
 * The reasoner's SFT loss is the mean NLL of answer + EOS after BOS + the reasoner prompt (question and the
 * description the reasoner is shown), nothing else. Reference: {@link TinyModels#targetNll} per item, in float64.
 * A batch as large as the training set covers every item once at step 0, in some order, so the reference is a
 * sum over all items and needs no knowledge of the batch order.
 */
class ReasonerSftStepTest {
    private static final List<TaskItem> ITEMS = new TaskGenerator(31).generate(Split.TRAIN, 5);

    @Test
    void lossScoresAnswerAndEosAfterThePromptWithTheNeededEvidence() {
        assertTrue(ITEMS.stream().anyMatch(t -> !t.neededDescription().isEmpty()), "some item shows the reasoner evidence");
        assertEquals(reference(false), loggedLoss(0.0), 1e-5 * reference(false));
    }

    @Test
    void withEveryDescriptionEmptyTheLossScoresTheBlindPrompt() {
        assertEquals(reference(true), loggedLoss(1.0), 1e-5 * reference(true));
    }

    static final WordLevelTokenizer TOK = TaskTokenizer.create();

    private static CausalLM model() {
        return TinyModels.decoder(TOK.vocabSize(), true, 160, 32);
    }

    private static double loggedLoss(double emptyFraction) {
        RunConfig.ReasonerSpec cfg = new RunConfig.ReasonerSpec(new RunConfig.Decoder("qwen2", 24, 2, 4, 2, 40),
                new RunConfig.Sft(3, ITEMS.size(), 1e-3, 1, 0.0), 0.0, emptyFraction, 3);
        try (CausalLM lm = model()) {
            return (double) new ReasonerSft("reasoner_sft", lm, new ReasonerPrompt.Words(TOK), ITEMS, cfg, 33).step(0).get("loss");
        }
    }

    private static double reference(boolean blind) {
        try (CausalLM lm = model()) {
            return reference(lm, ITEMS, blind);
        }
    }

    /** Mean NLL of answer + EOS over the items, each after BOS + the reasoner prompt (with the needed evidence unless blind). */
    static double reference(CausalLM lm, List<TaskItem> items, boolean blind) {
        double sum = 0;
        int tokens = 0;
        for (TaskItem item : items) {
            int[] prompt = withBos(TOK.encode(Prompts.reasoner(blind ? "" : item.neededDescription(), item.question())));
            int[] answer = TOK.encode(item.answer());
            int[] target = java.util.Arrays.copyOf(answer, answer.length + 1);
            target[answer.length] = TOK.specialTokens().eos();
            sum += TinyModels.targetNll(lm, null, prompt, target);
            tokens += target.length;
        }
        return sum / tokens;
    }

    static int[] withBos(int[] body) {
        int[] ids = new int[body.length + 1];
        ids[0] = TOK.specialTokens().bos();
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }
}

package org.racro4j.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.training.roles.Reasoner;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.tasks.AnswerType;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.TaskTokenizer;

/**
 * A reasoner whose input embedding of one word is NaN: every item whose description holds that word gets NaN logits.
 * Before, evaluation took the tokens of NaN logits as the reasoner's answer (token 0, a wrong answer: an accuracy that
 * looks real) and the answer probability of the expected RL reward came out NaN without a word; both now stop and
 * name the pass and the item (evaluation) or the row and answer token (answer probability).
 */
class NonFiniteEvaluationTest {
    private static final WordLevelTokenizer TOK = TaskTokenizer.create();
    private static final String POISONED = "triangle";

    private static final List<TaskItem> ITEMS = List.of(
            EvaluatorTest.item("i0", "count", "3", AnswerType.NUMBER),
            EvaluatorTest.item("i1", "colour", "red", AnswerType.WORD),
            EvaluatorTest.item("i2", "count", "2", AnswerType.NUMBER));
    private static final List<String> DESCRIPTIONS = List.of("red circle at top left .", "blue square at middle center .",
            "green " + POISONED + " at top right .");

    /** A 2-layer reasoner with untied embeddings (so the word's output logit stays finite) and the word's embedding NaN. */
    private static Reasoner poisonedReasoner() {
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, TOK.vocabSize(), 32, 48, 2, 4, 2, 8, 96, 10000.0, 1e-6, false, true,
                TOK.specialTokens().bos(), List.of(TOK.specialTokens().eos()));
        CausalLM lm = CausalLM.create(c, 3, DType.F32, Device.CPU);
        Integer word = TOK.tokenId(POISONED);
        assertNotNull(word, POISONED + " is a task word");
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Generator g = new Generator(4);
            for (Tensor t : lm.stateDict().values()) t.copyFrom(Tensor.randn(g, t.shape()).mul(0.4f));
            lm.stateDict().get("model.embed_tokens.weight").narrow(0, word, 1).mulInPlace(Float.NaN);
        }
        return new Reasoner("nan-reasoner", lm, new ReasonerPrompt.Words(TOK), 3);
    }

    @Test
    void evaluationStopsAtTheItemWhoseLogitsAreNotFinite() {
        try (Reasoner reasoner = poisonedReasoner()) {
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> Evaluator.read(reasoner, ITEMS, DESCRIPTIONS, "oracle"));
            assertEquals("evaluation: nan-reasoner reading oracle descriptions, item i2 (3 of 3): generate: non-finite logits at the "
                    + "prefill (new token 1) in row 2 of 3 (the sampled token's log-probability is NaN): the model's weights or inputs "
                    + "hold NaN or infinity", e.getMessage());
            assertEquals(2, e.row());
            // without the poisoned word the same reasoner evaluates
            Evaluator.Result ok = Evaluator.read(reasoner, ITEMS.subList(0, 2), DESCRIPTIONS.subList(0, 2), "oracle");
            assertEquals(2, ok.items().size());
        }
    }

    /**
     * 150 captions answered twice each are 300 generation rows, in two batches (TextCompletion.MAX_BATCH is 256): the
     * poisoned caption 140's rows are 280 and 281, rows 24 and 25 of the second batch; the error names caption 140.
     */
    @Test
    void theRowIsTheCallersAcrossBatchesAndRepeatedAnswers() {
        try (Reasoner reasoner = poisonedReasoner()) {
            List<String> captions = new java.util.ArrayList<>();
            List<String> questions = new java.util.ArrayList<>();
            for (int i = 0; i < 150; i++) {
                captions.add(i == 140 ? DESCRIPTIONS.get(2) : DESCRIPTIONS.get(i % 2));
                questions.add("how many shapes are there ?");
            }
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> reasoner.answer(captions, questions, 2, 0f, 5));
            assertEquals(140, e.row());
            assertEquals(true, e.getMessage().contains("in row 24 of 44"), e.getMessage());
        }
    }

    @Test
    void answerProbabilityNamesTheRowAndAnswerToken() {
        try (Reasoner reasoner = poisonedReasoner()) {
            List<String> questions = List.of("how many shapes are there ?", "what color is the square ?", "how many shapes are there ?");
            List<String> answers = List.of("3", "blue", "2");
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> reasoner.answerProbability(DESCRIPTIONS, questions, answers));
            assertEquals("answer probability: answer token 0 of row 2 of 3 has log-probability NaN: the answering model's weights or inputs "
                    + "hold NaN or infinity", e.getMessage());
            assertEquals(2, e.row());
            double[] p = reasoner.answerProbability(DESCRIPTIONS.subList(0, 2), questions.subList(0, 2), answers.subList(0, 2));
            for (double x : p) assertEquals(true, x > 0 && x < 1, "a probability: " + x);
        }
    }
}

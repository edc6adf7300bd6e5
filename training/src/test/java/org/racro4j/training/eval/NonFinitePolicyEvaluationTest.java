package org.racro4j.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.models.vision.VisionConfig;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.TaskTokenizer;

/**
 * The policy's own evaluation passes (greedy captions, direct answers) over a policy whose embedding of one question
 * word is NaN, on 130 items of which only the last asks with that word: the items go in batches of 128, so the error
 * must name the second batch's item by its place in the whole list, not in its batch.
 */
class NonFinitePolicyEvaluationTest {
    private static final WordLevelTokenizer TOK = TaskTokenizer.create();
    private static final String POISONED = "triangle";

    private static List<TaskItem> items() {
        List<TaskItem> clean = new ArrayList<>();
        TaskItem poisoned = null;
        for (TaskItem t : new TaskGenerator(19).generate(Split.TRAIN, 600)) {
            boolean has = List.of(t.question().split(" ")).contains(POISONED);
            if (has && poisoned == null) poisoned = t;
            if (!has && clean.size() < 129) clean.add(t);
        }
        assertNotNull(poisoned, "some question names a " + POISONED);
        assertEquals(129, clean.size());
        clean.add(poisoned);
        return clean;
    }

    private static CaptionPolicy poisonedPolicy() {
        DecoderConfig dc = new DecoderConfig(DecoderConfig.QWEN2, TOK.vocabSize(), 32, 48, 2, 4, 2, 8, 9 + 96, 10000.0, 1e-6, false, true,
                TOK.specialTokens().bos(), List.of(TOK.specialTokens().eos()));
        Captioner cap = Captioner.create(VisionConfig.small(48, 16, 24, 1, 2), dc, 5, DType.F32, Device.CPU);
        Integer word = TOK.tokenId(POISONED);
        assertNotNull(word);
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Generator g = new Generator(6);
            for (Tensor t : cap.stateDict().values()) t.copyFrom(Tensor.randn(g, t.shape()).mul(0.3f));
            cap.languageModel().stateDict().get("model.embed_tokens.weight").narrow(0, word, 1).mulInPlace(Float.NaN);
        }
        return new CaptionPolicy(cap, TOK, 6, 3);
    }

    @Test
    void captionsAndDirectAnswersStopAtTheItemWhoseLogitsAreNotFinite() {
        List<TaskItem> items = items();
        CaptionPolicy policy = poisonedPolicy();
        String item = "item " + items.get(129).id() + " (130 of 130)";
        NonFiniteException captions = assertThrows(NonFiniteException.class, () -> Evaluator.captions(policy, items, 3));
        assertTrue(captions.getMessage().startsWith("evaluation: captioning, " + item + ": "), captions.getMessage());
        assertEquals(129, captions.row());
        NonFiniteException answers = assertThrows(NonFiniteException.class, () -> Evaluator.policyAnswers(policy, items, null, "sft"));
        assertTrue(answers.getMessage().startsWith("evaluation: the policy answering sft, " + item + ": "), answers.getMessage());
        assertEquals(129, answers.row());
    }
}

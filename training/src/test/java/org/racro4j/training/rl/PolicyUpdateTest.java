package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Tensor;
import org.racro4j.core.optim.AdamW;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.roles.TextCompletion;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.Prompts;

/**
 * π_old, as PolicyUpdate records it by teacher forcing, is the distribution that sampled the tokens: equal to the
 * log-probabilities the sampler itself wrote down, for captions drawn at rl.temperature and Solver answers drawn at
 * rl.answer_temperature in the same minibatch (two independent code paths: cached decoding, batched scoring).
 * Scoring at temperature 1 instead gives other values, so the test fails if the temperature is dropped.
 */
class PolicyUpdateTest {
    private static final float CAPTION_T = 1.4f;
    private static final float ANSWER_T = 0.6f;

    @Test
    void recordedOldLogProbsAreTheSamplersAtEachRolesTemperature() {
        WordLevelTokenizer tok = TinyPolicy.TOK;
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        CaptionPolicy policy = TinyPolicy.create(11);
        Captioner cap = policy.model();
        Tensor patches = policy.patches(tasks);

        List<Rollout> rollouts = new ArrayList<>();
        List<float[]> sampled = new ArrayList<>();
        List<String> questions = tasks.stream().map(TaskItem::question).toList();
        List<Generated> captions = policy.caption(patches, questions, CAPTION_T, 21);
        List<int[]> answerPrompts = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            Generated c = captions.get(i);
            rollouts.add(new Rollout(tasks.get(i), Role.CAPTIONER, i, policy.captionPrompt(questions.get(i)), c.tokens(),
                    policy.text(c.tokens()), c.stopped(), null));
            sampled.add(c.logProbs());
            answerPrompts.add(TextCompletion.promptIds(tok, Prompts.reasoner(policy.text(c.tokens()), questions.get(i))));
        }
        List<Generated> answers = TextCompletion.complete(cap.languageModel(), tok, null, answerPrompts, 3, ANSWER_T, 22);
        for (int i = 0; i < tasks.size(); i++) {
            Generated a = answers.get(i);
            rollouts.add(new Rollout(tasks.get(i), Role.SOLVER, -1, answerPrompts.get(i), a.tokens(), policy.text(a.tokens()),
                    a.stopped(), policy.text(captions.get(i).tokens())));
            sampled.add(a.logProbs());
        }
        // interleave the roles, so that the minibatch path that splits and re-joins image and text rows is used
        Collections.swap(rollouts, 1, 4);
        Collections.swap(sampled, 1, 4);

        RlConfig cfg = RlConfigs.rl("algorithm", "prco", "steps", 1, "prompts_per_step", tasks.size(), "group_size", 2, "temperature", CAPTION_T,
                "lr", 1e-3, "weight_decay", 0.0, "minibatch", 8, "loss", LossConfig.racro(), "answer_samples", 1, "answer_temperature", ANSWER_T);
        PolicyUpdate update = new PolicyUpdate(policy, policy, AdamW.forTransformer(cap.parameters(), 1e-3f, 0f, 0.9f, 0.95f, 1e-8f), cfg);
        Tensor[] old = update.logProbs(policy, rollouts, patches);
        int compared = 0;
        for (int r = 0; r < rollouts.size(); r++) {
            float[] recorded = old[r].toFloatArray();
            float[] expected = sampled.get(r);
            assertEquals(expected.length, recorded.length, "rollout " + r + " length");
            for (int t = 0; t < expected.length; t++) {
                assertEquals(expected[t], recorded[t], 2e-4 + 2e-4 * Math.abs(expected[t]), "rollout " + r + " (" + rollouts.get(r).role()
                        + ") token " + t);
                compared++;
            }
            old[r].close();
        }
        assertTrue(compared >= 12, "compared " + compared + " tokens");
        patches.close();
    }
}

package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.training.reward.Reward;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * RL reaches a known optimum: a bandit over the caption's first word. Three words the untrained policy already
 * says first pay 0.25, 0.5 and 1 (the least likely of them pays most), every other word 0, so the best policy
 * opens every caption with that one word. RacroStep, with the reward behind the same interface as the reasoner's,
 * must move its probability from where it starts to near 1; a wrong sign in the advantages or the loss, a
 * mis-grouped batch or an update that does not reach the weights would leave it there or push it down.
 */
class BanditTest {
    @Test
    void racroStepsLearnToOpenEveryCaptionWithTheBestPayingWord() {
        List<TaskItem> tasks = TinyPolicy.tasks(4);
        CaptionPolicy policy = TinyPolicy.create(13);
        double[] start = firstWordProbabilities(policy, tasks);
        int[] arms = likeliestWords(start, 3);   // most likely first
        int best = arms[2];
        double[] pay = new double[start.length];
        pay[arms[0]] = 0.25;
        pay[arms[1]] = 0.5;
        pay[best] = 1;
        Reward bandit = new Reward() {
            @Override
            public String name() {
                return "bandit";
            }

            @Override
            public double[] score(List<Rollout> rollouts, long seed) {
                double[] out = new double[rollouts.size()];
                for (int i = 0; i < out.length; i++) out[i] = pay[rollouts.get(i).response()[0]];
                return out;
            }
        };
        RlConfig cfg = RlConfigs.rl("algorithm", "racro", "steps", 30, "prompts_per_step", tasks.size(), "group_size", 8, "temperature", 1f,
                "lr", 2e-2, "weight_decay", 0.0, "minibatch", 64, "kl_coef", 0.0, "answer_samples", 1, "answer_temperature", 0f);
        RacroStep step = new RacroStep(policy, new WeightedReward(List.of(new WeightedReward.Term(1, bandit))),
                new PolicyUpdate(policy, policy, StepReference.optimizer(policy, cfg), cfg), cfg);
        double firstReward = Double.NaN;
        double lastReward = Double.NaN;
        for (int s = 0; s < cfg.steps(); s++) {
            Map<String, Object> m = step.run(tasks, s, 1000 + s);
            lastReward = (Double) m.get("reward");
            if (s == 0) firstReward = lastReward;
        }
        double before = start[best];
        double after = firstWordProbabilities(policy, tasks)[best];
        assertTrue(before < 0.25, "the best word starts unlikely: " + before);
        assertTrue(after > 0.9, "P(best first word) " + before + " -> " + after);
        assertTrue(lastReward > 0.85 && lastReward > firstReward, "mean reward " + firstReward + " -> " + lastReward);
    }

    /** P(first caption token = w) under the policy at temperature 1, averaged over the tasks, for every word w. */
    static double[] firstWordProbabilities(CaptionPolicy p, List<TaskItem> tasks) {
        CausalLM lm = p.model().languageModel();
        double[] out = new double[TinyPolicy.TOK.vocabSize()];
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Tensor images = p.model().embedImages(p.patches(tasks));
            for (int i = 0; i < tasks.size(); i++) {
                int[] prompt = p.captionPrompt(tasks.get(i).question());
                long[] ids = new long[prompt.length];
                for (int j = 0; j < ids.length; j++) ids[j] = prompt[j];
                Tensor embeds = Tensor.cat(List.of(images.narrow(0, i, 1), lm.embed(Tensor.ofLongs(ids, 1, ids.length))), 1);
                Tensor logits = lm.logits(lm.hidden(embeds, null, null));
                float[] next = logits.narrow(1, logits.size(1) - 1, 1).logSoftmax(-1).toFloatArray();
                for (int w = 0; w < out.length; w++) out[w] += Math.exp(next[w]) / tasks.size();
            }
        }
        double total = 0;
        for (double v : out) total += v;
        assertEquals(1, total, 1e-4, "first-word probabilities sum to 1");
        return out;
    }

    static int[] likeliestWords(double[] p, int n) {
        int eos = TinyPolicy.TOK.specialTokens().eos();
        int[] out = new int[n];
        boolean[] taken = new boolean[p.length];
        taken[eos] = true;   // a caption that ends at once has no first word
        for (int k = 0; k < n; k++) {
            int arg = -1;
            for (int w = 0; w < p.length; w++) if (!taken[w] && (arg < 0 || p[w] > p[arg])) arg = w;
            taken[arg] = true;
            out[k] = arg;
        }
        return out;
    }
}

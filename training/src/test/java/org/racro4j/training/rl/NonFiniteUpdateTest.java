package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.optim.AdamW;
import org.racro4j.training.pipeline.NonFiniteSteps;
import org.racro4j.training.reward.CaptionUtilityReward;
import org.racro4j.training.reward.FormatReward;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Reasoner;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * A minibatch whose loss or gradient norm is not finite takes no optimizer step: before, AdamW took it, and one NaN
 * gradient made every weight and both moments NaN for the rest of the run (an infinite norm went through unclipped).
 * The minibatch is skipped and counted, the weights and AdamW's state stay bit for bit, and an RL stage whose every
 * update is skipped five steps in a row stops with a message naming the stage and step.
 */
class NonFiniteUpdateTest {
    private static final float CAPTION_T = 1.3f;

    private static RlConfig config(double klCoef, int minibatch, boolean dynamicSampling) {
        return RlConfigs.rl("algorithm", "racro", "steps", 10, "prompts_per_step", 3, "group_size", 2, "temperature", CAPTION_T, "lr", 1e-2,
                "weight_decay", 0.01, "minibatch", minibatch, "kl_coef", klCoef, "dynamic_sampling", dynamicSampling, "answer_samples", 1,
                "answer_temperature", 0.8f);
    }

    /** A reference policy with one NaN weight: its log-probabilities, and so the KL term and the loss, are NaN. */
    private static CaptionPolicy nanReference() {
        CaptionPolicy p = TinyPolicy.create(29);
        Tensor w = p.model().languageModel().stateDict().get("model.norm.weight");
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            w.narrow(0, 3, 1).mulInPlace(Float.NaN);
        }
        return p;
    }

    private static List<float[]> weights(CaptionPolicy p) {
        List<float[]> out = new ArrayList<>();
        for (Tensor t : p.model().parameters()) out.add(t.toFloatArray());
        return out;
    }

    private static void assertSameBits(List<float[]> before, CaptionPolicy p) {
        List<float[]> after = weights(p);
        for (int i = 0; i < before.size(); i++) assertArrayEquals(before.get(i), after.get(i), 0f, "parameter " + i);
    }

    private static double[] advantages(int n, double scale) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = scale * (i % 3 - 1 + 0.25);
        return a;
    }

    @Test
    void aNanLossSkipsEveryMinibatchAndLeavesWeightsAndMomentsAsTheyWere() {
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        CaptionPolicy policy = TinyPolicy.create(11);
        Tensor patches = policy.patches(tasks);
        List<Rollout> rollouts = TinyPolicy.mixedRollouts(policy, tasks, patches, 2, CAPTION_T, 0.8f, 5);
        RlConfig cfg = config(0.05, 4, false);
        AdamW adamw = StepReference.optimizer(policy, cfg);
        List<float[]> before = weights(policy);

        PolicyUpdate.Stats s = new PolicyUpdate(policy, nanReference(), adamw, cfg).apply(rollouts, advantages(rollouts.size(), 1), patches, 3);

        assertEquals(0, s.optimizerSteps());
        assertEquals(3, s.skippedNonFinite(), "12 rollouts in minibatches of 4");
        assertEquals("the loss is NaN", s.nonFinite());
        assertEquals(0, adamw.stepCount(), "AdamW took no step");
        assertTrue(adamw.stateDict().isEmpty(), "AdamW has no moments: " + adamw.stateDict().keySet());
        assertSameBits(before, policy);
        for (Tensor p : policy.model().parameters()) assertEquals(null, p.grad(), "no gradient is left behind");
        patches.close();
    }

    /**
     * Advantages of 1e30 keep the loss finite (about 1e30) but the squared gradient norm overflows float, so the norm is
     * infinite: clipGradNorm cannot scale such a gradient and returns it as is. Only the minibatch holding them is
     * skipped; the others step.
     */
    @Test
    void anInfiniteGradientNormSkipsOnlyItsMinibatch() {
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        CaptionPolicy policy = TinyPolicy.create(12);
        Tensor patches = policy.patches(tasks);
        List<Rollout> rollouts = TinyPolicy.mixedRollouts(policy, tasks, patches, 2, CAPTION_T, 0.8f, 6);
        RlConfig cfg = config(0, 4, false);
        long seed = 4;
        int[] first = PolicyUpdate.minibatches(rollouts.size(), cfg.minibatch(), cfg.innerEpochs(), seed).get(0);
        double[] adv = advantages(rollouts.size(), 1);
        for (int i : first) adv[i] *= 1e30;
        AdamW adamw = StepReference.optimizer(policy, cfg);
        List<float[]> before = weights(policy);

        PolicyUpdate.Stats s = new PolicyUpdate(policy, policy, adamw, cfg).apply(rollouts, adv, patches, seed);

        assertEquals(1, s.skippedNonFinite());
        assertEquals(2, s.optimizerSteps());
        assertEquals(2, adamw.stepCount());
        assertTrue(s.nonFinite().startsWith("the gradient norm is Infinity (loss "), s.nonFinite());
        assertTrue(Double.isFinite(s.loss()) && Math.abs(s.loss()) < 1e3, "the stats average the minibatches stepped on: " + s.loss());
        List<float[]> after = weights(policy);
        boolean moved = false;
        for (int i = 0; i < after.size(); i++) {
            for (float x : after.get(i)) assertTrue(Float.isFinite(x), "parameter " + i + " stays finite");
            moved |= !Arrays.equals(before.get(i), after.get(i));
        }
        assertTrue(moved, "the finite minibatches stepped");
        patches.close();
    }

    /**
     * RACRO steps with a NaN reference: each step's update is skipped entirely and counted in its metrics, and the
     * fifth in a row stops the stage with the dedicated exception. The policy never changes.
     */
    @Test
    void rlStepsThatKeepBeingSkippedStopTheStageNamingTheStep() {
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        List<String> golds = new ArrayList<>();
        for (TaskItem t : tasks) for (int i = 0; i < 2; i++) golds.add(t.answer());
        WeightedReward reward = new WeightedReward(List.of(
                new WeightedReward.Term(1.0, new CaptionUtilityReward(new RacroStepTest.ScriptedReasoner(golds), 2, 1f)),
                new WeightedReward.Term(0.3, new FormatReward())));
        RlConfig cfg = config(0.05, 4, false);
        CaptionPolicy policy = TinyPolicy.create(13);
        List<float[]> before = weights(policy);
        RacroStep step = new RacroStep(policy, reward, new PolicyUpdate(policy, nanReference(), StepReference.optimizer(policy, cfg), cfg), cfg);
        for (int s = 0; s < NonFiniteSteps.MAX_CONSECUTIVE - 1; s++) {
            Map<String, Object> m = step.run(tasks, 20 + s, 100 + s);
            assertEquals(0, m.get("optimizer_steps"), "step " + s);
            assertEquals(2, m.get("skipped_nonfinite"), "step " + s + ": 6 captions in minibatches of 4");
            assertTrue(Double.isNaN((double) m.get("loss")), "no minibatch to average: " + m.get("loss"));
        }
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> step.run(tasks, 24, 104));
        assertEquals("rl step 24: stopped after 5 steps in a row whose every update was skipped because the loss or gradient norm "
                + "was not finite (last: the loss is NaN); the checkpoints written before are kept and hold the weights of the last "
                + "good step; check the learning rate and look for NaN or infinite weights or inputs", e.getMessage());
        assertSameBits(before, policy);
    }

    /** The same for PRCO: both roles' updates skipped, counted, and the fifth skipped step in a row stops the stage. */
    @Test
    void prcoStepsThatKeepBeingSkippedStopTheStageToo() {
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        RlConfig cfg = RlConfigs.rl("algorithm", "prco", "steps", 10, "prompts_per_step", 3, "group_size", 2, "temperature", 2f, "lr", 1e-3,
                "weight_decay", 0.0, "minibatch", 4, "kl_coef", 0.05, "dynamic_sampling", false, "answer_samples", 2, "answer_temperature", 1f);
        CaptionPolicy policy = TinyPolicy.create(13);
        List<float[]> before = weights(policy);
        WeightedReward varied = new WeightedReward(List.of(new WeightedReward.Term(1, StepReference.TEXT_HASH)));
        PrcoStep step = new PrcoStep(policy, 1, varied, varied, new PolicyUpdate(policy, nanReference(), StepReference.optimizer(policy, cfg), cfg),
                cfg);
        for (int s = 0; s < NonFiniteSteps.MAX_CONSECUTIVE - 1; s++) {
            Map<String, Object> m = step.run(tasks, 30 + s, 200 + s);
            assertEquals(0, m.get("optimizer_steps"), "step " + s);
            assertTrue((int) m.get("skipped_nonfinite") > 0, "step " + s + " counted its skipped minibatches: " + m);
        }
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> step.run(tasks, 34, 204));
        assertTrue(e.getMessage().startsWith("rl step 34: stopped after 5 steps in a row"), e.getMessage());
        assertSameBits(before, policy);
    }

    /**
     * Non-finite logits while sampling captions (a NaN policy) or while the reasoner scores them (a NaN reasoner) are not
     * skipped: they stop the step, which names itself and what it was doing.
     */
    @Test
    void nanLogitsInRolloutsOrRewardsNameTheRlStep() {
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        RlConfig cfg = config(0, 4, false);
        CaptionPolicy nanPolicy = nanReference();
        WeightedReward format = new WeightedReward(List.of(new WeightedReward.Term(1.0, new FormatReward())));
        NonFiniteException sampling = assertThrows(NonFiniteException.class, () -> new RacroStep(nanPolicy, format,
                new PolicyUpdate(nanPolicy, nanPolicy, StepReference.optimizer(nanPolicy, cfg), cfg), cfg).run(tasks, 3, 8));
        assertTrue(sampling.getMessage().startsWith("rl step 3, sampling captions: generate: non-finite logits at the prefill (new "
                + "token 1) in row 0 of 6 "), sampling.getMessage());

        CaptionPolicy policy = TinyPolicy.create(14);
        try (Reasoner nanReasoner = new Reasoner("nan-reasoner", nanReference().model().languageModel(), new ReasonerPrompt.Words(TinyPolicy.TOK), 3)) {
            WeightedReward expected = new WeightedReward(List.of(new WeightedReward.Term(1.0, new CaptionUtilityReward(nanReasoner, 1, 0f, true))));
            NonFiniteException rewarding = assertThrows(NonFiniteException.class, () -> new RacroStep(policy, expected,
                    new PolicyUpdate(policy, policy, StepReference.optimizer(policy, cfg), cfg), cfg).run(tasks, 4, 9));
            assertTrue(rewarding.getMessage().startsWith("rl step 4, rewarding caption 0: answer probability: answer token 0 of row 0 "
                    + "of 6 has log-probability NaN"), rewarding.getMessage());
        }
    }

    /** A finite step counts nothing: the metric is 0 and the guard's count of skipped steps in a row starts over. */
    @Test
    void aFiniteStepResetsTheCount() {
        NonFiniteSteps guard = new NonFiniteSteps("rl");
        for (int i = 0; i < NonFiniteSteps.MAX_CONSECUTIVE - 1; i++) guard.record(i, 0, 2, "the loss is NaN");
        assertEquals(NonFiniteSteps.MAX_CONSECUTIVE - 1, guard.consecutive());
        guard.record(9, 0, 0, null);   // nothing to train on (every group dropped): neither good nor bad
        assertEquals(NonFiniteSteps.MAX_CONSECUTIVE - 1, guard.consecutive());
        guard.record(10, 1, 1, "the loss is NaN");   // one minibatch stepped: the run still learns
        assertEquals(0, guard.consecutive());
        for (int i = 0; i < NonFiniteSteps.MAX_CONSECUTIVE - 1; i++) guard.record(11 + i, 0, 1, "the loss is NaN");
        assertThrows(NonFiniteException.class, () -> guard.record(20, 0, 1, "the loss is NaN"));
    }
}

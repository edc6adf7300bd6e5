package org.racro4j.training.rl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.racro4j.core.Autograd;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.training.pipeline.NonFiniteSteps;
import org.racro4j.training.reward.CaptionUtilityReward;
import org.racro4j.training.reward.Reward;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * One GRPO step of RACRO: for each task, G captions from the policy (image + question); the reward (by default
 * the frozen reasoner's accuracy reading the caption) scores them; group-relative advantages; one policy update.
 */
public final class RacroStep {
    private final CaptionPolicy policy;
    private final WeightedReward reward;
    private final PolicyUpdate update;
    private final RlConfig cfg;
    private final NonFiniteSteps nonFinite = new NonFiniteSteps(STAGE);

    /** The name of the stage that runs RL steps (RlStage's), for messages. */
    static final String STAGE = "rl";

    public RacroStep(CaptionPolicy policy, WeightedReward reward, PolicyUpdate update, RlConfig cfg) {
        this.policy = policy;
        this.reward = reward;
        this.update = update;
        this.cfg = cfg;
    }

    /**
     * Runs the step on these tasks; returns the metrics it logs. Whatever the step allocates (image embeddings,
     * sampling batches, rewards' forward passes) belongs to the step's scope and goes back when it ends: on a GPU
     * nothing would return it otherwise.
     */
    public Map<String, Object> run(List<TaskItem> tasks, long step, long seed) {
        try (Scope scope = Scope.open()) {
            return runScoped(tasks, step, seed);
        }
    }

    private Map<String, Object> runScoped(List<TaskItem> tasks, long step, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        Tensor patches;
        try (Autograd.Mode off = Autograd.noGrad()) {
            patches = policy.patches(tasks);
        }
        List<Rollout> rollouts;
        try {
            rollouts = CaptionRollouts.sample(policy, tasks, patches, cfg.groupSize(), cfg.temperature(), seed);
        } catch (NonFiniteException e) {
            throw e.within(STAGE + " step " + step + ", sampling captions", e.row());
        }
        long t1 = System.nanoTime();
        double[][] terms;
        try {
            terms = reward.scoreTerms(rollouts, seed + 1);
        } catch (NonFiniteException e) {
            throw e.within(STAGE + " step " + step + ", rewarding " + caption(e.row()), e.row());   // the reader's logits
        }
        double[] total = reward.combine(terms);
        long t2 = System.nanoTime();
        Advantages.Selection sel = Advantages.select(total, cfg.groupSize(), cfg.stdNormalize(), cfg.dynamicSampling(), "caption", step);
        logRewards(m, total, terms, rollouts);
        m.put("response_length", CaptionRollouts.meanLength(rollouts));
        m.put("groups_kept", sel.kept().length / cfg.groupSize());
        m.put("groups_zero_variance", sel.zeroVariance());
        m.put("groups_nan", sel.nan());
        if (sel.kept().length > 0) {
            List<Rollout> kept = new ArrayList<>(sel.kept().length);
            for (int i : sel.kept()) kept.add(rollouts.get(i));
            PolicyUpdate.Stats s = update.apply(kept, sel.advantages(), patches, seed + 2);
            putStats(m, s, System.nanoTime() - t2);
            nonFinite.record(step, s.optimizerSteps(), s.skippedNonFinite(), s.nonFinite());
        }
        putTimes(m, rollouts, t0, t1, t2);
        return m;
    }

    /** "caption i" for a rollout's row, "captions" where the error names none. */
    static String caption(int row) {
        return row >= 0 ? "caption " + row : "captions";
    }

    /** reward = the weighted total; accuracy = the caption-utility term (the reader's mean correctness). */
    private void logRewards(Map<String, Object> m, double[] total, double[][] terms, List<Rollout> rollouts) {
        m.put("reward", mean(total));
        for (int t = 0; t < terms.length; t++) {
            Reward r = reward.terms().get(t).reward();
            String key = r instanceof CaptionUtilityReward ? "accuracy" : "reward_" + r.name();
            m.put(key, mean(terms[t]));
        }
    }

    /**
     * Where a step's time went: rollouts (sampling; t0 to t1, with the tokens they generated), rewards (t1 to t2)
     * and the whole step, so that the throughputs can be recomputed from the log.
     */
    static void putTimes(Map<String, Object> m, List<Rollout> rollouts, long t0, long t1, long t2) {
        long generated = 0;
        for (Rollout r : rollouts) generated += r.response().length;
        double rolloutSeconds = (t1 - t0) / 1e9;
        m.put("rollout_tokens", generated);
        m.put("rollout_seconds", rolloutSeconds);
        m.put("rollout_tokens_per_s", generated / rolloutSeconds);
        m.put("reward_seconds", (t2 - t1) / 1e9);
        m.put("step_seconds", (System.nanoTime() - t0) / 1e9);
    }

    /** The update's statistics, and its throughput over {@code nanos}. */
    static void putStats(Map<String, Object> m, PolicyUpdate.Stats s, long nanos) {
        m.put("loss", s.loss());
        m.put("kl", s.kl());
        m.put("entropy", s.entropy());
        m.put("clip_fraction", s.clipFraction());
        m.put("ratio", s.ratio());
        m.put("grad_norm", s.gradNorm());
        m.put("optimizer_steps", s.optimizerSteps());
        m.put("skipped_nonfinite", s.skippedNonFinite());
        m.put("train_tokens", s.tokens());
        m.put("train_seconds", nanos / 1e9);
        m.put("train_tokens_per_s", s.tokens() / (nanos / 1e9));
    }

    static double mean(double[] x) {
        double s = 0;
        int n = 0;
        for (double v : x) {
            if (Double.isFinite(v)) {
                s += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }
}

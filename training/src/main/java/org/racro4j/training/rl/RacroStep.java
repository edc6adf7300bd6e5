package org.racro4j.training.rl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Tensor;
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
public final class RacroStep extends PolicyStep {
    private final WeightedReward reward;

    public RacroStep(CaptionPolicy policy, WeightedReward reward, PolicyUpdate update, RlConfig cfg) {
        super(policy, update, cfg);
        this.reward = reward;
    }

    @Override
    public String name() {
        return "racro";
    }

    @Override
    protected Map<String, Object> step(List<TaskItem> tasks, Tensor patches, long t0, long step, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
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
            throw e.within(STAGE + " step " + step + ", rewarding " + RlAlgorithm.caption(e.row()), e.row());   // the reasoner's logits
        }
        double[] total = reward.combine(terms);
        long t2 = System.nanoTime();
        Advantages.Selection sel = Advantages.select(total, cfg.groupSize(), cfg.stdNormalize(), cfg.dynamicSampling(), "caption", step);
        logRewards(m, total, terms, rollouts);
        m.put("response_length", StepMetrics.meanLength(rollouts));
        StepMetrics.putGroups(m, sel, cfg.groupSize());
        update(m, select(rollouts, sel.kept()), sel.advantages(), patches, step, seed + 2, t2);
        StepMetrics.putTimes(m, rollouts, t0, t1, t2);
        return m;
    }

    /** reward = the weighted total; accuracy = the caption-utility term (the reasoner's mean correctness). */
    private void logRewards(Map<String, Object> m, double[] total, double[][] terms, List<Rollout> rollouts) {
        m.put("reward", StepMetrics.mean(total));
        for (int t = 0; t < terms.length; t++) {
            Reward r = reward.terms().get(t).reward();
            String key = r instanceof CaptionUtilityReward ? "accuracy" : "reward_" + r.name();
            m.put(key, StepMetrics.mean(terms[t]));
        }
    }
}

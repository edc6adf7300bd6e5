package org.racro4j.training.reward;

import java.util.List;

import org.racro4j.training.roles.Rollout;
import org.racro4j.training.study.PerceptionScore;
import org.racro4j.training.text.Explained;

/**
 * The mixture design's description term: the perception score of the evidence a Thinker or Describer writes before
 * its answer ({@link PerceptionScore}: the share of the question's needed facts it states, minus the share of its
 * sentences that are not facts of the image), in [-1, 1]. 0 where the item has no needed facts to score against, and
 * for rollouts of roles that write no evidence.
 */
public final class DescriptionScoreReward implements Reward {
    @Override
    public String name() {
        return "description";
    }

    @Override
    public double[] score(List<Rollout> rollouts, long seed) {
        double[] out = new double[rollouts.size()];
        for (int i = 0; i < out.length; i++) {
            Rollout r = rollouts.get(i);
            if (!r.role().explains()) continue;
            double s = PerceptionScore.of(r.task(), Explained.parse(r.text()).evidence()).score();
            out[i] = Double.isFinite(s) ? s : 0;
        }
        return out;
    }
}

package org.racro4j.training.reward;

import java.util.List;

import org.racro4j.training.roles.Rollout;

/** 1 when a Solver rollout's answer is correct (verifiable outcome), else 0. */
public final class AnswerAccuracyReward implements Reward {
    @Override
    public String name() {
        return "accuracy";
    }

    @Override
    public double[] score(List<Rollout> rollouts, long seed) {
        double[] out = new double[rollouts.size()];
        for (int i = 0; i < out.length; i++) {
            Rollout r = rollouts.get(i);
            out[i] = CaptionUtilityReward.isCorrect(r.task(), r.text()) ? 1 : 0;
        }
        return out;
    }
}

package org.racro4j.training.reward;

import java.util.List;

import org.racro4j.training.roles.Rollout;
import org.racro4j.training.text.Explained;

/**
 * 1 when a rollout's answer is correct (verifiable outcome), else 0. The answer is the whole response of a Solver,
 * Answerer or Reader, and the words after the answer marker of a Thinker's or Describer's ({@link Explained}).
 */
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
            out[i] = CaptionUtilityReward.isCorrect(r.task(), answer(r)) ? 1 : 0;
        }
        return out;
    }

    /** The answer a rollout gives (see the class comment). */
    public static String answer(Rollout r) {
        return r.role().explains() ? Explained.parse(r.text()).answer() : r.text();
    }
}

package org.racro4j.training.reward;

import java.util.List;
import java.util.regex.Pattern;

import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;

/**
 * −1 when a caption states an answer instead of describing the image: it contains an answer marker (the word
 * "answer" in any case, as in "the answer is 3" or "Answer: 3", or "\boxed"), which would let the reasoner copy
 * rather than reason. 0 otherwise (and for Solver rollouts, whose job is to answer). Used with a positive weight,
 * it subtracts.
 */
public final class LeakagePenalty implements Reward {
    private static final Pattern MARKER = Pattern.compile("(?i)\\banswer\\b|\\\\boxed");

    @Override
    public String name() {
        return "leakage";
    }

    @Override
    public double[] score(List<Rollout> rollouts, long seed) {
        double[] out = new double[rollouts.size()];
        for (int i = 0; i < out.length; i++) {
            Rollout r = rollouts.get(i);
            out[i] = r.role() == Role.CAPTIONER && leaks(r.text()) ? -1 : 0;
        }
        return out;
    }

    public static boolean leaks(String caption) {
        return MARKER.matcher(caption).find();
    }
}

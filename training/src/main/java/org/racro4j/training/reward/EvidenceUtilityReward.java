package org.racro4j.training.reward;

import java.util.ArrayList;
import java.util.List;

import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.text.Explained;

/**
 * The reward study's own design, "evidence utility": would a frozen text reader, given only the evidence a Thinker or
 * Describer wrote before its answer, answer the question correctly? The probability that it does (RACRO's expected
 * caption reward, {@link CaptionUtilityReward}, applied to the evidence part of the response). Added to the answer's
 * accuracy it pays for a right answer and separately for evidence that suffices for it, so a lucky guess after wrong
 * evidence earns less than a right answer after the facts the question needs; and unlike the facts count, it asks only
 * for the facts this question needs. 0 for rollouts of roles that write no evidence.
 */
public final class EvidenceUtilityReward implements Reward {
    private final CaptionUtilityReward utility;

    /** @param reader the frozen text reader (expected correctness) */
    public EvidenceUtilityReward(AnswerSource reader) {
        this.utility = new CaptionUtilityReward(reader, 1, 0f, true);
    }

    @Override
    public String name() {
        return "evidence_utility";
    }

    @Override
    public double[] score(List<Rollout> rollouts, long seed) {
        List<Rollout> evidence = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < rollouts.size(); i++) {
            Rollout r = rollouts.get(i);
            if (!r.role().explains()) continue;
            evidence.add(new Rollout(r.task(), r.role(), r.image(), r.context(), r.response(), Explained.parse(r.text()).evidence(), r.stopped(),
                    null));
            at.add(i);
        }
        double[] out = new double[rollouts.size()];
        if (evidence.isEmpty()) return out;
        double[] p = utility.score(evidence, seed);
        for (int j = 0; j < p.length; j++) out[at.get(j)] = p[j];
        return out;
    }
}

package org.racro4j.training.reward;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.study.PerceptionScore;
import org.racro4j.training.text.Explained;

/**
 * The perception-verified design's term: +1 for each of the image's gold facts the evidence states, −1 for each
 * sentence it states that is not one of them (an invented fact; an unfinished last sentence is one), counted once each
 * however often repeated. Unlike the
 * mixture design's score it is a count, not a share, and it counts every fact of the image, not only the ones the
 * question needs: it rewards seeing the whole scene correctly. Evidence is what a Thinker or Describer writes before
 * its answer ({@link Explained}), a caption's whole text; 0 for items without facts and for answers alone.
 */
public final class FactCountReward implements Reward {
    @Override
    public String name() {
        return "facts";
    }

    @Override
    public double[] score(List<Rollout> rollouts, long seed) {
        double[] out = new double[rollouts.size()];
        for (int i = 0; i < out.length; i++) {
            Rollout r = rollouts.get(i);
            if (r.task().facts().isEmpty()) continue;
            if (r.role().explains()) out[i] = verified(r.task().facts(), Explained.parse(r.text()).evidence());
            else if (r.role() == Role.CAPTIONER) out[i] = verified(r.task().facts(), r.text());
        }
        return out;
    }

    /** Gold facts stated minus distinct sentences that are none of them. */
    static double verified(List<String> facts, String evidence) {
        Set<String> gold = new HashSet<>(facts);
        Set<String> said = new LinkedHashSet<>(PerceptionScore.sentences(evidence));
        int stated = 0;
        int invented = 0;
        for (String sentence : said) {
            if (gold.contains(sentence)) stated++;
            else invented++;
        }
        return stated - invented;
    }
}

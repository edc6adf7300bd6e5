package org.racro4j.training.reward;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.racro4j.training.roles.Rollout;

/** Σ weight_i · reward_i: how reward designs are combined (e.g. accuracy + 0.2 format, minus leakage). */
public final class WeightedReward implements Reward {
    public record Term(double weight, Reward reward) {}

    private final List<Term> terms;

    public WeightedReward(List<Term> terms) {
        if (terms.isEmpty()) throw new IllegalArgumentException("a weighted reward needs at least one term");
        this.terms = List.copyOf(terms);
    }

    public List<Term> terms() {
        return terms;
    }

    @Override
    public String name() {
        List<String> parts = new ArrayList<>();
        for (Term t : terms) parts.add(String.format(Locale.ROOT, "%g*%s", t.weight(), t.reward().name()));
        return String.join(" + ", parts);
    }

    @Override
    public double[] score(List<Rollout> rollouts, long seed) {
        return combine(scoreTerms(rollouts, seed));
    }

    /** Σ weight_t · values[t][i] for each rollout i, from the unweighted term values {@link #scoreTerms} gives. */
    public double[] combine(double[][] values) {
        double[] total = new double[values[0].length];
        for (int t = 0; t < terms.size(); t++) {
            for (int i = 0; i < total.length; i++) total[i] += terms.get(t).weight() * values[t][i];
        }
        return total;
    }

    /** Each term's unweighted values, [term][rollout]; terms of weight 0 are not computed (all 0). */
    public double[][] scoreTerms(List<Rollout> rollouts, long seed) {
        double[][] per = new double[terms.size()][];
        for (int t = 0; t < terms.size(); t++) {
            Term term = terms.get(t);
            if (term.weight() == 0) {
                per[t] = new double[rollouts.size()];
                continue;
            }
            per[t] = term.reward().score(rollouts, seed + 7919L * t);
            if (per[t].length != rollouts.size()) {
                throw new IllegalStateException("reward " + term.reward().name() + " returned " + per[t].length + " values for "
                        + rollouts.size() + " rollouts");
            }
        }
        return per;
    }
}

package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.racro4j.core.optim.AdamW;
import org.racro4j.training.reward.Reward;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Rollout;

/**
 * What the step tests share: group-relative advantages computed the plain way, and the comparison of a policy a
 * step trained with its twin that the test trained on the rollouts and advantages it worked out itself.
 */
final class StepReference {
    private StepReference() {}

    /** Rollouts to train on and their advantages, as the test assembled them. */
    static final class Batch {
        final List<Rollout> rollouts = new ArrayList<>();
        final List<Double> advantages = new ArrayList<>();
        int groupsKept;
        int zeroVariance;
        int nan;

        /**
         * Adds the groups of {@code size} consecutive rollouts, each reward minus its group's mean (divided by the
         * group's sample standard deviation + 1e-6 when {@code std}); groups holding a NaN reward are left out, and so
         * are groups whose rewards are all equal when {@code dropEqual}.
         */
        void addGroups(List<Rollout> all, double[] rewards, int size, boolean std, boolean dropEqual) {
            for (int g = 0; g < rewards.length / size; g++) {
                double mean = 0;
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                boolean finite = true;
                for (int i = g * size; i < (g + 1) * size; i++) {
                    mean += rewards[i] / size;
                    min = Math.min(min, rewards[i]);
                    max = Math.max(max, rewards[i]);
                    finite &= Double.isFinite(rewards[i]);
                }
                if (!finite) {
                    nan++;
                    continue;
                }
                if (min == max && dropEqual) {
                    zeroVariance++;
                    continue;
                }
                double var = 0;
                for (int i = g * size; i < (g + 1) * size; i++) var += (rewards[i] - mean) * (rewards[i] - mean) / (size - 1);
                double scale = std ? 1 / (Math.sqrt(var) + 1e-6) : 1;
                for (int i = g * size; i < (g + 1) * size; i++) {
                    rollouts.add(all.get(i));
                    advantages.add((rewards[i] - mean) * scale);
                }
                groupsKept++;
            }
        }

        double[] advantageArray() {
            return advantages.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** A reward that differs between rollouts with different texts (the text's hash mod 8), so that groups have variance. */
    static final Reward TEXT_HASH = new Reward() {
        @Override
        public String name() {
            return "text_hash";
        }

        @Override
        public double[] score(List<Rollout> rollouts, long seed) {
            double[] out = new double[rollouts.size()];
            for (int i = 0; i < out.length; i++) out[i] = textHash(rollouts.get(i));
            return out;
        }
    };

    static double textHash(Rollout r) {
        return r.text().hashCode() & 7;
    }

    static AdamW optimizer(CaptionPolicy p, RlConfig cfg) {
        return AdamW.forTransformer(p.model().parameters(), (float) cfg.lr(), (float) cfg.weightDecay(), 0.9f, 0.99f, 1e-8f);
    }

    /** The mean of the finite values (a NaN reward is left out of the logged means). */
    static double mean(double[] x) {
        double s = 0;
        int n = 0;
        for (double v : x) {
            if (Double.isFinite(v)) {
                s += v;
                n++;
            }
        }
        return s / n;
    }

    static double meanLength(List<Rollout> rollouts) {
        double s = 0;
        for (Rollout r : rollouts) s += r.response().length;
        return s / rollouts.size();
    }

    /** The step's policy ends where its twin, trained by the test on the test's batch, ends; and both moved. */
    static void assertSameWeights(CaptionPolicy stepped, CaptionPolicy twin, CaptionPolicy untouched) {
        double[][] a = TinyPolicy.parameters(stepped);
        double[][] b = TinyPolicy.parameters(twin);
        double[][] c = TinyPolicy.parameters(untouched);
        double moved = 0;
        double worst = 0;
        for (int p = 0; p < a.length; p++) {
            for (int j = 0; j < a[p].length; j++) {
                moved = Math.max(moved, Math.abs(b[p][j] - c[p][j]));
                worst = Math.max(worst, Math.abs(a[p][j] - b[p][j]));
            }
        }
        assertTrue(moved > 1e-4, "the reference update moved the weights: " + moved);
        assertTrue(worst <= 1e-5 * Math.max(1, moved), "weights differ from the reference step's by " + worst + " (largest move " + moved + ")");
    }

    static void assertMetric(Map<String, Object> m, String key, double want) {
        assertTrue(m.containsKey(key), "metric " + key + " in " + m.keySet());
        assertEquals(want, ((Number) m.get(key)).doubleValue(), 1e-9 + 1e-6 * Math.abs(want), key);
    }

    /**
     * The step's clock: the tokens it generated and trained on are the test's counts, each throughput is its tokens
     * over its seconds, the parts of the step fit inside the whole, and the whole inside the wall-clock time the test
     * measured around the step.
     */
    static void assertTimes(Map<String, Object> m, List<Rollout> generated, long trainTokens, double wallSeconds) {
        long tokens = 0;
        for (Rollout r : generated) tokens += r.response().length;
        assertMetric(m, "rollout_tokens", tokens);
        assertMetric(m, "train_tokens", trainTokens);
        double rollout = ((Number) m.get("rollout_seconds")).doubleValue();
        double reward = ((Number) m.get("reward_seconds")).doubleValue();
        double train = ((Number) m.get("train_seconds")).doubleValue();
        double step = ((Number) m.get("step_seconds")).doubleValue();
        assertTrue(rollout > 0 && reward >= 0 && train > 0, "positive times: " + m);
        assertTrue(rollout + reward + train <= step, "rollouts, rewards and update fit in the step: " + m);
        assertTrue(step <= wallSeconds, "the step took " + step + " s of the " + wallSeconds + " s the test measured");
        assertMetric(m, "rollout_tokens_per_s", tokens / rollout);
        assertMetric(m, "train_tokens_per_s", trainTokens / train);
    }
}

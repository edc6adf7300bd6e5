package org.racro4j.training.rl;

import java.util.List;
import java.util.Map;

import org.racro4j.training.roles.Rollout;

/** The metrics every RL step logs, computed the same way for every {@link RlAlgorithm}. */
final class StepMetrics {
    private StepMetrics() {}

    /** What an advantage selection kept and dropped, for groups of {@code groupSize}. */
    static void putGroups(Map<String, Object> m, Advantages.Selection s, int groupSize) {
        m.put("groups_kept", s.kept().length / groupSize);
        m.put("groups_zero_variance", s.zeroVariance());
        m.put("groups_nan", s.nan());
    }

    static double meanLength(List<Rollout> rollouts) {
        double s = 0;
        for (Rollout r : rollouts) s += r.response().length;
        return rollouts.isEmpty() ? 0 : s / rollouts.size();
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

    /** The mean of the finite values (NaN when none is). */
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

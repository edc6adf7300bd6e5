package org.racro4j.training.rl;

import java.util.List;
import java.util.Map;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.training.pipeline.NonFiniteSteps;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * What every algorithm's step shares: it runs in its own memory scope (on a GPU nothing else would return what a
 * step allocates: image embeddings, sampling batches, rewards' forward passes), starts from the tasks' images, and
 * ends with one policy update on the rollouts its advantages kept, counted by the stage's non-finite guard.
 */
abstract class PolicyStep implements RlAlgorithm {
    protected final CaptionPolicy policy;
    protected final PolicyUpdate update;
    protected final RlConfig cfg;
    private final NonFiniteSteps nonFinite = new NonFiniteSteps(STAGE);

    PolicyStep(CaptionPolicy policy, PolicyUpdate update, RlConfig cfg) {
        this.policy = policy;
        this.update = update;
        this.cfg = cfg;
    }

    @Override
    public final Map<String, Object> run(List<TaskItem> tasks, long step, long seed) {
        try (Scope scope = Scope.open()) {
            long t0 = System.nanoTime();
            Tensor patches;
            try (Autograd.Mode off = Autograd.noGrad()) {
                patches = policy.patches(tasks);
            }
            return step(tasks, patches, t0, step, seed);
        }
    }

    /**
     * The algorithm's step, in the scope {@link #run} opened.
     *
     * @param patches the tasks' images [N, P, F], one row per task
     * @param t0      when the step started (System.nanoTime), for its times
     */
    protected abstract Map<String, Object> step(List<TaskItem> tasks, Tensor patches, long t0, long step, long seed);

    /**
     * One policy update on these rollouts and advantages, unless there are none; its statistics go into {@code m}, its
     * throughput counted from {@code t2}.
     */
    protected void update(Map<String, Object> m, List<Rollout> rollouts, double[] advantages, Tensor patches, long step, long seed, long t2) {
        if (rollouts.isEmpty()) return;
        PolicyUpdate.Stats s = update.apply(rollouts, advantages, patches, seed);
        StepMetrics.putStats(m, s, System.nanoTime() - t2);
        nonFinite.record(step, s.optimizerSteps(), s.skippedNonFinite(), s.nonFinite());
    }

    /** The rollouts at {@code indices}, in that order. */
    static List<Rollout> select(List<Rollout> rollouts, int[] indices) {
        List<Rollout> out = new java.util.ArrayList<>(indices.length);
        for (int i : indices) out.add(rollouts.get(i));
        return out;
    }
}

package org.racro4j.training.rl;

import java.util.List;
import java.util.Map;

import org.racro4j.training.tasks.TaskItem;

/**
 * One RL algorithm's step over a batch of tasks: sample its rollouts, reward them, compute advantages and update
 * the policy once ({@link PolicyUpdate}). RACRO ({@link RacroStep}), PRCO ({@link PrcoStep}) and outcome-only
 * GRPO ({@link OutcomeStep}) differ only here; the stage around them (schedule, batches, checkpoints) is shared.
 *
 * <p>Every step logs the metrics of {@link StepMetrics}: reward, accuracy (the algorithm's measure of being right),
 * response_length, groups_kept, groups_zero_variance, groups_nan, the update's statistics and the step's times.
 */
public interface RlAlgorithm {
    /** The name of the stage that runs RL steps, for messages. */
    String STAGE = "rl";

    /** "caption i" for a rollout's row, "captions" where an error names none. */
    static String caption(int row) {
        return row >= 0 ? "caption " + row : "captions";
    }

    /** The value of rl.algorithm that selects it. */
    String name();

    /**
     * Runs one step on these tasks; returns the metrics it logs. Whatever the step allocates belongs to its own
     * scope and goes back when it ends (on a GPU nothing would return it otherwise).
     */
    Map<String, Object> run(List<TaskItem> tasks, long step, long seed);
}

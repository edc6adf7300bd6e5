package org.racro4j.training.pipeline;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.racro4j.core.NonFiniteException;

/**
 * What a training stage does with a non-finite loss or gradient norm: the optimizer step is skipped (the weights and
 * AdamW's moments and step counts stay as they were; an update with a NaN gradient would make every weight NaN), the
 * skip is counted in the step's metrics and logged, and a stage whose steps keep being skipped stops with a
 * {@link NonFiniteException} naming the stage and step. The stage runner saves no checkpoint for the failing step, so
 * the checkpoints written before it stay; the skipped steps did not change the weights, so those hold the weights of
 * the last good step.
 *
 * <p>One per stage: it counts the steps skipped in a row.
 */
public final class NonFiniteSteps {
    private static final Logger LOG = LoggerFactory.getLogger(NonFiniteSteps.class);

    /**
     * Consecutive fully skipped steps after which the stage stops. One bad batch can happen (an overflow on an unusual
     * input) and skipping it loses little; five in a row means the model or its inputs are broken (NaN weights, a
     * learning rate that blew the model up), and going on would only spend time and write checkpoints of a model that
     * no longer learns.
     */
    public static final int MAX_CONSECUTIVE = 5;

    private final String stage;
    private int consecutive;

    /** @param stage the stage's name, as its messages and the metrics log call it */
    public NonFiniteSteps(String stage) {
        this.stage = stage;
    }

    /** Whether an optimizer step may be taken after this loss and gradient norm (both finite). */
    public static boolean finite(double loss, double gradNorm) {
        return Double.isFinite(loss) && Double.isFinite(gradNorm);
    }

    /** The steps skipped in a row so far. */
    public int consecutive() {
        return consecutive;
    }

    /**
     * Records what a step did: {@code taken} optimizer steps and {@code skipped} skipped ones (a step may hold several
     * minibatches); {@code detail} says what was non-finite in the last skipped one. A step that skipped anything is
     * logged; one that took no optimizer step and skipped at least one counts towards {@link #MAX_CONSECUTIVE}, one
     * that took any resets the count, and one that had nothing to train on leaves it.
     *
     * @throws NonFiniteException when this step is the MAX_CONSECUTIVE-th fully skipped one in a row
     */
    public void record(long step, int taken, int skipped, String detail) {
        if (skipped == 0) {
            if (taken > 0) consecutive = 0;
            return;
        }
        if (taken > 0) {
            consecutive = 0;
            LOG.warn("{} step {}: {} of {} updates skipped because {}; they left the weights and optimizer state as they were",
                    stage, step, skipped, skipped + taken, detail);
            return;
        }
        consecutive++;
        if (consecutive >= MAX_CONSECUTIVE) {
            throw new NonFiniteException(stage + " step " + step + ": stopped after " + consecutive + " steps in a row whose every "
                    + "update was skipped because the loss or gradient norm was not finite (last: " + detail + "); the checkpoints "
                    + "written before are kept and hold the weights of the last good step; check the learning rate and look for "
                    + "NaN or infinite weights or inputs");
        }
        LOG.warn("{} step {}: every update skipped ({} of {}) because {}; the weights and optimizer state are as they were ({} such "
                + "step(s) in a row; the stage stops at {})", stage, step, skipped, skipped, detail, consecutive, MAX_CONSECUTIVE);
    }
}

package org.racro4j.training.rl;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.racro4j.core.NonFiniteException;

/**
 * From a step's rewards to the rollouts that are trained on: groups with a NaN reward are skipped (counted and
 * logged — a broken reward must not silently steer training), zero-variance groups are dropped when dynamic
 * sampling is on, and the rest get group-relative advantages.
 */
public final class Advantages {
    private static final Logger LOG = LoggerFactory.getLogger(Advantages.class);

    private Advantages() {}

    /** Indices of the rollouts kept, their advantages, and how many groups were dropped and why. */
    public record Selection(int[] kept, double[] advantages, int groups, int zeroVariance, int nan) {}

    public static Selection select(double[] rewards, int groupSize, boolean stdNormalize, boolean dynamicSampling, String what, long step) {
        int groups = rewards.length / groupSize;
        List<Integer> keep = new ArrayList<>();
        int zero = 0;
        int nan = 0;
        for (int g = 0; g < groups; g++) {
            boolean bad = false;
            for (int i = 0; i < groupSize; i++) bad |= !Double.isFinite(rewards[g * groupSize + i]);
            if (bad) {
                nan++;
                continue;
            }
            if (dynamicSampling && GroupAdvantage.isDegenerate(rewards, groupSize, g)) {
                zero++;
                continue;
            }
            keep.add(g);
        }
        if (nan > 0) {
            LOG.warn("step {}: {} of {} {} groups skipped because their reward is NaN or infinite", step, nan, groups, what);
            if (nan == groups) {
                // NonFiniteException: the command line reports it as one line (an IllegalStateException printed a stack trace)
                throw new NonFiniteException(RlAlgorithm.STAGE + " step " + step + ": every " + what + " reward is NaN or infinite; stopping rather "
                        + "than training on nothing (check the reward configuration)");
            }
        }
        double[] groupRewards = new double[keep.size() * groupSize];
        int[] kept = new int[keep.size() * groupSize];
        for (int k = 0; k < keep.size(); k++) {
            for (int i = 0; i < groupSize; i++) {
                kept[k * groupSize + i] = keep.get(k) * groupSize + i;
                groupRewards[k * groupSize + i] = rewards[keep.get(k) * groupSize + i];
            }
        }
        return new Selection(kept, GroupAdvantage.compute(groupRewards, groupSize, stdNormalize), groups, zero, nan);
    }
}

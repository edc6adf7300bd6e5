package org.racro4j.training.rl;

/**
 * Group-relative advantages (GRPO): the G rollouts of one prompt are compared with each other, so no value
 * network is needed. A_i = r_i - mean(group), divided by std(group) + eps when {@code normalizeStd} (GRPO,
 * Shao et al. 2024) and left unscaled when not (Dr. GRPO, Liu et al. 2025, which removes that bias). std is
 * the sample standard deviation (n - 1 in the denominator), as in DeepSeekMath's and verl's implementations.
 */
public final class GroupAdvantage {
    public static final double EPS = 1e-6;

    private GroupAdvantage() {}

    /** rewards laid out group after group (groupSize consecutive entries per prompt). */
    public static double[] compute(double[] rewards, int groupSize, boolean normalizeStd) {
        if (groupSize < 1 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException("advantages: " + rewards.length + " rewards do not split into groups of " + groupSize);
        }
        double[] adv = new double[rewards.length];
        for (int g = 0; g < rewards.length; g += groupSize) {
            double mean = 0;
            for (int i = 0; i < groupSize; i++) mean += rewards[g + i];
            mean /= groupSize;
            double scale = 1;
            if (normalizeStd) {
                double ss = 0;
                for (int i = 0; i < groupSize; i++) ss += (rewards[g + i] - mean) * (rewards[g + i] - mean);
                double std = groupSize > 1 ? Math.sqrt(ss / (groupSize - 1)) : 0;
                scale = 1 / (std + EPS);
            }
            for (int i = 0; i < groupSize; i++) adv[g + i] = (rewards[g + i] - mean) * scale;
        }
        return adv;
    }

    /** Whether every rollout of group g got the same reward: such a group teaches nothing (advantages all 0). */
    public static boolean isDegenerate(double[] rewards, int groupSize, int g) {
        for (int i = 1; i < groupSize; i++) {
            if (rewards[g * groupSize + i] != rewards[g * groupSize]) return false;
        }
        return true;
    }
}

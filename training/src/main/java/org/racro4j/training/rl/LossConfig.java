package org.racro4j.training.rl;

/**
 * The clipped policy-gradient objective's knobs: PPO clip range [1 - clipLow, 1 + clipHigh] (DAPO's "clip
 * higher" when clipHigh &gt; clipLow), how per-token terms are averaged, and the KL penalty to the frozen
 * reference (estimator and coefficient; coefficient 0 disables it).
 */
public record LossConfig(double clipLow, double clipHigh, Aggregation aggregation, KlEstimator kl, double klCoef) {
    public LossConfig {
        if (!(clipLow >= 0 && clipLow < 1 && clipHigh >= 0 && clipHigh < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("clip range must satisfy 0 <= clip_low < 1 and 0 <= clip_high < infinity, got " + clipLow + ", " + clipHigh);
        }
        if (!(klCoef >= 0 && klCoef < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("kl_coef must be >= 0 (and finite), got " + klCoef);
    }

    /** RACRO's published setting: clip 0.2, token-mean, k3 KL with coefficient 0.001. */
    public static LossConfig racro() {
        return new LossConfig(0.2, 0.2, Aggregation.TOKEN_MEAN, KlEstimator.K3, 0.001);
    }

    public enum Aggregation {
        /** Every response token of the batch weighs the same: sum over tokens / number of tokens (DAPO, RACRO). */
        TOKEN_MEAN,
        /** Each response weighs the same: mean over responses of its own token mean (original GRPO). */
        SEQUENCE_MEAN,
        /** Dr. GRPO: sum over tokens / (responses × a constant max length), free of the length bias. */
        TOKEN_SUM_NORM
    }

    public enum KlEstimator {
        /** log π − log π_ref (unbiased, can be negative). */
        K1,
        /** exp(log π_ref − log π) − (log π_ref − log π) − 1 (unbiased, always ≥ 0; Schulman's k3). */
        K3
    }
}

package org.racro4j.training.rl;

import org.racro4j.models.generation.SamplingConfig;

/**
 * The knobs of a GRPO run (RACRO, PRCO or outcome-only). Published RACRO setting for 7B models: group size 4, lr 1e-6, k3 KL
 * 0.001, clip 0.2, token-mean; tiny models trained from scratch need a larger learning rate.
 *
 * @param promptsPerStep   tasks per step; each gets {@code groupSize} captions
 * @param innerEpochs      passes over a step's rollouts
 * @param minibatch        rollouts per optimizer step within a pass
 * @param stdNormalize     GRPO (true) or Dr. GRPO (false) advantages
 * @param dynamicSampling  drop groups whose rewards are all equal (DAPO)
 * @param readerSamples    k: answers per caption (RACRO reasoner / PRCO Solver)
 * @param readerTemperature temperature of those answers (0 = greedy; then k should be 1)
 */
public record RlConfig(String algorithm, int steps, int promptsPerStep, int groupSize, float temperature, int maxCaptionTokens,
                       double lr, int warmupSteps, double weightDecay, int innerEpochs, int minibatch, LossConfig loss,
                       boolean stdNormalize, boolean dynamicSampling, double maxGradNorm, int readerSamples,
                       float readerTemperature) {
    /** The values of rl.algorithm, each one {@link RlAlgorithm}. */
    public static final java.util.List<String> ALGORITHMS = java.util.List.of("racro", "prco", "outcome_grpo");

    public RlConfig {
        if (!ALGORITHMS.contains(algorithm)) {
            throw new IllegalArgumentException("rl.algorithm must be one of " + String.join(", ", ALGORITHMS) + ", got " + algorithm);
        }
        positive("rl.steps", steps);
        positive("rl.prompts_per_step", promptsPerStep);
        if (groupSize < 2) throw new IllegalArgumentException("rl.group_size must be >= 2 (advantages compare rollouts), got " + groupSize);
        // the rule every sampling setting follows (racro4j generate's --temperature too), then RL's own: it samples
        SamplingConfig.checkTemperature("rl.temperature", temperature);
        if (temperature == 0) throw new IllegalArgumentException("rl.temperature must be > 0: RL samples its captions, got " + temperature);
        positive("rl.max_caption_tokens", maxCaptionTokens);
        if (!(lr > 0 && lr < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("rl.lr must be > 0 (and finite), got " + lr);
        if (warmupSteps < 0 || warmupSteps > steps) throw new IllegalArgumentException("rl.warmup_steps must be in [0, rl.steps], got " + warmupSteps);
        if (!(weightDecay >= 0 && weightDecay < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("rl.weight_decay must be >= 0 (and finite), got " + weightDecay);
        }
        positive("rl.inner_epochs", innerEpochs);
        positive("rl.minibatch", minibatch);
        if (!(maxGradNorm > 0)) throw new IllegalArgumentException("rl.max_grad_norm must be > 0, got " + maxGradNorm);
        positive("rl.reader_samples", readerSamples);
        SamplingConfig.checkTemperature("rl.reader_temperature", readerTemperature);
    }

    private static void positive(String key, int v) {
        if (v < 1) throw new IllegalArgumentException(key + " must be >= 1, got " + v);
    }
}

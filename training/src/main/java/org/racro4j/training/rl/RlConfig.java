package org.racro4j.training.rl;

import java.util.List;
import java.util.Map;

import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.training.roles.Role;

/**
 * The knobs of a GRPO run (RACRO, PRCO or outcome-only): the rl section of a run config as YAML binds it (see
 * defaults.yaml for every key, its default and its meaning), used by the RL code as it is. Checked whole here, once;
 * each message names the full key ("rl.lr must be ..."). Published RACRO setting for 7B models: group size 4, lr 1e-6,
 * k3 KL 0.001, clip 0.2, token-mean; tiny models trained from scratch need a larger learning rate.
 *
 * @param promptsPerStep    tasks per step; each gets {@code groupSize} rollouts
 * @param temperature       of the sampled captions (and of outcome-only GRPO's answers)
 * @param innerEpochs       passes over a step's rollouts
 * @param minibatch         rollouts per optimizer step within a pass
 * @param aggregation       how per-token terms are averaged: token_mean, sequence_mean or token_sum_norm ({@link #loss})
 * @param kl                the KL estimator: k1 or k3 ({@link #loss})
 * @param stdNormalize      GRPO (true) or Dr. GRPO (false) advantages
 * @param dynamicSampling   drop groups whose rewards are all equal (DAPO)
 * @param answerSamples     k: answers per caption, by whoever answers the captions (RACRO's reasoner, PRCO's Solver)
 * @param answerTemperature temperature of those answers (0 = greedy; then k should be 1)
 * @param reasonerReward    RACRO's caption reward: expected or sampled ({@link #expectedReasonerReward})
 * @param rewards           caption rewards and their weights, in the order they are summed
 * @param solverRewards     answer rewards (PRCO's Solver, outcome-only GRPO) and their weights
 * @param response          what outcome-only GRPO's policy writes from the image: answer (the answer alone), think or
 *                          describe (evidence, then the answer line: {@link org.racro4j.training.roles.Role#THINKER},
 *                          {@link org.racro4j.training.roles.Role#DESCRIBER})
 */
public record RlConfig(String algorithm, int steps, int promptsPerStep, int groupSize, float temperature, double lr, int warmupSteps,
                       double weightDecay, int innerEpochs, int minibatch, double clipLow, double clipHigh, String aggregation,
                       String kl, double klCoef, boolean stdNormalize, boolean dynamicSampling, double maxGradNorm, int answerSamples,
                       float answerTemperature, String reasonerReward, Map<String, Double> rewards, Map<String, Double> solverRewards,
                       String response) {
    /** The values of rl.algorithm, each one {@link RlAlgorithm}. */
    public static final List<String> ALGORITHMS = List.of("racro", "prco", "outcome_grpo");

    public RlConfig {
        expectedReward(reasonerReward);
        responseRole(response);
        LossConfig.Aggregation agg = aggregation(aggregation);
        LossConfig.KlEstimator estimator = klEstimator(kl);
        try {
            new LossConfig(clipLow, clipHigh, agg, estimator, klCoef);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rl." + e.getMessage(), e);   // LossConfig names its keys within rl
        }
        if (algorithm == null || !ALGORITHMS.contains(algorithm)) {
            throw new IllegalArgumentException("rl.algorithm must be one of " + String.join(", ", ALGORITHMS) + ", got " + algorithm);
        }
        positive("rl.steps", steps);
        positive("rl.prompts_per_step", promptsPerStep);
        if (groupSize < 2) throw new IllegalArgumentException("rl.group_size must be >= 2 (advantages compare rollouts), got " + groupSize);
        // the rule every sampling setting follows (racro4j generate's --temperature too), then RL's own: it samples
        SamplingConfig.checkTemperature("rl.temperature", temperature);
        if (temperature == 0) throw new IllegalArgumentException("rl.temperature must be > 0: RL samples its captions, got " + temperature);
        if (!(lr > 0 && lr < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("rl.lr must be > 0 (and finite), got " + lr);
        if (warmupSteps < 0 || warmupSteps > steps) throw new IllegalArgumentException("rl.warmup_steps must be in [0, rl.steps], got " + warmupSteps);
        if (!(weightDecay >= 0 && weightDecay < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("rl.weight_decay must be >= 0 (and finite), got " + weightDecay);
        }
        positive("rl.inner_epochs", innerEpochs);
        positive("rl.minibatch", minibatch);
        if (!(maxGradNorm > 0)) throw new IllegalArgumentException("rl.max_grad_norm must be > 0, got " + maxGradNorm);
        positive("rl.answer_samples", answerSamples);
        SamplingConfig.checkTemperature("rl.answer_temperature", answerTemperature);
        // a setting that would change nothing is a mistake to report, not to ignore
        if (responseRole(response) != Role.ANSWERER && !algorithm.equals("outcome_grpo")) {
            throw new IllegalArgumentException("rl.response " + response + " applies to rl.algorithm outcome_grpo only (got " + algorithm
                    + "); leave it at answer");
        }
        if (responseRole(response) == Role.ANSWERER && solverRewards != null) {
            for (String evidence : EVIDENCE_REWARDS) {
                if (solverRewards.getOrDefault(evidence, 0.0) != 0) {
                    throw new IllegalArgumentException("rl.solver_rewards." + evidence + " scores the evidence a response gives before its answer;"
                            + " it needs rl.algorithm outcome_grpo with rl.response think or describe");
                }
            }
        }
    }

    /** The answer rewards that score a response's evidence: zero for a response that is the answer alone. */
    public static final List<String> EVIDENCE_REWARDS = List.of("description", "facts", "evidence_utility");

    /** The clipped objective's settings: clip range, aggregation, KL estimator and coefficient. */
    public LossConfig loss() {
        return new LossConfig(clipLow, clipHigh, aggregation(aggregation), klEstimator(kl), klCoef);
    }

    /** RACRO's caption reward: the probability that the reasoner answers correctly (true), or k sampled answers' mean. */
    public boolean expectedReasonerReward() {
        return expectedReward(reasonerReward);
    }

    private static boolean expectedReward(String reasonerReward) {
        return switch (reasonerReward == null ? "" : reasonerReward) {
            case "expected" -> true;
            case "sampled" -> false;
            default -> throw new IllegalArgumentException("rl.reasoner_reward must be expected or sampled, got " + reasonerReward);
        };
    }

    /** The role outcome-only GRPO's rollouts play, from rl.response. */
    public Role responseRole() {
        return responseRole(response);
    }

    private static Role responseRole(String response) {
        return switch (response == null ? "" : response) {
            case "answer" -> Role.ANSWERER;
            case "think" -> Role.THINKER;
            case "describe" -> Role.DESCRIBER;
            default -> throw new IllegalArgumentException("rl.response must be answer, think or describe, got " + response);
        };
    }

    private static LossConfig.Aggregation aggregation(String name) {
        return switch (name == null ? "" : name) {
            case "token_mean" -> LossConfig.Aggregation.TOKEN_MEAN;
            case "sequence_mean" -> LossConfig.Aggregation.SEQUENCE_MEAN;
            case "token_sum_norm" -> LossConfig.Aggregation.TOKEN_SUM_NORM;
            default -> throw new IllegalArgumentException("rl.aggregation must be token_mean, sequence_mean or token_sum_norm, got " + name);
        };
    }

    private static LossConfig.KlEstimator klEstimator(String name) {
        return switch (name == null ? "" : name) {
            case "k1" -> LossConfig.KlEstimator.K1;
            case "k3" -> LossConfig.KlEstimator.K3;
            default -> throw new IllegalArgumentException("rl.kl must be k1 or k3, got " + name);
        };
    }

    private static void positive(String key, int v) {
        if (v < 1) throw new IllegalArgumentException(key + " must be >= 1, got " + v);
    }
}

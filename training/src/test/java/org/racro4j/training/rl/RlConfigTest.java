package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every limit of the RL and loss configuration on both sides: the last valid value is accepted and the first
 * invalid one is refused with a message that names the key and the value, so an impossible config stops the run
 * before it starts instead of training with a silently wrong setting.
 */
class RlConfigTest {
    static Stream<Arguments> limits() {
        return Stream.of(
                // key, last valid value, first invalid value
                Arguments.of("algorithm", "prco", "grpo"),
                Arguments.of("steps", 1, 0),
                Arguments.of("prompts_per_step", 1, 0),
                Arguments.of("group_size", 2, 1),
                Arguments.of("temperature", Float.MIN_VALUE, 0f),
                Arguments.of("temperature", 5f, Float.NaN),
                Arguments.of("temperature", Float.MAX_VALUE, Float.POSITIVE_INFINITY),
                Arguments.of("lr", Double.MIN_VALUE, 0.0),
                Arguments.of("lr", 1.0, Double.NaN),
                Arguments.of("lr", Double.MAX_VALUE, Double.POSITIVE_INFINITY),
                Arguments.of("weight_decay", 0.0, -Double.MIN_VALUE),
                Arguments.of("weight_decay", 0.1, Double.NaN),
                Arguments.of("weight_decay", Double.MAX_VALUE, Double.POSITIVE_INFINITY),
                Arguments.of("warmup_steps", 0, -1),
                Arguments.of("warmup_steps", 10, 11),
                Arguments.of("inner_epochs", 1, 0),
                Arguments.of("minibatch", 1, 0),
                Arguments.of("max_grad_norm", Double.MIN_VALUE, 0.0),
                Arguments.of("max_grad_norm", 1.0, Double.NaN),
                Arguments.of("answer_samples", 1, 0),
                Arguments.of("answer_temperature", 0f, -Float.MIN_VALUE),
                Arguments.of("answer_temperature", 2f, Float.NaN),
                Arguments.of("answer_temperature", Float.MAX_VALUE, Float.POSITIVE_INFINITY),
                Arguments.of("reasoner_reward", "sampled", "mean"),
                Arguments.of("response", "answer", "explain"),
                Arguments.of("aggregation", "token_sum_norm", "median"),
                Arguments.of("kl", "k1", "k2"),
                Arguments.of("kl_coef", 0.0, -Double.MIN_VALUE),
                Arguments.of("kl_coef", Double.MAX_VALUE, Double.POSITIVE_INFINITY));
    }

    @ParameterizedTest(name = "{0}: {1} accepted, {2} refused")
    @MethodSource("limits")
    void eachLimitAcceptsTheLastValidValueAndNamesTheKeyOfTheFirstInvalidOne(String key, Object valid, Object invalid) {
        RlConfig ok = assertDoesNotThrow(() -> RlConfigs.rl(key, valid));
        assertNotNull(ok);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RlConfigs.rl(key, invalid));
        String name = key.equals("algorithm") ? "rl.algorithm" : "rl." + key;
        assertTrue(e.getMessage().startsWith(name + " must"), e.getMessage());
        assertTrue(e.getMessage().endsWith(String.valueOf(invalid)), e.getMessage());
    }

    /** A response with evidence needs the algorithm that samples it; evidence rewards need a response with evidence. */
    @org.junit.jupiter.api.Test
    void responsesAndEvidenceRewardsGoTogether() {
        assertNotNull(RlConfigs.rl("algorithm", "outcome_grpo", "response", "describe", "solver_rewards", java.util.Map.of("accuracy", 1.0, "facts", 0.2)));
        IllegalArgumentException racro = assertThrows(IllegalArgumentException.class, () -> RlConfigs.rl("response", "think"));
        assertTrue(racro.getMessage().startsWith("rl.response think applies to rl.algorithm outcome_grpo only"), racro.getMessage());
        for (String evidence : RlConfig.EVIDENCE_REWARDS) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RlConfigs.rl("algorithm", "outcome_grpo", "solver_rewards", java.util.Map.of("accuracy", 1.0, evidence, 0.5)));
            assertTrue(e.getMessage().startsWith("rl.solver_rewards." + evidence + " scores the evidence"), e.getMessage());
        }
        // a weight of 0 switches a term off, and is no mistake
        assertNotNull(RlConfigs.rl("algorithm", "prco", "solver_rewards", java.util.Map.of("accuracy", 1.0, "facts", 0.0)));
    }

    static Stream<Arguments> lossLimits() {
        return Stream.of(
                // clip low, clip high, kl coef, valid?
                Arguments.of(0.0, 0.0, 0.0, true),
                Arguments.of(0.999, 5.0, 10.0, true),
                Arguments.of(-1e-9, 0.2, 0.0, false),
                Arguments.of(1.0, 0.2, 0.0, false),
                Arguments.of(0.2, -1e-9, 0.0, false),
                Arguments.of(0.2, 0.2, -1e-9, false),
                Arguments.of(Double.NaN, 0.2, 0.0, false),
                Arguments.of(0.2, Double.POSITIVE_INFINITY, 0.0, false),
                Arguments.of(0.2, 0.2, Double.NaN, false),
                Arguments.of(0.2, 0.2, Double.POSITIVE_INFINITY, false),
                Arguments.of(0.2, Double.MAX_VALUE, Double.MAX_VALUE, true));
    }

    @ParameterizedTest(name = "clip [{0}, {1}], kl {2}: valid {3}")
    @MethodSource("lossLimits")
    void lossConfigLimits(double clipLow, double clipHigh, double klCoef, boolean valid) {
        if (valid) {
            LossConfig c = new LossConfig(clipLow, clipHigh, LossConfig.Aggregation.TOKEN_MEAN, LossConfig.KlEstimator.K1, klCoef);
            assertEquals(clipLow, c.clipLow());
            return;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LossConfig(clipLow, clipHigh, LossConfig.Aggregation.TOKEN_MEAN, LossConfig.KlEstimator.K1, klCoef));
        String what = !(klCoef >= 0 && klCoef < Double.POSITIVE_INFINITY) ? "kl_coef must be >= 0" : "clip range must satisfy";
        assertTrue(e.getMessage().startsWith(what), e.getMessage());
    }

    /** RACRO's published loss: clip 0.2 both sides, token-mean, k3 KL with coefficient 0.001. */
    @Test
    void racroLossIsThePublishedSetting() {
        assertEquals(new LossConfig(0.2, 0.2, LossConfig.Aggregation.TOKEN_MEAN, LossConfig.KlEstimator.K3, 0.001), LossConfig.racro());
    }

    /** The strings of the config become the loss's and the reward's settings, each value to its own meaning. */
    @Test
    void namedSettingsBecomeWhatTheyName() {
        assertEquals(LossConfig.KlEstimator.K1, RlConfigs.rl("kl", "k1").loss().kl());
        assertEquals(LossConfig.KlEstimator.K3, RlConfigs.rl("kl", "k3").loss().kl());
        assertEquals(LossConfig.Aggregation.SEQUENCE_MEAN, RlConfigs.rl("aggregation", "sequence_mean").loss().aggregation());
        assertEquals(LossConfig.Aggregation.TOKEN_SUM_NORM, RlConfigs.rl("aggregation", "token_sum_norm").loss().aggregation());
        assertEquals(LossConfig.Aggregation.TOKEN_MEAN, RlConfigs.rl("aggregation", "token_mean").loss().aggregation());
        assertTrue(RlConfigs.rl("reasoner_reward", "expected").expectedReasonerReward());
        assertFalse(RlConfigs.rl("reasoner_reward", "sampled").expectedReasonerReward());
    }

    /** Each algorithm answers to the rl.algorithm value that selects it. */
    @Test
    void eachAlgorithmIsNamedByItsConfigValue() {
        org.racro4j.training.roles.CaptionPolicy p = TinyPolicy.create(3);
        RlConfig cfg = RlConfigs.rl();
        PolicyUpdate update = new PolicyUpdate(p, p, StepReference.optimizer(p, cfg), cfg);
        org.racro4j.training.reward.WeightedReward reward = new org.racro4j.training.reward.WeightedReward(
                java.util.List.of(new org.racro4j.training.reward.WeightedReward.Term(1, new org.racro4j.training.reward.FormatReward())));
        java.util.List<RlAlgorithm> all = java.util.List.of(new RacroStep(p, reward, update, cfg), new PrcoStep(p, 1, reward, reward, update, cfg),
                new OutcomeStep(p, org.racro4j.training.roles.Role.ANSWERER, reward, update, cfg));
        assertEquals(RlConfig.ALGORITHMS, all.stream().map(RlAlgorithm::name).toList());
    }
}

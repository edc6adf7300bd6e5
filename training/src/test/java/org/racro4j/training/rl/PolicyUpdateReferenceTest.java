package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.racro4j.core.Tensor;
import org.racro4j.core.optim.AdamW;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * One PolicyUpdate.apply against {@link ReferenceGrpoUpdate} on twin tiny policies: the weights after every
 * optimizer step of the update and each logged statistic. Rollouts mix captions (image rows) and Solver answers
 * (text rows) of different lengths, advantages are arbitrary, and each case turns on a different part: several
 * inner epochs of one minibatch (π_old stays fixed while π moves, so the ratio leaves the clip range), uneven
 * minibatches, a minibatch of Solver rows only, gradient clipping, each aggregation, both KL estimators and none,
 * π_old scored in more than one chunk, greedy Solver answers. Adam's eps is large enough that
 * the update is not scale-free, so a gradient off by a constant factor changes the weights.
 */
class PolicyUpdateReferenceTest {
    private static final float CAPTION_T = 1.3f;
    private static final float ANSWER_T = 0.8f;
    private static final ReferenceGrpoUpdate.Adam ADAM = new ReferenceGrpoUpdate.Adam(3e-2, 0.1, 0.9, 0.99, 1e-4);

    static Stream<Arguments> cases() {
        return Stream.of(
                // name, tasks, captions per task, Solver temperature, aggregation, kl estimator, kl coef, clip low, clip high,
                // epochs, minibatch, max grad norm, every role (Solver rows with images and Answerer rows too)
                // 32 rollouts: exactly one chunk of π_old scoring
                Arguments.of("three epochs of one minibatch, k3", 4, 4, ANSWER_T, LossConfig.Aggregation.TOKEN_MEAN, LossConfig.KlEstimator.K3,
                        0.3, 0.2, 0.2, 3, 100, 1e9, false),
                // its sixth of nine minibatches holds only Solver rows: the vision tower gets no gradient there
                Arguments.of("uneven minibatches, one text-only, clipped gradients", 3, 2, ANSWER_T, LossConfig.Aggregation.TOKEN_MEAN,
                        LossConfig.KlEstimator.K3, 0.3, 0.2, 0.2, 3, 5, 0.05, false),
                // 36 rollouts: π_old and π_ref are scored in two chunks
                Arguments.of("sequence mean, k1, clip higher", 3, 6, ANSWER_T, LossConfig.Aggregation.SEQUENCE_MEAN, LossConfig.KlEstimator.K1,
                        0.2, 0.1, 0.28, 2, 8, 1e9, false),
                // greedy Solver answers are scored at temperature 1
                Arguments.of("token sum norm, no KL, greedy answers", 3, 2, 0f, LossConfig.Aggregation.TOKEN_SUM_NORM, LossConfig.KlEstimator.K3,
                        0.0, 0.2, 0.2, 2, 7, 1e9, false),
                // 40 rows of four kinds: captions, text-only and image Solver answers, Answerer answers (three temperatures)
                Arguments.of("every role in one minibatch, k3", 4, 2, ANSWER_T, LossConfig.Aggregation.TOKEN_MEAN, LossConfig.KlEstimator.K3,
                        0.2, 0.2, 0.28, 2, 16, 1e9, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void applyMatchesTheFloat64Reference(String name, int taskCount, int perTask, float answerT, LossConfig.Aggregation aggregation,
                                         LossConfig.KlEstimator kl, double klCoef, double clipLow, double clipHigh, int epochs, int minibatch,
                                         double maxGradNorm, boolean everyRole) {
        List<TaskItem> tasks = TinyPolicy.tasks(taskCount);
        CaptionPolicy policy = TinyPolicy.create(11);
        CaptionPolicy twin = TinyPolicy.create(11);
        CaptionPolicy frozen = TinyPolicy.create(29);
        Tensor patches = policy.patches(tasks);
        List<Rollout> rollouts = everyRole ? TinyPolicy.everyRoleRollouts(policy, tasks, patches, perTask, CAPTION_T, answerT, 5)
                : TinyPolicy.mixedRollouts(policy, tasks, patches, perTask, CAPTION_T, answerT, 5);
        assertTrue(rollouts.stream().mapToInt(r -> r.response().length).distinct().count() >= 2,
                "responses of different lengths, so that rows are padded");
        double[] advantages = new double[rollouts.size()];
        SplittableRandom rng = new SplittableRandom(17);
        for (int i = 0; i < advantages.length; i++) advantages[i] = rng.nextDouble(-1.5, 1.5);
        RlConfig cfg = RlConfigs.rl("algorithm", "prco", "steps", 1, "prompts_per_step", tasks.size(), "group_size", 2, "temperature", CAPTION_T,
                "lr", ADAM.lr(), "weight_decay", ADAM.weightDecay(), "inner_epochs", epochs, "minibatch", minibatch,
                "loss", new LossConfig(clipLow, clipHigh, aggregation, kl, klCoef), "max_grad_norm", maxGradNorm, "answer_samples", 1,
                "answer_temperature", answerT);
        long seed = 23;
        List<int[]> batches = PolicyUpdate.minibatches(rollouts.size(), minibatch, epochs, seed);
        if (name.contains("text-only")) {
            assertTrue(batches.subList(0, batches.size() - 1).stream()
                            .anyMatch(b -> java.util.Arrays.stream(b).allMatch(i -> rollouts.get(i).image() < 0)),
                    "a minibatch of text rows only, followed by others");
        }

        AdamW adamw = AdamW.forTransformer(policy.model().parameters(), (float) ADAM.lr(), (float) ADAM.weightDecay(), (float) ADAM.beta1(),
                (float) ADAM.beta2(), (float) ADAM.eps());
        PolicyUpdate.Stats got = new PolicyUpdate(policy, frozen, adamw, cfg).apply(rollouts, advantages, patches, seed);
        ReferenceGrpoUpdate.Result want = ReferenceGrpoUpdate.run(twin, frozen, rollouts, advantages, patches, cfg, ADAM,
                batches);

        assertEquals(want.optimizerSteps(), got.optimizerSteps(), "optimizer steps");
        assertEquals(want.tokens(), got.tokens(), "tokens trained on");
        assertEquals(want.loss(), got.loss(), 1e-4 + 1e-3 * Math.abs(want.loss()), "loss");
        assertEquals(want.gradNorm(), got.gradNorm(), 1e-3 * want.gradNorm(), "gradient norm before clipping");
        assertEquals(want.kl(), got.kl(), 1e-5 + 1e-3 * Math.abs(want.kl()), "mean KL");
        assertEquals(want.ratio(), got.ratio(), 1e-4, "mean ratio");
        assertEquals(want.entropy(), got.entropy(), 1e-4 * want.entropy(), "mean entropy");
        assertEquals(want.clipFraction(), got.clipFraction(), 1e-9, "clip fraction");
        double[][] after = TinyPolicy.parameters(policy);
        double[][] before = TinyPolicy.parameters(TinyPolicy.create(11));
        double moved = 0;
        double worst = 0;
        for (int p = 0; p < after.length; p++) {
            for (int j = 0; j < after[p].length; j++) {
                moved = Math.max(moved, Math.abs(want.parameters()[p][j] - before[p][j]));
                worst = Math.max(worst, Math.abs(after[p][j] - want.parameters()[p][j]));
            }
        }
        assertTrue(moved > 0.5 * ADAM.lr(), "the update moved the weights: " + moved);
        if (epochs > 1) assertTrue(want.clipFraction() > 0, "later epochs move the ratio out of the clip range");
        assertTrue(worst < 2e-3 * moved, "weights after the update differ from the reference by " + worst + " (largest move " + moved + ")");
        patches.close();
    }

    /**
     * The direction of one small update: with two captions of one image, advantages +1 and −1 and no KL, the
     * positive one becomes more likely and the negative one less; over a step's worth of captions with random
     * advantages, Σ A_i Δ log π(caption_i) — the first-order change of the surrogate objective — is positive.
     */
    @Test
    void oneUpdateRaisesPositiveAndLowersNegativeRollouts() {
        List<TaskItem> tasks = TinyPolicy.tasks(2);
        CaptionPolicy policy = TinyPolicy.create(19);
        Tensor patches = policy.patches(tasks);
        List<Rollout> captions = CaptionRollouts.sample(policy, tasks, patches, 6, CAPTION_T, 3);
        RlConfig cfg = RlConfigs.rl("algorithm", "racro", "steps", 1, "prompts_per_step", tasks.size(), "group_size", 2, "temperature", CAPTION_T,
                "lr", 1e-3, "weight_decay", 0.0, "minibatch", 64, "kl_coef", 0.0, "answer_samples", 1, "answer_temperature", 0f);

        Rollout a = captions.get(0);
        Rollout b = captions.stream().filter(r -> r.image() == 0 && !java.util.Arrays.equals(r.response(), a.response())).findFirst().orElseThrow();
        double aBefore = sequenceLogProb(policy, a, patches, cfg);
        double bBefore = sequenceLogProb(policy, b, patches, cfg);
        new PolicyUpdate(policy, policy, StepReference.optimizer(policy, cfg), cfg).apply(List.of(a, b), new double[] {1, -1}, patches, 1);
        assertTrue(sequenceLogProb(policy, a, patches, cfg) > aBefore, "the positive caption became more likely");
        assertTrue(sequenceLogProb(policy, b, patches, cfg) < bBefore, "the negative caption became less likely");

        double[] adv = new double[captions.size()];
        double[] before = new double[captions.size()];
        SplittableRandom rng = new SplittableRandom(4);
        for (int i = 0; i < adv.length; i++) {
            adv[i] = rng.nextDouble(-1, 1);
            before[i] = sequenceLogProb(policy, captions.get(i), patches, cfg);
        }
        new PolicyUpdate(policy, policy, StepReference.optimizer(policy, cfg), cfg).apply(captions, adv, patches, 2);
        double surrogate = 0;
        for (int i = 0; i < adv.length; i++) surrogate += adv[i] * (sequenceLogProb(policy, captions.get(i), patches, cfg) - before[i]);
        assertTrue(surrogate > 0, "sum of A_i * change of log pi_i: " + surrogate);
        patches.close();
    }

    private static double sequenceLogProb(CaptionPolicy p, Rollout r, Tensor patches, RlConfig cfg) {
        double s = 0;
        for (double v : ReferenceGrpoUpdate.logProbsAlone(p, r, patches, cfg)) s += v;
        return s;
    }
}

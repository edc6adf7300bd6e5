package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.racro4j.core.Tensor;
import org.racro4j.training.reward.CaptionUtilityReward;
import org.racro4j.training.reward.DescriptionGroundedReward;
import org.racro4j.training.reward.FormatReward;
import org.racro4j.training.reward.LeakagePenalty;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * One RACRO step against the test's own account of it: the same captions (sampled with the step's seed), rewards
 * combined with the configured weights, groups of G consecutive captions of one task, zero-variance groups
 * dropped, group-relative advantages, and a PolicyUpdate of a twin policy on exactly that batch. The step's
 * policy must end with the twin's weights and its metrics must be the test's numbers.
 */
class RacroStepTest {
    /**
     * A frozen reasoner scripted by the test: for caption i it answers k times, answer j right (the gold answer of
     * row i) when bit j of the caption's hash is set, so that different captions of one group score differently;
     * rows without a gold answer (null) are always answered wrongly.
     */
    static final class ScriptedReasoner implements AnswerSource {
        final List<String> golds;

        ScriptedReasoner(List<String> golds) {
            this.golds = golds;
        }

        static boolean right(String caption, int j) {
            return (caption.hashCode() >>> j & 1) == 1;
        }

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public List<List<Answer>> answer(List<String> captions, List<String> questions, int k, float temperature, long seed) {
            assertEquals(golds.size(), captions.size(), "the reasoner is asked about every caption of the step at once");
            List<List<Answer>> out = new ArrayList<>();
            for (int i = 0; i < captions.size(); i++) {
                List<Answer> row = new ArrayList<>();
                for (int j = 0; j < k; j++) {
                    String answer = golds.get(i) != null && right(captions.get(i), j) ? golds.get(i) : "purple";
                    row.add(new Answer(answer, new int[0], new int[0], true));
                }
                out.add(row);
            }
            return out;
        }

        @Override
        public double[] answerProbability(List<String> captions, List<String> questions, List<String> answers) {
            throw new UnsupportedOperationException("the test uses sampled answers");
        }
    }

    @ParameterizedTest(name = "std-normalised advantages: {0}")
    @ValueSource(booleans = {false, true})
    void stepTrainsOnTheGroupsAndAdvantagesTheTestWorksOut(boolean std) {
        int g = 4;
        int k = 3;
        List<TaskItem> tasks = TinyPolicy.tasks(4);
        List<String> golds = new ArrayList<>();
        // the reasoner never gets the last two tasks right: one of their groups scores the same everywhere and is dropped,
        // the other keeps a caption that the leakage penalty scores (it says "answer")
        for (int t = 0; t < tasks.size(); t++) for (int i = 0; i < g; i++) golds.add(t >= 2 ? null : tasks.get(t).answer());
        ScriptedReasoner reasoner = new ScriptedReasoner(golds);
        WeightedReward reward = new WeightedReward(List.of(
                new WeightedReward.Term(1.0, new CaptionUtilityReward(reasoner, k, 1f)),
                new WeightedReward.Term(0.3, new FormatReward()),
                new WeightedReward.Term(0.5, new LeakagePenalty()),
                new WeightedReward.Term(0.0, new DescriptionGroundedReward())));
        RlConfig cfg = RlConfigs.rl("algorithm", "racro", "steps", 10, "prompts_per_step", tasks.size(), "group_size", g, "temperature", 2f,
                "lr", 2e-3, "weight_decay", 0.01, "minibatch", 64, "kl_coef", 0.05, "std_normalize", std, "answer_samples", k,
                "answer_temperature", 1f);
        long seed = 77;
        CaptionPolicy policy = TinyPolicy.create(3);
        CaptionPolicy frozen = TinyPolicy.create(5);
        long start = System.nanoTime();
        Map<String, Object> m = new RacroStep(policy, reward, new PolicyUpdate(policy, frozen, StepReference.optimizer(policy, cfg), cfg), cfg)
                .run(tasks, 4, seed);
        double wall = (System.nanoTime() - start) / 1e9;

        CaptionPolicy twin = TinyPolicy.create(3);
        Tensor patches = twin.patches(tasks);
        List<Rollout> captions = CaptionRollouts.sample(twin, tasks, patches, g, cfg.temperature(), seed);
        double[] utility = new double[captions.size()];
        double[] format = new double[captions.size()];
        double[] leakage = new double[captions.size()];
        double[] total = new double[captions.size()];
        for (int i = 0; i < total.length; i++) {
            String text = captions.get(i).text();
            for (int j = 0; j < k; j++) utility[i] += golds.get(i) != null && ScriptedReasoner.right(text, j) ? 1.0 / k : 0;
            format[i] = captions.get(i).stopped() && (text.endsWith(" .") || text.equals(".")) ? 1 : 0;
            leakage[i] = LeakagePenalty.leaks(text) ? -1 : 0;
            total[i] = utility[i] + 0.3 * format[i] + 0.5 * leakage[i];
        }
        StepReference.Batch batch = new StepReference.Batch();
        batch.addGroups(captions, total, g, std, true);
        assertTrue(batch.groupsKept >= 2 && batch.zeroVariance >= 1, "the case keeps some groups and drops others: kept "
                + batch.groupsKept + ", zero variance " + batch.zeroVariance);
        PolicyUpdate.Stats s = new PolicyUpdate(twin, frozen, StepReference.optimizer(twin, cfg), cfg)
                .apply(batch.rollouts, batch.advantageArray(), patches, seed + 2);

        StepReference.assertSameWeights(policy, twin, TinyPolicy.create(3));
        StepReference.assertMetric(m, "reward", StepReference.mean(total));
        StepReference.assertMetric(m, "accuracy", StepReference.mean(utility));
        StepReference.assertMetric(m, "reward_format", StepReference.mean(format));
        StepReference.assertMetric(m, "reward_leakage", StepReference.mean(leakage));
        StepReference.assertMetric(m, "reward_grounded", 0);
        StepReference.assertMetric(m, "response_length", StepReference.meanLength(captions));
        StepReference.assertMetric(m, "groups_kept", batch.groupsKept);
        StepReference.assertMetric(m, "groups_zero_variance", batch.zeroVariance);
        StepReference.assertMetric(m, "groups_nan", 0);
        StepReference.assertMetric(m, "optimizer_steps", 1);
        assertEquals(s.loss(), ((Number) m.get("loss")).doubleValue(), 1e-6, "loss");
        assertEquals(s.kl(), ((Number) m.get("kl")).doubleValue(), 1e-7, "kl");
        assertEquals(s.gradNorm(), ((Number) m.get("grad_norm")).doubleValue(), 1e-5 * s.gradNorm(), "grad_norm");
        assertEquals(s.entropy(), ((Number) m.get("entropy")).doubleValue(), 1e-5, "entropy");
        assertEquals(s.ratio(), ((Number) m.get("ratio")).doubleValue(), 1e-6, "ratio");
        assertEquals(s.clipFraction(), ((Number) m.get("clip_fraction")).doubleValue(), 1e-9, "clip_fraction");
        StepReference.assertTimes(m, captions, s.tokens(), wall);
        patches.close();
    }
}

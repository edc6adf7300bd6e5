package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.racro4j.core.Tensor;
import org.racro4j.training.reward.AnswerAccuracyReward;
import org.racro4j.training.reward.CaptionUtilityReward;
import org.racro4j.training.reward.FormatReward;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.AnswerType;
import org.racro4j.training.tasks.TaskItem;

/**
 * One outcome-only GRPO step against the test's own account of it: G answers per task from the image and the
 * question (sampled with the step's seed at rl.temperature), each rewarded by hand with 1 × accuracy + 0.3 × format
 * + 0.05 × a text hash, groups of G answers of one task, equal-reward groups dropped under dynamic sampling,
 * group-relative advantages, and one PolicyUpdate of a twin policy on exactly that batch. The step's policy must end
 * with the twin's weights and its metrics must be the test's numbers.
 *
 * <p>A random tiny policy never answers right, so each task's gold answer is set to the answer the policy gives most
 * often to it: then some answers of a group are right and others are not.
 */
class OutcomeStepTest {
    private static final int G = 4;
    private static final long SEED = 57;

    @ParameterizedTest(name = "dynamic sampling {0}, std {1}")
    @CsvSource({"true, false", "false, true"})
    void stepTrainsOnTheAnswersGroupsTheTestWorksOut(boolean dynamicSampling, boolean std) {
        RlConfig cfg = RlConfigs.rl("algorithm", "outcome_grpo", "steps", 10, "prompts_per_step", 3, "group_size", G, "temperature", 1.6f,
                "lr", 2e-3, "weight_decay", 0.01, "minibatch", 200, "clip_high", 0.28, "kl_coef", 0.05, "std_normalize", std,
                "dynamic_sampling", dynamicSampling, "answer_samples", 1, "answer_temperature", 0f);
        List<TaskItem> tasks = answerable(TinyPolicy.create(3), TinyPolicy.tasks(3), cfg);
        WeightedReward reward = new WeightedReward(List.of(new WeightedReward.Term(1.0, new AnswerAccuracyReward()),
                new WeightedReward.Term(0.3, new FormatReward()), new WeightedReward.Term(0.05, StepReference.TEXT_HASH)));
        CaptionPolicy policy = TinyPolicy.create(3);
        CaptionPolicy frozen = TinyPolicy.create(4);
        long start = System.nanoTime();
        Map<String, Object> m = new OutcomeStep(policy, Role.ANSWERER, reward, new PolicyUpdate(policy, frozen, StepReference.optimizer(policy, cfg), cfg), cfg)
                .run(tasks, 1, SEED);
        double wall = (System.nanoTime() - start) / 1e9;

        CaptionPolicy twin = TinyPolicy.create(3);
        Tensor patches = twin.patches(tasks);
        List<Rollout> answers = answers(twin, tasks, patches, cfg);
        double[] rewards = new double[answers.size()];
        double[] correct = new double[answers.size()];
        double[] format = new double[answers.size()];
        for (int i = 0; i < rewards.length; i++) {
            Rollout r = answers.get(i);
            correct[i] = CaptionUtilityReward.isCorrect(r.task(), r.text()) ? 1 : 0;
            format[i] = FormatReward.wellFormed(r) ? 1 : 0;
            rewards[i] = correct[i] + 0.3 * format[i] + 0.05 * StepReference.textHash(r);
        }
        StepReference.Batch batch = new StepReference.Batch();
        batch.addGroups(answers, rewards, G, std, dynamicSampling);
        assertTrue(batch.groupsKept >= 1 && StepReference.mean(correct) > 0 && StepReference.mean(correct) < 1,
                "the case trains on some groups and some answers are right: kept " + batch.groupsKept + ", accuracy " + StepReference.mean(correct));
        PolicyUpdate.Stats s = new PolicyUpdate(twin, frozen, StepReference.optimizer(twin, cfg), cfg)
                .apply(batch.rollouts, batch.advantageArray(), patches, SEED + 2);

        StepReference.assertSameWeights(policy, twin, TinyPolicy.create(3));
        StepReference.assertMetric(m, "reward", StepReference.mean(rewards));
        StepReference.assertMetric(m, "accuracy", StepReference.mean(correct));
        StepReference.assertMetric(m, "reward_format", StepReference.mean(format));
        StepReference.assertMetric(m, "response_length", StepReference.meanLength(answers));
        StepReference.assertMetric(m, "groups_kept", batch.groupsKept);
        StepReference.assertMetric(m, "groups_zero_variance", batch.zeroVariance);
        StepReference.assertMetric(m, "optimizer_steps", 1);
        assertEquals(s.loss(), ((Number) m.get("loss")).doubleValue(), 1e-6, "loss");
        StepReference.assertTimes(m, answers, s.tokens(), wall);
        patches.close();
    }

    /** The step's answers: G per task from the image and the question, Answerer rollouts pointing at the task's image. */
    static List<Rollout> answers(CaptionPolicy p, List<TaskItem> tasks, Tensor patches, RlConfig cfg) {
        List<String> questions = new ArrayList<>();
        for (TaskItem t : tasks) questions.add(t.question());
        List<List<Answer>> a = p.answerDirectly(patches, questions, G, cfg.temperature(), SEED);
        List<Rollout> out = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) {
            for (Answer x : a.get(t)) {
                assertEquals(p.directPrompt(questions.get(t)).length, x.context().length, "the Answerer's context is its prompt");
                out.add(new Rollout(tasks.get(t), Role.ANSWERER, t, x.context(), x.tokens(), x.text(), x.stopped(), null));
            }
        }
        return out;
    }

    /** The tasks with their gold answer replaced by the policy's most frequent non-empty answer to each. */
    static List<TaskItem> answerable(CaptionPolicy p, List<TaskItem> tasks, RlConfig cfg) {
        Tensor patches = p.patches(tasks);
        List<Rollout> answers = answers(p, tasks, patches, cfg);
        patches.close();
        List<TaskItem> out = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) {
            Map<String, Integer> counts = new HashMap<>();
            for (Rollout r : answers.subList(t * G, (t + 1) * G)) if (!r.text().isBlank()) counts.merge(r.text(), 1, Integer::sum);
            TaskItem x = tasks.get(t);
            String gold = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(x.answer());
            out.add(new TaskItem(x.id(), x.family(), x.category(), x.image(), x.question(), gold, AnswerType.WORD, List.of(), x.goldDescription(),
                    x.facts(), x.neededFacts(), x.seed()));
        }
        return out;
    }
}

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
import org.racro4j.training.reward.LeakagePenalty;
import org.racro4j.training.reward.Reward;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.AnswerType;
import org.racro4j.training.tasks.TaskItem;

/**
 * One PRCO step against the test's own account of it. The shared policy writes G captions per task (Observer) and
 * answers each caption k times, looking at the caption's image too (Solver). The test recomputes every reward by hand: the Solver's is its accuracy
 * plus 0.25 × format; the Observer's is 0.7 × utility (the fraction of the Solver's k answers to that caption that
 * are right) plus 0.2 × format minus the leakage penalty plus a small text-hash term. It centres each role within its
 * own groups (G captions of a task; k answers of a caption), skips groups with a NaN reward, drops groups with one
 * reward value when dynamic sampling is on, trains a twin policy on both roles' rollouts in one update and requires
 * the step's policy and metrics to agree. With k = 1 the Solver's answers have nothing to be compared with and only
 * the Observer is trained.
 *
 * <p>A random tiny policy would never answer right, so the tasks' gold answers are set, before the step, to answers
 * the Solver is known to give (sampling is seeded): then some captions lead to right answers and others do not.
 */
class PrcoStepTest {
    private static final int G = 3;
    private static final long SEED = 91;

    /**
     * @param k               Solver answers per caption (1: the Solver is not trained, its answers are not compared)
     * @param dynamicSampling whether groups with one reward value are dropped
     */
    @ParameterizedTest(name = "k {0}, dynamic sampling {1}, std {2}")
    @CsvSource({"3, true, false", "1, false, true"})
    void stepTrainsBothRolesOnTheirOwnGroupsInOneUpdate(int k, boolean dynamicSampling, boolean std) {
        RlConfig cfg = RlConfigs.rl("algorithm", "prco", "steps", 10, "prompts_per_step", 3, "group_size", G, "temperature", 1.8f, "lr", 2e-3,
                "weight_decay", 0.01, "minibatch", 200, "kl_coef", 0.05, "std_normalize", std, "dynamic_sampling", dynamicSampling,
                "answer_samples", k, "answer_temperature", 1.5f);
        CaptionPolicy probe = TinyPolicy.create(7);
        List<TaskItem> tasks = answerableTasks(probe, TinyPolicy.tasks(3), cfg);
        // the Solver's reward is NaN for the answers to the first caption (a broken reward): their groups are skipped
        Tensor probePatches = probe.patches(tasks);
        String poisoned = CaptionRollouts.sample(probe, tasks, probePatches, G, cfg.temperature(), SEED).get(0).text();
        probePatches.close();
        Reward poison = new Reward() {
            @Override
            public String name() {
                return "poison";
            }

            @Override
            public double[] score(List<Rollout> rollouts, long seed) {
                double[] out = new double[rollouts.size()];
                for (int i = 0; i < out.length; i++) out[i] = isPoisoned(rollouts.get(i), tasks, poisoned) ? Double.NaN : 0;
                return out;
            }
        };

        WeightedReward observerExtras = new WeightedReward(List.of(new WeightedReward.Term(0.2, new FormatReward()),
                new WeightedReward.Term(1.0, new LeakagePenalty()), new WeightedReward.Term(0.05, StepReference.TEXT_HASH)));
        WeightedReward solverReward = new WeightedReward(List.of(new WeightedReward.Term(1.0, new AnswerAccuracyReward()),
                new WeightedReward.Term(0.25, new FormatReward()), new WeightedReward.Term(1.0, poison)));
        CaptionPolicy policy = TinyPolicy.create(7);
        CaptionPolicy frozen = TinyPolicy.create(8);
        long start = System.nanoTime();
        Map<String, Object> m = new PrcoStep(policy, 0.7, observerExtras, solverReward,
                new PolicyUpdate(policy, frozen, StepReference.optimizer(policy, cfg), cfg), cfg).run(tasks, 2, SEED);
        double wall = (System.nanoTime() - start) / 1e9;

        CaptionPolicy twin = TinyPolicy.create(7);
        Tensor patches = twin.patches(tasks);
        List<Rollout> observers = CaptionRollouts.sample(twin, tasks, patches, G, cfg.temperature(), SEED);
        List<List<Answer>> answers = answersOf(twin, patches, observers, cfg);
        double[] utility = new double[observers.size()];
        double[] observerReward = new double[observers.size()];
        List<Rollout> solvers = new ArrayList<>();
        List<Double> solverRewards = new ArrayList<>();
        for (int i = 0; i < observers.size(); i++) {
            Rollout o = observers.get(i);
            for (Answer a : answers.get(i)) {
                boolean right = CaptionUtilityReward.isCorrect(o.task(), a.text());
                utility[i] += right ? 1.0 / k : 0;
                Rollout s = new Rollout(o.task(), Role.SOLVER, o.image(), a.context(), a.tokens(), a.text(), a.stopped(), o.text());
                solvers.add(s);
                double format = FormatReward.wellFormed(s) ? 1 : 0;
                solverRewards.add(isPoisoned(s, tasks, poisoned) ? Double.NaN : (right ? 1 : 0) + 0.25 * format);
            }
            observerReward[i] = 0.7 * utility[i] + 0.2 * (FormatReward.wellFormed(o) ? 1 : 0) - (LeakagePenalty.leaks(o.text()) ? 1 : 0)
                    + 0.05 * StepReference.textHash(o);
        }
        double[] solverArray = solverRewards.stream().mapToDouble(Double::doubleValue).toArray();
        StepReference.Batch batch = new StepReference.Batch();
        batch.addGroups(observers, observerReward, G, std, dynamicSampling);
        int observerGroups = batch.groupsKept;
        int observerZero = batch.zeroVariance;
        StepReference.Batch solverBatch = new StepReference.Batch();
        if (k > 1) solverBatch.addGroups(solvers, solverArray, k, std, dynamicSampling);
        assertTrue(observerGroups >= 1 && StepReference.mean(utility) > 0, "the case trains the Observer and some captions are useful: "
                + "observer groups kept " + observerGroups + ", mean utility " + StepReference.mean(utility));
        if (k > 1) {
            assertTrue(solverBatch.groupsKept >= 1 && solverBatch.zeroVariance >= 1 && solverBatch.nan >= 1, "the case trains the Solver, "
                    + "drops groups and skips a NaN one: kept " + solverBatch.groupsKept + ", dropped " + solverBatch.zeroVariance
                    + ", NaN " + solverBatch.nan);
        }
        List<Rollout> train = new ArrayList<>(batch.rollouts);
        train.addAll(solverBatch.rollouts);
        List<Double> adv = new ArrayList<>(batch.advantages);
        adv.addAll(solverBatch.advantages);
        PolicyUpdate.Stats s = new PolicyUpdate(twin, frozen, StepReference.optimizer(twin, cfg), cfg)
                .apply(train, adv.stream().mapToDouble(Double::doubleValue).toArray(), patches, SEED + 4);

        StepReference.assertSameWeights(policy, twin, TinyPolicy.create(7));
        StepReference.assertMetric(m, "reward", StepReference.mean(observerReward));
        StepReference.assertMetric(m, "accuracy", StepReference.mean(utility));
        StepReference.assertMetric(m, "solver_reward", StepReference.mean(solverArray));
        StepReference.assertMetric(m, "response_length", StepReference.meanLength(observers));
        StepReference.assertMetric(m, "groups_kept", observerGroups);
        StepReference.assertMetric(m, "solver_groups_kept", solverBatch.groupsKept);
        StepReference.assertMetric(m, "groups_zero_variance", observerZero);
        StepReference.assertMetric(m, "groups_nan", solverBatch.nan);
        StepReference.assertMetric(m, "optimizer_steps", 1);
        assertEquals(s.loss(), ((Number) m.get("loss")).doubleValue(), 1e-6, "loss");
        assertEquals(s.gradNorm(), ((Number) m.get("grad_norm")).doubleValue(), 1e-5 * s.gradNorm(), "grad_norm");
        List<Rollout> generated = new ArrayList<>(observers);
        generated.addAll(solvers);
        StepReference.assertTimes(m, generated, s.tokens(), wall);
        patches.close();
    }

    static boolean isPoisoned(Rollout r, List<TaskItem> tasks, String caption) {
        return r.role() == Role.SOLVER && r.task().id().equals(tasks.get(0).id()) && r.caption().equals(caption);
    }

    /**
     * The Solver's k answers to each caption, each after the caption's image, drawn as the step draws them (the seed
     * after the captions').
     */
    static List<List<Answer>> answersOf(CaptionPolicy p, Tensor patches, List<Rollout> observers, RlConfig cfg) {
        List<String> captions = new ArrayList<>();
        List<String> questions = new ArrayList<>();
        long[] images = new long[observers.size()];
        for (int i = 0; i < observers.size(); i++) {
            captions.add(observers.get(i).text());
            questions.add(observers.get(i).task().question());
            images[i] = observers.get(i).image();
        }
        return p.solve(patches.indexSelect(0, Tensor.ofLongs(images, images.length)), captions, questions, cfg.answerSamples(),
                cfg.answerTemperature(), SEED + 1);
    }

    /**
     * The tasks with their gold answer replaced by the answer the Solver gives most often to the task's captions (a
     * word answer, verified as right), so that utilities vary within a task's group.
     */
    static List<TaskItem> answerableTasks(CaptionPolicy p, List<TaskItem> tasks, RlConfig cfg) {
        Tensor patches = p.patches(tasks);
        List<List<Answer>> answers = answersOf(p, patches, CaptionRollouts.sample(p, tasks, patches, G, cfg.temperature(), SEED), cfg);
        patches.close();
        List<TaskItem> out = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) {
            Map<String, Integer> counts = new HashMap<>();
            for (int i = t * G; i < (t + 1) * G; i++) {
                for (Answer a : answers.get(i)) if (!a.text().isBlank()) counts.merge(a.text(), 1, Integer::sum);
            }
            String gold = counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            TaskItem x = tasks.get(t);
            TaskItem answerable = new TaskItem(x.id(), x.family(), x.category(), x.image(), x.question(), gold, AnswerType.WORD, List.of(),
                    x.goldDescription(), x.facts(), x.neededFacts(), x.seed());
            assertTrue(CaptionUtilityReward.isCorrect(answerable, gold), "the Solver's answer '" + gold + "' verifies as right");
            out.add(answerable);
        }
        return out;
    }
}

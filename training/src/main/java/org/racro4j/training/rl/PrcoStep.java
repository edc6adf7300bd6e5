package org.racro4j.training.rl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Tensor;
import org.racro4j.training.reward.CaptionUtilityReward;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * One step of PRCO (perception–reasoning co-evolution): a single shared policy plays both roles.
 * <ol>
 * <li>Observer: G evidence captions per task (image + question).</li>
 * <li>Solver: the same policy answers each caption m times, reading image + question + caption.</li>
 * <li>Solver reward: its own outcome (+ format); Observer reward: utility — the Solver's mean accuracy over its
 * m answers to that caption — plus the observer terms (a leakage penalty keeps it from writing the answer).</li>
 * <li>Advantages are centred within each role's own groups (G captions of a task; m answers of a caption), and
 * both roles' rollouts update the same weights in one policy update.</li>
 * </ol>
 */
public final class PrcoStep extends PolicyStep {
    private final double utilityWeight;
    private final WeightedReward observerExtras;
    private final WeightedReward solverReward;

    /**
     * @param utilityWeight  weight of the Observer's utility (Solver accuracy on its caption)
     * @param observerExtras further Observer terms (leakage, format, grounded), or null for none
     * @param solverReward   the Solver's reward (accuracy + format)
     */
    public PrcoStep(CaptionPolicy policy, double utilityWeight, WeightedReward observerExtras, WeightedReward solverReward,
                    PolicyUpdate update, RlConfig cfg) {
        super(policy, update, cfg);
        this.utilityWeight = utilityWeight;
        this.observerExtras = observerExtras;
        this.solverReward = solverReward;
    }

    @Override
    public String name() {
        return "prco";
    }

    @Override
    protected Map<String, Object> step(List<TaskItem> tasks, Tensor patches, long t0, long step, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        int g = cfg.groupSize();
        int k = cfg.answerSamples();
        List<Rollout> observers;
        try {
            observers = CaptionRollouts.sample(policy, tasks, patches, g, cfg.temperature(), seed);
        } catch (NonFiniteException e) {
            throw e.within(STAGE + " step " + step + ", Observer captions", e.row());
        }
        List<String> captions = new ArrayList<>(observers.size());
        List<String> questions = new ArrayList<>(observers.size());
        long[] images = new long[observers.size()];
        for (int i = 0; i < observers.size(); i++) {
            Rollout o = observers.get(i);
            captions.add(o.text());
            questions.add(o.task().question());
            images[i] = o.image();
        }
        List<List<Answer>> answers;
        try {
            Tensor observed = patches.indexSelect(0, Tensor.ofLongs(images, images.length).to(patches.device()));
            answers = policy.solve(observed, captions, questions, k, cfg.answerTemperature(), seed + 1);
        } catch (NonFiniteException e) {
            throw e.within(STAGE + " step " + step + ", Solver answers to " + RlAlgorithm.caption(e.row()), e.row());
        }
        List<Rollout> solvers = new ArrayList<>(observers.size() * k);
        for (int i = 0; i < observers.size(); i++) {
            for (Answer a : answers.get(i)) {
                solvers.add(new Rollout(observers.get(i).task(), Role.SOLVER, observers.get(i).image(), a.context(), a.tokens(), a.text(),
                        a.stopped(), captions.get(i)));
            }
        }
        long t1 = System.nanoTime();

        double[] utility = new double[observers.size()];
        for (int i = 0; i < utility.length; i++) utility[i] = CaptionUtilityReward.meanCorrect(observers.get(i).task(), answers.get(i));
        double[] extras = observerExtras == null ? new double[observers.size()] : observerExtras.score(observers, seed + 2);
        double[] observerReward = new double[observers.size()];
        for (int i = 0; i < observerReward.length; i++) observerReward[i] = utilityWeight * utility[i] + extras[i];
        double[] solverRewards = solverReward.score(solvers, seed + 3);

        Advantages.Selection os = Advantages.select(observerReward, g, cfg.stdNormalize(), cfg.dynamicSampling(), "observer", step);
        Advantages.Selection ss = k > 1
                ? Advantages.select(solverRewards, k, cfg.stdNormalize(), cfg.dynamicSampling(), "solver", step)
                : null;
        m.put("reward", StepMetrics.mean(observerReward));
        m.put("accuracy", StepMetrics.mean(utility));   // the Solver's accuracy, all its answers to all captions
        m.put("solver_reward", StepMetrics.mean(solverRewards));
        m.put("response_length", StepMetrics.meanLength(observers));
        StepMetrics.putGroups(m, os, g);
        m.put("solver_groups_kept", ss == null ? 0 : ss.kept().length / k);
        m.put("groups_nan", os.nan() + (ss == null ? 0 : ss.nan()));

        // both roles' kept rollouts, Observer's first, in one update
        List<Rollout> train = new ArrayList<>(select(observers, os.kept()));
        double[] adv = os.advantages();
        if (ss != null) {
            train.addAll(select(solvers, ss.kept()));
            adv = java.util.stream.DoubleStream.concat(java.util.Arrays.stream(adv), java.util.Arrays.stream(ss.advantages())).toArray();
        }
        long t2 = System.nanoTime();
        update(m, train, adv, patches, step, seed + 4, t2);
        List<Rollout> generated = new ArrayList<>(observers);
        generated.addAll(solvers);
        StepMetrics.putTimes(m, generated, t0, t1, t2);
        return m;
    }
}

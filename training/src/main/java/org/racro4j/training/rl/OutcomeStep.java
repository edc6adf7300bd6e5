package org.racro4j.training.rl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Tensor;
import org.racro4j.training.reward.AnswerAccuracyReward;
import org.racro4j.training.reward.Reward;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * One step of outcome-only GRPO, as RL on vision-language models is usually done (DAPO): for each task the policy
 * answers G times from the image and the question alone; one reward on the final answer (accuracy + format) scores
 * each answer; group-relative advantages; one policy update. Perception and reasoning share that single reward.
 *
 * <p>The response may also give evidence before its answer (rl.response think or describe: the Thinker's and the
 * Describer's form); the reward study's designs then add terms that score the evidence (description, facts, evidence
 * utility) to the answer's.
 */
public final class OutcomeStep extends PolicyStep {
    private final Role role;
    private final WeightedReward reward;

    /**
     * @param role   what the policy writes: the Answerer's answer, or the Thinker's or Describer's evidence and answer
     * @param reward the response's reward (rl.solver_rewards)
     */
    public OutcomeStep(CaptionPolicy policy, Role role, WeightedReward reward, PolicyUpdate update, RlConfig cfg) {
        super(policy, update, cfg);
        if (role != Role.ANSWERER && !role.explains()) throw new IllegalArgumentException(role + " does not answer from the image");
        this.role = role;
        this.reward = reward;
    }

    @Override
    public String name() {
        return "outcome_grpo";
    }

    @Override
    protected Map<String, Object> step(List<TaskItem> tasks, Tensor patches, long t0, long step, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        int g = cfg.groupSize();
        List<String> questions = new ArrayList<>(tasks.size());
        for (TaskItem t : tasks) questions.add(t.question());
        List<List<Answer>> answers;
        try {
            answers = policy.respond(patches, role, questions, g, cfg.temperature(), seed);
        } catch (NonFiniteException e) {
            throw e.within(STAGE + " step " + step + ", answers to task " + e.row(), e.row());
        }
        List<Rollout> rollouts = new ArrayList<>(tasks.size() * g);
        for (int i = 0; i < tasks.size(); i++) {
            for (Answer a : answers.get(i)) rollouts.add(new Rollout(tasks.get(i), role, i, a.context(), a.tokens(), a.text(), a.stopped(), null));
        }
        long t1 = System.nanoTime();
        double[][] terms = reward.scoreTerms(rollouts, seed + 1);
        double[] total = reward.combine(terms);
        long t2 = System.nanoTime();
        Advantages.Selection sel = Advantages.select(total, g, cfg.stdNormalize(), cfg.dynamicSampling(), "answer", step);
        m.put("reward", StepMetrics.mean(total));
        m.put("accuracy", StepMetrics.mean(new AnswerAccuracyReward().score(rollouts, seed)));
        for (int t = 0; t < terms.length; t++) {
            Reward r = reward.terms().get(t).reward();
            if (!(r instanceof AnswerAccuracyReward)) m.put("reward_" + r.name(), StepMetrics.mean(terms[t]));
        }
        m.put("response_length", StepMetrics.meanLength(rollouts));
        StepMetrics.putGroups(m, sel, g);
        update(m, select(rollouts, sel.kept()), sel.advantages(), patches, step, seed + 2, t2);
        StepMetrics.putTimes(m, rollouts, t0, t1, t2);
        return m;
    }
}

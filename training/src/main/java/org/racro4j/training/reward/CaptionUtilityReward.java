package org.racro4j.training.reward;

import java.util.ArrayList;
import java.util.List;

import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.Prompts;
import org.racro4j.training.verify.AnswerVerifier;

/**
 * How useful a caption is: someone reads only the caption and the question, answers k times, and the reward is
 * the fraction of correct answers. With the frozen reasoner answering this is RACRO's caption reward; with
 * the policy's own Solver role it is PRCO's Observer utility. k = 1 at temperature 0 is "accuracy only".
 *
 * <p>With {@code expected}, the reward is that fraction's k → ∞ limit, computed exactly: the probability the
 * answering model gives the gold answer (sampling at temperature 1). Same expectation, none of the sampling noise — with
 * a small reasoner whose blind guesses are right a quarter of the time, a sampled reward barely tells a useful
 * caption from a lucky one.
 */
public final class CaptionUtilityReward implements Reward {
    private final AnswerSource source;
    private final int k;
    private final float temperature;
    private final boolean expected;

    /** @param source whoever answers from the captions: the frozen reasoner (RACRO) or the policy's Solver (PRCO) */
    public CaptionUtilityReward(AnswerSource source, int k, float temperature) {
        this(source, k, temperature, false);
    }

    public CaptionUtilityReward(AnswerSource source, int k, float temperature, boolean expected) {
        if (k < 1) throw new IllegalArgumentException("caption utility: k must be >= 1, got " + k);
        this.source = source;
        this.k = k;
        this.temperature = temperature;
        this.expected = expected;
    }

    @Override
    public String name() {
        return "caption_utility(" + source.name() + (expected ? ", expected" : ", k=" + k) + ")";
    }

    @Override
    public double[] score(List<Rollout> rollouts, long seed) {
        List<String> captions = new ArrayList<>(rollouts.size());
        List<String> questions = new ArrayList<>(rollouts.size());
        List<String> golds = new ArrayList<>(rollouts.size());
        for (Rollout r : rollouts) {
            captions.add(r.text());
            questions.add(r.task().question());
            golds.add(r.task().answer());
        }
        if (expected) return source.answerProbability(captions, questions, golds);
        List<List<Answer>> answers = source.answer(captions, questions, k, temperature, seed);
        double[] out = new double[rollouts.size()];
        for (int i = 0; i < out.length; i++) out[i] = meanCorrect(rollouts.get(i).task(), answers.get(i));
        return out;
    }

    /** The fraction of answers that the verifier accepts for the task. */
    public static double meanCorrect(TaskItem task, List<Answer> answers) {
        int correct = 0;
        for (Answer a : answers) if (isCorrect(task, a.text())) correct++;
        return answers.isEmpty() ? 0 : correct / (double) answers.size();
    }

    public static boolean isCorrect(TaskItem task, String completion) {
        return AnswerVerifier.verify(Prompts.answerLine(completion), task).correct();
    }
}

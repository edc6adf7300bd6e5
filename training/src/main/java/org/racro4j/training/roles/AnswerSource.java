package org.racro4j.training.roles;

import java.util.List;

/**
 * Whoever answers questions from captions: the frozen reasoner (RACRO) or the policy itself in its Solver role
 * (PRCO). Returns k answers per (caption, question).
 */
public interface AnswerSource {
    String name();

    List<List<Answer>> answer(List<String> captions, List<String> questions, int k, float temperature, long seed);

    /**
     * The probability that this source, sampling at temperature 1, writes exactly {@code answers[i]} (then stops)
     * after caption i and question i: the k → ∞ limit of the fraction of correct answers among k samples.
     */
    double[] answerProbability(List<String> captions, List<String> questions, List<String> answers);
}

package org.racro4j.training.verify;

/** The answer format a prompt asks for. */
public enum AnswerFormat {
    /** the answer in {@code \boxed{...}} (the reasoner prompt of RACRO) */
    BOXED,
    /** a line {@code answer : x} (the tokenised style of the built-in vocabulary) */
    ANSWER_LINE,
    /** either of the two */
    EITHER
}

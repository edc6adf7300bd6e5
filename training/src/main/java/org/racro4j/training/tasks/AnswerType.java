package org.racro4j.training.tasks;

/** How an answer is compared: as a number (with tolerance), as a normalised word, or as yes/no. */
public enum AnswerType {
    NUMBER,
    WORD,
    YES_NO
}

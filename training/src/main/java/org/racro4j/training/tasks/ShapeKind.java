package org.racro4j.training.tasks;

import java.util.Locale;

/** The object shapes of the shapes scene. */
public enum ShapeKind {
    CIRCLE,
    SQUARE,
    TRIANGLE;

    /** The vocabulary word, e.g. "circle". */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The plural vocabulary word, e.g. "circles". */
    public String plural() {
        return word() + "s";
    }
}

package org.racro4j.training.tasks;

import java.util.Locale;

/** Where an arrow points, in clockwise order so that a quarter turn clockwise is the next constant. */
public enum ArrowDirection {
    UP(0, -1),
    RIGHT(1, 0),
    DOWN(0, 1),
    LEFT(-1, 0);

    /** The unit step in image coordinates (y grows downwards). */
    final int dx;
    final int dy;

    ArrowDirection(int dx, int dy) {
        this.dx = dx;
        this.dy = dy;
    }

    /** The direction after {@code quarterTurns} quarter turns clockwise. */
    ArrowDirection turned(int quarterTurns) {
        return values()[Math.floorMod(ordinal() + quarterTurns, values().length)];
    }

    /** The vocabulary word, e.g. "up". */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}

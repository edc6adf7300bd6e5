package org.racro4j.training.tasks;

import java.util.Locale;

/** A kind of procedurally rendered image; each family has its own question categories. */
public enum TaskFamily {
    SHAPES,
    BAR_CHART,
    CLOCK,
    GRID_PATH,
    MAZE,
    KNIGHT,
    ARROW;

    /** The id stored in {@link TaskItem#family()}, e.g. "bar_chart". */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

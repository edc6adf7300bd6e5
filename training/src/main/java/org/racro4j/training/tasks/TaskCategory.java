package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A question category of a built-in family. Metrics are reported per category. */
public enum TaskCategory {
    COUNT_COLOR(TaskFamily.SHAPES),
    COUNT_SHAPE(TaskFamily.SHAPES),
    COMPARE_COUNTS(TaskFamily.SHAPES),
    ATTRIBUTE(TaskFamily.SHAPES),
    SPATIAL(TaskFamily.SHAPES),
    ARITHMETIC(TaskFamily.SHAPES),
    CHART_VALUE(TaskFamily.BAR_CHART),
    CHART_COMPARE(TaskFamily.BAR_CHART),
    CHART_SUM(TaskFamily.BAR_CHART),
    CLOCK_HOUR(TaskFamily.CLOCK),
    CLOCK_LATER(TaskFamily.CLOCK),
    GRID_STEPS(TaskFamily.GRID_PATH),
    MAZE_STEPS(TaskFamily.MAZE),
    KNIGHT_MOVES(TaskFamily.KNIGHT),
    ARROW_TURN(TaskFamily.ARROW);

    private final TaskFamily family;

    TaskCategory(TaskFamily family) {
        this.family = family;
    }

    public TaskFamily family() {
        return family;
    }

    /** The id stored in {@link TaskItem#category()}, e.g. "count_color". */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TaskCategory fromId(String id) {
        for (TaskCategory category : values()) {
            if (category.id().equals(id)) {
                return category;
            }
        }
        throw new IllegalArgumentException("unknown task category: " + id);
    }

    public static List<TaskCategory> of(TaskFamily family) {
        List<TaskCategory> categories = new ArrayList<>();
        for (TaskCategory category : values()) {
            if (category.family == family) {
                categories.add(category);
            }
        }
        return categories;
    }
}

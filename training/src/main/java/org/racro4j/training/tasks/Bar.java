package org.racro4j.training.tasks;

/** One bar of a bar chart: its colour names it, its value is an integer 1–9. */
public record Bar(TaskColor color, int value) {

    public Bar {
        if (value < BarChart.MIN_VALUE || value > BarChart.MAX_VALUE) {
            throw new IllegalArgumentException("bar value out of range: " + value);
        }
    }

    /** e.g. "the red bar is 7 ." */
    public String fact() {
        return Sentences.fact("the", color.word(), "bar", "is", value);
    }
}

package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** 3–4 vertical bars of distinct colours, listed left to right (the order of the facts). */
public record BarChart(List<Bar> bars) {

    static final int MIN_VALUE = 1;
    static final int MAX_VALUE = 9;
    static final int MIN_BARS = 3;
    static final int MAX_BARS = 4;

    public BarChart {
        bars = List.copyOf(bars);
    }

    static BarChart sample(SplittableRandom random) {
        int count = MIN_BARS + random.nextInt(MAX_BARS - MIN_BARS + 1);
        List<TaskColor> colors = new ArrayList<>(List.of(TaskColor.values()));
        List<Bar> bars = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            TaskColor color = colors.remove(random.nextInt(colors.size()));
            bars.add(new Bar(color, MIN_VALUE + random.nextInt(MAX_VALUE - MIN_VALUE + 1)));
        }
        return new BarChart(bars);
    }

    public List<String> facts() {
        List<String> facts = new ArrayList<>();
        for (Bar bar : bars) {
            facts.add(bar.fact());
        }
        return facts;
    }
}

package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/** Questions about bar charts: read one value, find the unique tallest/shortest bar, add two values. */
final class BarChartTasks implements FamilyTasks {

    @Override
    public TaskContent generate(TaskCategory category, SplittableRandom random, int imageSize) {
        for (int attempt = 0; attempt < MAX_SCENE_ATTEMPTS; attempt++) {
            BarChart chart = BarChart.sample(random);
            Optional<TaskQuestion> question = ask(category, chart, random);
            if (question.isPresent()) {
                return new TaskContent(BarChartRenderer.render(chart, imageSize), chart.facts(), question.get());
            }
        }
        throw new IllegalStateException("no bar chart supports category " + category);
    }

    static Optional<TaskQuestion> ask(TaskCategory category, BarChart chart, SplittableRandom random) {
        List<Bar> bars = chart.bars();
        switch (category) {
            case CHART_VALUE -> {
                int i = random.nextInt(bars.size());
                return Optional.of(new TaskQuestion(
                        Sentences.question("what", "is", "the", "value", "of", "the", bars.get(i).color().word(), "bar"),
                        Integer.toString(bars.get(i).value()), AnswerType.NUMBER, List.of(i)));
            }
            case CHART_COMPARE -> {
                boolean tallest = random.nextBoolean();
                Optional<TaskQuestion> first = extreme(bars, tallest);
                return first.isPresent() ? first : extreme(bars, !tallest);
            }
            case CHART_SUM -> {
                int first = random.nextInt(bars.size());
                int second = random.nextInt(bars.size() - 1);
                if (second >= first) {
                    second++;
                }
                String text = Sentences.question("what", "is", "the", "sum", "of", "the",
                        bars.get(first).color().word(), "bar", "and", "the", bars.get(second).color().word(), "bar");
                int sum = bars.get(first).value() + bars.get(second).value();
                return Optional.of(new TaskQuestion(text, Integer.toString(sum), AnswerType.NUMBER,
                        List.of(Math.min(first, second), Math.max(first, second))));
            }
            default -> throw new IllegalArgumentException("not a bar chart category: " + category);
        }
    }

    // which bar is the tallest ?  Asked only when the extreme is unique; every bar is needed to know it.
    private static Optional<TaskQuestion> extreme(List<Bar> bars, boolean tallest) {
        int best = 0;
        int ties = 0;
        for (int i = 1; i < bars.size(); i++) {
            int order = Integer.compare(bars.get(i).value(), bars.get(best).value());
            if (!tallest) {
                order = -order;
            }
            if (order > 0) {
                best = i;
                ties = 0;
            } else if (order == 0) {
                ties++;
            }
        }
        if (ties > 0) {
            return Optional.empty();
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < bars.size(); i++) {
            all.add(i);
        }
        return Optional.of(new TaskQuestion(
                Sentences.question("which", "bar", "is", "the", tallest ? "tallest" : "shortest"),
                bars.get(best).color().word(), AnswerType.WORD, all));
    }
}

package org.racro4j.training.tasks;

import java.util.List;
import java.util.SplittableRandom;

/** Questions about clocks: read the hour, or add 1–11 hours to it (wrapping at 12). */
final class ClockTasks implements FamilyTasks {

    @Override
    public TaskContent generate(TaskCategory category, SplittableRandom random, int imageSize) {
        ClockFace clock = ClockFace.sample(random);
        TaskQuestion question = switch (category) {
            case CLOCK_HOUR -> new TaskQuestion(Sentences.question("what", "hour", "does", "the", "clock", "show"),
                    Integer.toString(clock.hour()), AnswerType.NUMBER, List.of(0));
            case CLOCK_LATER -> {
                int hours = 1 + random.nextInt(11);
                yield new TaskQuestion(
                        Sentences.question("what", "hour", "will", "it", "be", "in", hours, hours == 1 ? "hour" : "hours"),
                        Integer.toString(ClockFace.hourAfter(clock.hour(), hours)), AnswerType.NUMBER, List.of(0));
            }
            default -> throw new IllegalArgumentException("not a clock category: " + category);
        };
        return new TaskContent(ClockRenderer.render(clock, imageSize), List.of(clock.fact()), question);
    }
}

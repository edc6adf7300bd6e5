package org.racro4j.training.tasks;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The arrow puzzle: two arrows of different colours, one in each half of the image, each pointing its own way; the
 * question asks where one of them (named by its colour) will point after 1–7 quarter turns clockwise. The other
 * arrow is a distractor: only the asked arrow's fact is needed. Facts list the left arrow first.
 *
 * <p>12 ordered colour pairs × 16 direction pairs × 2 arrows to ask about × 7 turn counts give 2688 distinct
 * (question, description) keys, enough for held-out splits disjoint by content.
 */
final class ArrowTasks implements FamilyTasks {

    static final int MAX_TURNS = 7;

    @Override
    public TaskContent generate(TaskCategory category, SplittableRandom random, int imageSize) {
        if (category != TaskCategory.ARROW_TURN) {
            throw new IllegalArgumentException("not an arrow category: " + category);
        }
        TaskColor[] colors = TaskColor.values();
        TaskColor leftColor = colors[random.nextInt(colors.length)];
        TaskColor rightColor = colors[Math.floorMod(leftColor.ordinal() + 1 + random.nextInt(colors.length - 1), colors.length)];
        ArrowRenderer.Arrow left = arrow(leftColor, random);
        ArrowRenderer.Arrow right = arrow(rightColor, random);
        int asked = random.nextInt(2);
        ArrowRenderer.Arrow target = asked == 0 ? left : right;
        int turns = 1 + random.nextInt(MAX_TURNS);
        String text = Sentences.question("where", "will", "the", target.color().word(), "arrow", "point", "after", turns,
                "quarter", turns == 1 ? "turn" : "turns", "clockwise");
        TaskQuestion question = new TaskQuestion(text, target.direction().turned(turns).word(), AnswerType.WORD,
                List.of(asked));
        List<String> facts = List.of(fact(left), fact(right));
        return new TaskContent(ArrowRenderer.render(left, right, imageSize), facts, question);
    }

    private static ArrowRenderer.Arrow arrow(TaskColor color, SplittableRandom random) {
        ArrowDirection direction = ArrowDirection.values()[random.nextInt(ArrowDirection.values().length)];
        double length = 0.3 + 0.1 * random.nextDouble();
        return new ArrowRenderer.Arrow(color, direction, length, random.nextBoolean());
    }

    private static String fact(ArrowRenderer.Arrow arrow) {
        return Sentences.fact("the", arrow.color().word(), "arrow", "points", arrow.direction().word());
    }
}

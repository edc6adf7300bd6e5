package org.racro4j.training.tasks;

import java.util.List;
import java.util.SplittableRandom;

/** The arrow puzzle: where one arrow points after 1–7 quarter turns clockwise. */
final class ArrowTasks implements FamilyTasks {

    static final int MAX_TURNS = 7;

    @Override
    public TaskContent generate(TaskCategory category, SplittableRandom random, int imageSize) {
        if (category != TaskCategory.ARROW_TURN) {
            throw new IllegalArgumentException("not an arrow category: " + category);
        }
        ArrowDirection direction = ArrowDirection.values()[random.nextInt(ArrowDirection.values().length)];
        int turns = 1 + random.nextInt(MAX_TURNS);
        String text = Sentences.question("where", "will", "the", "arrow", "point", "after", turns, "quarter",
                turns == 1 ? "turn" : "turns", "clockwise");
        TaskQuestion question = new TaskQuestion(text, direction.turned(turns).word(), AnswerType.WORD, List.of(0));
        List<String> facts = List.of(Sentences.fact("the", "arrow", "points", direction.word()));
        double length = 0.3 + 0.15 * random.nextDouble();
        boolean thick = random.nextBoolean();
        return new TaskContent(ArrowRenderer.render(direction, length, thick, imageSize), facts, question);
    }
}

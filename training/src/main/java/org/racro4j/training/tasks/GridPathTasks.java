package org.racro4j.training.tasks;

import java.util.List;
import java.util.SplittableRandom;

/** The grid-path puzzle: the number of steps between the green and the red cell (Manhattan distance). */
final class GridPathTasks implements FamilyTasks {

    @Override
    public TaskContent generate(TaskCategory category, SplittableRandom random, int imageSize) {
        if (category != TaskCategory.GRID_STEPS) {
            throw new IllegalArgumentException("not a grid path category: " + category);
        }
        GridPuzzle puzzle = GridPuzzle.sample(random);
        // the distance is symmetric; asking both ways adds variety to the question text
        boolean fromGreen = random.nextBoolean();
        String text = Sentences.question("how", "many", "steps", "from", "the", fromGreen ? "green" : "red",
                "cell", "to", "the", fromGreen ? "red" : "green", "cell");
        TaskQuestion question = new TaskQuestion(text, Integer.toString(puzzle.steps()), AnswerType.NUMBER,
                List.of(0, 1));
        return new TaskContent(GridRenderer.render(puzzle, imageSize), puzzle.facts(), question);
    }
}

package org.racro4j.training.tasks;

import java.util.List;
import java.util.SplittableRandom;

/** The maze puzzle: the fewest steps from the green to the red cell that go around the two wall cells. */
final class MazeTasks implements FamilyTasks {

    @Override
    public TaskContent generate(TaskCategory category, SplittableRandom random, int imageSize) {
        if (category != TaskCategory.MAZE_STEPS) {
            throw new IllegalArgumentException("not a maze category: " + category);
        }
        MazePuzzle maze = MazePuzzle.sample(random);
        String text = Sentences.question("how", "many", "steps", "from", "the", "green", "cell", "to", "the", "red",
                "cell", "around", "the", "walls");
        // every fact is needed: the walls decide whether the shortest path is the Manhattan distance
        TaskQuestion question = new TaskQuestion(text, Integer.toString(maze.steps()), AnswerType.NUMBER,
                List.of(0, 1, 2, 3));
        return new TaskContent(GridRenderer.render(maze.grid(), maze.walls(), imageSize), maze.facts(), question);
    }
}

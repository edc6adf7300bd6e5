package org.racro4j.training.tasks;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A 4×4 grid with a green start cell and a different red goal cell. Rows and columns are numbered 1–4
 * from the top left, as in the facts.
 */
public record GridPuzzle(int startRow, int startColumn, int goalRow, int goalColumn) {

    static final int SIZE = 4;

    public GridPuzzle {
        for (int coordinate : new int[] {startRow, startColumn, goalRow, goalColumn}) {
            if (coordinate < 1 || coordinate > SIZE) {
                throw new IllegalArgumentException("grid coordinate out of range: " + coordinate);
            }
        }
        if (startRow == goalRow && startColumn == goalColumn) {
            throw new IllegalArgumentException("start and goal must be different cells");
        }
    }

    static GridPuzzle sample(SplittableRandom random) {
        int start = random.nextInt(SIZE * SIZE);
        int goal = random.nextInt(SIZE * SIZE - 1);
        if (goal >= start) {
            goal++;
        }
        return new GridPuzzle(start / SIZE + 1, start % SIZE + 1, goal / SIZE + 1, goal % SIZE + 1);
    }

    /** Fewest up/down/left/right moves from start to goal (the grid has no walls). */
    int steps() {
        return Math.abs(startRow - goalRow) + Math.abs(startColumn - goalColumn);
    }

    /** Green (start) first, then red (goal). */
    public List<String> facts() {
        return List.of(
                Sentences.fact("the", "green", "cell", "is", "at", "row", startRow, "column", startColumn),
                Sentences.fact("the", "red", "cell", "is", "at", "row", goalRow, "column", goalColumn));
    }
}

package org.racro4j.training.tasks;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The knight puzzle: a grid-path image read as a 4×4 chess board, the green cell a knight and the red cell its
 * target; the answer is the fewest knight moves between them. The image and facts are exactly a grid path's.
 */
final class KnightTasks implements FamilyTasks {

    private static final int SIZE = GridPuzzle.SIZE;
    private static final int[][] MOVES = {{-2, -1}, {-2, 1}, {-1, -2}, {-1, 2}, {1, -2}, {1, 2}, {2, -1}, {2, 1}};

    @Override
    public TaskContent generate(TaskCategory category, SplittableRandom random, int imageSize) {
        if (category != TaskCategory.KNIGHT_MOVES) {
            throw new IllegalArgumentException("not a knight category: " + category);
        }
        for (int attempt = 0; attempt < MAX_SCENE_ATTEMPTS; attempt++) {
            GridPuzzle puzzle = GridPuzzle.sample(random);
            int moves = moves(puzzle);
            // the 4×4 knight graph is connected, so this never resamples; the check keeps an answer of -1 out
            if (moves < 0) {
                continue;
            }
            String text = Sentences.question("how", "many", "knight", "moves", "from", "the", "green", "cell", "to",
                    "the", "red", "cell");
            TaskQuestion question = new TaskQuestion(text, Integer.toString(moves), AnswerType.NUMBER, List.of(0, 1));
            return new TaskContent(GridRenderer.render(puzzle, imageSize), puzzle.facts(), question);
        }
        throw new IllegalStateException("no reachable knight target in " + MAX_SCENE_ATTEMPTS + " attempts");
    }

    /** Fewest knight moves from the green to the red cell on the 4×4 board (breadth-first), or -1 if unreachable. */
    static int moves(GridPuzzle puzzle) {
        int[] distance = new int[SIZE * SIZE];
        Arrays.fill(distance, -1);
        int start = (puzzle.startRow() - 1) * SIZE + puzzle.startColumn() - 1;
        int goal = (puzzle.goalRow() - 1) * SIZE + puzzle.goalColumn() - 1;
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        distance[start] = 0;
        queue.add(start);
        while (!queue.isEmpty()) {
            int cell = queue.poll();
            for (int[] move : MOVES) {
                int row = cell / SIZE + move[0];
                int column = cell % SIZE + move[1];
                if (row >= 0 && row < SIZE && column >= 0 && column < SIZE && distance[row * SIZE + column] < 0) {
                    distance[row * SIZE + column] = distance[cell] + 1;
                    queue.add(row * SIZE + column);
                }
            }
        }
        return distance[goal];
    }
}

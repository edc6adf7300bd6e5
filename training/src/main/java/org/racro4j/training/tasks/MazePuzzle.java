package org.racro4j.training.tasks;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A grid path ({@link GridPuzzle}) with {@link #WALLS} wall cells that a path may not enter. Wall cells are
 * row-major indices 0–15 (index = 4·(row−1) + column−1), kept sorted so the facts come in reading order.
 */
public record MazePuzzle(GridPuzzle grid, List<Integer> walls) {

    static final int WALLS = 2;
    private static final int SIZE = GridPuzzle.SIZE;

    public MazePuzzle {
        walls = List.copyOf(walls.stream().sorted().toList());
        if (walls.size() != WALLS || walls.get(0).equals(walls.get(1))) {
            throw new IllegalArgumentException("a maze has " + WALLS + " distinct walls: " + walls);
        }
        for (int wall : walls) {
            if (wall < 0 || wall >= SIZE * SIZE || wall == index(grid.startRow(), grid.startColumn())
                    || wall == index(grid.goalRow(), grid.goalColumn())) {
                throw new IllegalArgumentException("a wall must be a free grid cell: " + wall);
            }
        }
    }

    /**
     * A maze with a path from start to goal. Two random walls rarely stand in the way (only when they block every
     * shortest path), so a coin decides first whether this maze forces a detour, and scenes are drawn until one of
     * that kind comes up: about half of the mazes need more steps than the Manhattan distance, and a model cannot
     * answer them by ignoring the walls. Within each kind the scenes are uniform.
     */
    static MazePuzzle sample(SplittableRandom random) {
        boolean detour = random.nextBoolean();
        for (int attempt = 0; attempt < FamilyTasks.MAX_SCENE_ATTEMPTS; attempt++) {
            GridPuzzle grid = GridPuzzle.sample(random);
            int start = index(grid.startRow(), grid.startColumn());
            int goal = index(grid.goalRow(), grid.goalColumn());
            // two distinct walls among the 14 free cells
            int first = random.nextInt(SIZE * SIZE);
            int second = random.nextInt(SIZE * SIZE);
            if (first == second || first == start || first == goal || second == start || second == goal) {
                continue;
            }
            MazePuzzle maze = new MazePuzzle(grid, List.of(first, second));
            int steps = maze.steps();
            if (steps > 0 && (steps > grid.steps()) == detour) {
                return maze;
            }
        }
        throw new IllegalStateException("no maze with detour=" + detour + " in " + FamilyTasks.MAX_SCENE_ATTEMPTS + " attempts");
    }

    static int index(int row, int column) {
        return (row - 1) * SIZE + column - 1;
    }

    /** Fewest up/down/left/right moves from start to goal that never enter a wall (breadth-first), or -1 if none. */
    int steps() {
        int[] distance = new int[SIZE * SIZE];
        Arrays.fill(distance, -1);
        for (int wall : walls) {
            distance[wall] = Integer.MAX_VALUE; // never entered
        }
        int start = index(grid.startRow(), grid.startColumn());
        int goal = index(grid.goalRow(), grid.goalColumn());
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        distance[start] = 0;
        queue.add(start);
        int[][] moves = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
        while (!queue.isEmpty()) {
            int cell = queue.poll();
            if (cell == goal) {
                return distance[cell];
            }
            for (int[] move : moves) {
                int row = cell / SIZE + move[0];
                int column = cell % SIZE + move[1];
                if (row >= 0 && row < SIZE && column >= 0 && column < SIZE && distance[row * SIZE + column] == -1) {
                    distance[row * SIZE + column] = distance[cell] + 1;
                    queue.add(row * SIZE + column);
                }
            }
        }
        return -1;
    }

    /** The grid path's two facts (green, then red), then one per wall in reading order. */
    public List<String> facts() {
        List<String> facts = new ArrayList<>(grid.facts());
        for (int wall : walls) {
            facts.add(Sentences.fact("a", "wall", "is", "at", "row", wall / SIZE + 1, "column", wall % SIZE + 1));
        }
        return facts;
    }
}

package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Maze answers recomputed from the pixels: the green, red and wall cells are read off the image ({@link GridPixels})
 * and the distance found by relaxing every cell until nothing changes (Bellman-Ford), not by the generator's
 * breadth-first search and never from its objects.
 */
class MazeTasksTest {

    private static final String QUESTION = "how many steps from the green cell to the red cell around the walls ?";

    @ParameterizedTest
    @ValueSource(ints = {48, 61, 96})
    void answersFactsAndDetoursAgreeWithThePixels(int size) {
        int items = 0;
        int detours = 0;
        for (long seed : new long[] {3, 17, 2024}) {
            TaskGenerator generator = new TaskGenerator(new TaskGeneratorConfig(seed, size, TaskMix.parse("maze_steps=1")));
            for (TaskItem item : generator.generate(Split.TRAIN, 150)) {
                String id = item.id() + " (seed " + seed + ", " + size + "px)";
                assertEquals("maze", item.family(), id);
                assertEquals(QUESTION, item.question(), id);
                GridPixels.Cell[] cells = GridPixels.read(item.image(), id);
                int green = GridPixels.only(cells, GridPixels.Cell.GREEN, id);
                int red = GridPixels.only(cells, GridPixels.Cell.RED, id);
                List<Integer> walls = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    if (cells[i] == GridPixels.Cell.WALL) {
                        walls.add(i);
                    }
                }
                assertEquals(2, walls.size(), id + ": walls at " + walls);

                // the facts say what the pixels show, in the documented order
                List<String> facts = new ArrayList<>();
                facts.add(cellFact("the green cell", green));
                facts.add(cellFact("the red cell", red));
                for (int wall : walls) {
                    facts.add(cellFact("a wall", wall));
                }
                assertEquals(facts, item.facts(), id);
                assertEquals(List.of(0, 1, 2, 3), item.neededFacts(), id);

                int distance = relaxedDistance(cells, green, red);
                assertTrue(distance > 0, id + ": the red cell cannot be reached");
                assertEquals(Integer.toString(distance), item.answer(), id);
                assertEquals(AnswerType.NUMBER, item.answerType(), id);
                assertEquals(Optional.of(item.answer()), FactSolver.answer(item.goldDescription(), item.question()), id);
                int manhattan = Math.abs(GridPixels.row(green) - GridPixels.row(red))
                        + Math.abs(GridPixels.column(green) - GridPixels.column(red));
                if (distance > manhattan) {
                    detours++;
                }
                items++;
            }
        }
        double share = detours / (double) items;
        assertTrue(share >= 0.3 && share <= 0.7, "share of mazes whose walls force a detour: " + share);
    }

    private static String cellFact(String subject, int cell) {
        return subject + " is at row " + GridPixels.row(cell) + " column " + GridPixels.column(cell) + " .";
    }

    /**
     * Bellman-Ford on the 4×4 grid: every cell starts at "unreachable" except the start, and each round lowers a
     * free cell to one more than its best free neighbour, until a round changes nothing. -1 if the goal stays
     * unreachable.
     */
    static int relaxedDistance(GridPixels.Cell[] cells, int start, int goal) {
        int unreachable = Integer.MAX_VALUE / 2;
        int[] distance = new int[16];
        java.util.Arrays.fill(distance, unreachable);
        distance[start] = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int cell = 0; cell < 16; cell++) {
                if (cells[cell] == GridPixels.Cell.WALL) {
                    continue;
                }
                for (int other = 0; other < 16; other++) {
                    boolean neighbours = Math.abs(cell / 4 - other / 4) + Math.abs(cell % 4 - other % 4) == 1;
                    if (neighbours && cells[other] != GridPixels.Cell.WALL && distance[other] + 1 < distance[cell]) {
                        distance[cell] = distance[other] + 1;
                        changed = true;
                    }
                }
            }
        }
        return distance[goal] >= unreachable ? -1 : distance[goal];
    }
}

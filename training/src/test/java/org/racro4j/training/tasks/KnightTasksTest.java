package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Knight answers recomputed from the pixels: the knight's (green) and the target's (red) cell are read off the
 * image ({@link GridPixels}) and the distance taken from all-pairs shortest paths (Floyd-Warshall) over the knight
 * graph, not from the generator's breadth-first search.
 */
class KnightTasksTest {

    private static final String QUESTION = "how many knight moves from the green cell to the red cell ?";
    private static final int[][] DISTANCE = floydWarshall();

    @ParameterizedTest
    @ValueSource(ints = {48, 61, 96})
    void answersAndFactsAgreeWithThePixels(int size) {
        Set<String> answers = new HashSet<>();
        for (long seed : new long[] {5, 23, 77}) {
            TaskGenerator generator = new TaskGenerator(new TaskGeneratorConfig(seed, size, TaskMix.parse("knight_moves=1")));
            for (TaskItem item : generator.generate(Split.TRAIN, 150)) {
                String id = item.id() + " (seed " + seed + ", " + size + "px)";
                assertEquals("knight", item.family(), id);
                assertEquals(QUESTION, item.question(), id);
                GridPixels.Cell[] cells = GridPixels.read(item.image(), id);
                int green = GridPixels.only(cells, GridPixels.Cell.GREEN, id);
                int red = GridPixels.only(cells, GridPixels.Cell.RED, id);
                for (GridPixels.Cell cell : cells) {
                    assertTrue(cell != GridPixels.Cell.WALL, id + ": a knight board has no walls");
                }
                assertEquals(List.of(
                        "the green cell is at row " + GridPixels.row(green) + " column " + GridPixels.column(green) + " .",
                        "the red cell is at row " + GridPixels.row(red) + " column " + GridPixels.column(red) + " ."),
                        item.facts(), id);
                assertEquals(List.of(0, 1), item.neededFacts(), id);
                assertEquals(Integer.toString(DISTANCE[green][red]), item.answer(), id);
                assertEquals(AnswerType.NUMBER, item.answerType(), id);
                assertEquals(Optional.of(item.answer()), FactSolver.answer(item.goldDescription(), item.question()), id);
                answers.add(item.answer());
            }
        }
        assertTrue(answers.size() >= 4, "too few different answers to test much: " + answers);
    }

    /** The generator never has to resample: a knight can reach every cell of the 4×4 board from every other. */
    @Test
    void everyCellReachesEveryOther() {
        for (int a = 0; a < 16; a++) {
            for (int b = 0; b < 16; b++) {
                assertTrue(DISTANCE[a][b] < 100, "cell " + a + " cannot reach cell " + b);
            }
        }
        assertEquals(1, DISTANCE[0][6], "(1,1) to (2,3)");
        assertEquals(3, DISTANCE[0][1], "(1,1) to (1,2)");
    }

    /** All-pairs knight distances on the 4×4 board, cells row-major; 100 stands for unreachable. */
    private static int[][] floydWarshall() {
        int[][] d = new int[16][16];
        for (int a = 0; a < 16; a++) {
            for (int b = 0; b < 16; b++) {
                int dr = Math.abs(a / 4 - b / 4);
                int dc = Math.abs(a % 4 - b % 4);
                d[a][b] = a == b ? 0 : dr * dc == 2 ? 1 : 100; // a knight's move: one step one way, two the other
            }
        }
        for (int k = 0; k < 16; k++) {
            for (int a = 0; a < 16; a++) {
                for (int b = 0; b < 16; b++) {
                    d[a][b] = Math.min(d[a][b], d[a][k] + d[k][b]);
                }
            }
        }
        return d;
    }
}

package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Arrow answers recomputed from the pixels: the tip is the blue pixel farthest from the image centre, its offset
 * gives the direction, and the answer comes from rotating that direction vector a quarter turn clockwise
 * ((dx, dy) → (−dy, dx) in image coordinates) once per turn, not from the generator's modular arithmetic.
 */
class ArrowTasksTest {

    private static final Pattern QUESTION = Pattern.compile("where will the arrow point after (\\d) quarter (turn|turns) clockwise \\?");
    private static final Map<List<Integer>, String> NAMES = Map.of(
            List.of(0, -1), "up", List.of(1, 0), "right", List.of(0, 1), "down", List.of(-1, 0), "left");

    @ParameterizedTest
    @ValueSource(ints = {48, 61, 96})
    void answersAndFactsAgreeWithThePixels(int size) {
        Map<String, Integer> shown = new HashMap<>();
        int[] turnsSeen = new int[8];
        for (long seed : new long[] {2, 41, 99}) {
            TaskGenerator generator = new TaskGenerator(new TaskGeneratorConfig(seed, size, TaskMix.parse("arrow_turn=1")));
            for (TaskItem item : generator.generate(Split.TRAIN, 150)) {
                String id = item.id() + " (seed " + seed + ", " + size + "px)";
                assertEquals("arrow", item.family(), id);
                Matcher question = QUESTION.matcher(item.question());
                assertTrue(question.matches(), id + ": " + item.question());
                int turns = Integer.parseInt(question.group(1));
                assertTrue(turns >= 1 && turns <= 7, id);
                assertEquals(turns == 1 ? "turn" : "turns", question.group(2), id);
                turnsSeen[turns]++;

                int[] direction = pointing(item.image(), id);
                String seen = NAMES.get(List.of(direction[0], direction[1]));
                assertEquals(List.of("the arrow points " + seen + " ."), item.facts(), id);
                assertEquals(List.of(0), item.neededFacts(), id);
                shown.merge(seen, 1, Integer::sum);

                int dx = direction[0];
                int dy = direction[1];
                for (int t = 0; t < turns; t++) {
                    int x = -dy;
                    dy = dx;
                    dx = x;
                }
                assertEquals(NAMES.get(List.of(dx, dy)), item.answer(), id);
                assertEquals(AnswerType.WORD, item.answerType(), id);
                assertEquals(Optional.of(item.answer()), FactSolver.answer(item.goldDescription(), item.question()), id);
            }
        }
        assertEquals(4, shown.size(), "directions drawn: " + shown);
        for (int t = 1; t <= 7; t++) {
            assertTrue(turnsSeen[t] > 0, "no question with " + t + " turns");
        }
    }

    /**
     * The unit direction (dx, dy) from the centre to the blue pixel farthest from it (the tip), which must lie
     * clearly along one axis; every other pixel is background.
     */
    private static int[] pointing(BufferedImage image, String id) {
        int size = image.getWidth();
        double centre = size / 2.0;
        double best = -1;
        double tipX = 0;
        double tipY = 0;
        int blue = 0;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int rgb = image.getRGB(x, y);
                if (!"blue".equals(PixelColors.name(rgb))) {
                    assertEquals(0xffffff, rgb & 0xffffff, id + ": a pixel neither blue nor background at " + x + "," + y);
                    continue;
                }
                blue++;
                double dx = x + 0.5 - centre;
                double dy = y + 0.5 - centre;
                if (dx * dx + dy * dy > best) {
                    best = dx * dx + dy * dy;
                    tipX = dx;
                    tipY = dy;
                }
            }
        }
        assertTrue(blue > size * size / 50, id + ": only " + blue + " blue pixels");
        assertTrue(Math.sqrt(best) > size / 4.0, id + ": the tip is too close to the centre");
        double major = Math.max(Math.abs(tipX), Math.abs(tipY));
        double minor = Math.min(Math.abs(tipX), Math.abs(tipY));
        assertTrue(major > 4 * minor, id + ": the tip (" + tipX + ", " + tipY + ") is not along an axis");
        return Math.abs(tipX) > Math.abs(tipY) ? new int[] {(int) Math.signum(tipX), 0} : new int[] {0, (int) Math.signum(tipY)};
    }
}

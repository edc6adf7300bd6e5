package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Arrow items recomputed from the pixels. Every pixel is background or one of the task colours (named by channel
 * pattern, {@link PixelColors}); there are two colours, one arrow each, one wholly in the left half and one wholly
 * in the right half. An arrow's direction comes from its own pixels: along the long side of its bounding box, the
 * half holding the widest cross-section (the base of the head, wider than the shaft) is the tip half. The answer
 * comes from rotating that direction vector a quarter turn clockwise ((dx, dy) → (−dy, dx) in image coordinates)
 * once per turn, not from the generator's modular arithmetic.
 */
class ArrowTasksTest {

    private static final Pattern QUESTION = Pattern.compile(
            "where will the (red|green|blue|yellow) arrow point after (\\d) quarter (turn|turns) clockwise \\?");
    private static final Map<List<Integer>, String> NAMES = Map.of(
            List.of(0, -1), "up", List.of(1, 0), "right", List.of(0, 1), "down", List.of(-1, 0), "left");

    /** What the pixels show of one arrow. */
    private record SeenArrow(String color, int minX, int maxX, int dx, int dy) {
    }

    @ParameterizedTest
    @ValueSource(ints = {48, 61, 96})
    void answersAndFactsAgreeWithThePixels(int size) {
        Set<String> leftDirections = new HashSet<>();
        Set<String> rightDirections = new HashSet<>();
        Set<String> colorPairs = new HashSet<>();
        int[] askedSeen = new int[2];
        int[] turnsSeen = new int[8];
        for (long seed : new long[] {2, 41, 99}) {
            TaskGenerator generator = new TaskGenerator(new TaskGeneratorConfig(seed, size, TaskMix.parse("arrow_turn=1")));
            for (TaskItem item : generator.generate(Split.TRAIN, 150)) {
                String id = item.id() + " (seed " + seed + ", " + size + "px)";
                assertEquals("arrow", item.family(), id);
                Matcher question = QUESTION.matcher(item.question());
                assertTrue(question.matches(), id + ": " + item.question());
                String askedColor = question.group(1);
                int turns = Integer.parseInt(question.group(2));
                assertTrue(turns >= 1 && turns <= 7, id);
                assertEquals(turns == 1 ? "turn" : "turns", question.group(3), id);
                turnsSeen[turns]++;

                List<SeenArrow> arrows = arrows(item.image(), id);
                SeenArrow left = arrows.get(0);
                SeenArrow right = arrows.get(1);
                String leftDirection = NAMES.get(List.of(left.dx(), left.dy()));
                String rightDirection = NAMES.get(List.of(right.dx(), right.dy()));
                assertEquals(List.of("the " + left.color() + " arrow points " + leftDirection + " .",
                        "the " + right.color() + " arrow points " + rightDirection + " ."), item.facts(), id);
                assertEquals(String.join(" ", item.facts()), item.goldDescription(), id);
                leftDirections.add(leftDirection);
                rightDirections.add(rightDirection);
                colorPairs.add(left.color() + "," + right.color());

                int asked = askedColor.equals(left.color()) ? 0 : 1;
                assertEquals(askedColor, arrows.get(asked).color(), id + ": the question asks about an arrow not shown");
                assertEquals(List.of(asked), item.neededFacts(), id);
                askedSeen[asked]++;

                int dx = arrows.get(asked).dx();
                int dy = arrows.get(asked).dy();
                for (int t = 0; t < turns; t++) {
                    int x = -dy;
                    dy = dx;
                    dx = x;
                }
                assertEquals(NAMES.get(List.of(dx, dy)), item.answer(), id);
                assertEquals(AnswerType.WORD, item.answerType(), id);
                assertEquals(Optional.of(item.answer()), FactSolver.answer(item.goldDescription(), item.question()), id);
                assertEquals(Optional.of(item.answer()), FactSolver.answer(item.neededDescription(), item.question()), id);
            }
        }
        assertEquals(4, leftDirections.size(), "left arrow directions drawn: " + leftDirections);
        assertEquals(4, rightDirections.size(), "right arrow directions drawn: " + rightDirections);
        assertEquals(12, colorPairs.size(), "ordered colour pairs drawn: " + colorPairs);
        assertTrue(askedSeen[0] > 0 && askedSeen[1] > 0, "asked left/right: " + askedSeen[0] + "/" + askedSeen[1]);
        for (int t = 1; t <= 7; t++) {
            assertTrue(turnsSeen[t] > 0, "no question with " + t + " turns");
        }
    }

    /**
     * 12 ordered colour pairs × 16 direction pairs × 2 asked arrows × 7 turn counts = 2688 keys. 2000 uniform draws
     * from 2688 keys give about 1411 distinct ones (2688·(1 − (1 − 1/2688)^2000), standard deviation about 15), so
     * at least 1350 are required; 10000 draws reach about 2623 of them, and never more than 2688.
     */
    @Test
    void theKeySpaceIsLarge() {
        TaskGenerator generator = new TaskGenerator(new TaskGeneratorConfig(5, 48, TaskMix.parse("arrow_turn=1")));
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 10000; i++) {
            keys.add(generator.item(Split.TRAIN, i).contentKey());
            if (i == 1999) {
                assertTrue(keys.size() >= 1350, "distinct keys among 2000 arrow items: " + keys.size());
            }
        }
        assertTrue(keys.size() >= 2580 && keys.size() <= 2688, "distinct keys among 10000 arrow items: " + keys.size());
    }

    /**
     * The two arrows, left one first. Every pixel is background or a task colour; exactly two colours appear, each
     * wholly inside one half with at least a pixel of margin to the middle and the edges.
     */
    private static List<SeenArrow> arrows(BufferedImage image, String id) {
        int size = image.getWidth();
        Map<String, List<int[]>> pixels = new LinkedHashMap<>();
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int rgb = image.getRGB(x, y);
                String name = PixelColors.name(rgb);
                if (name == null) {
                    assertEquals(0xffffff, rgb & 0xffffff, id + ": a pixel neither a task colour nor background at " + x + "," + y);
                    continue;
                }
                pixels.computeIfAbsent(name, k -> new ArrayList<>()).add(new int[] {x, y});
            }
        }
        assertEquals(2, pixels.size(), id + ": colours drawn " + pixels.keySet());
        List<SeenArrow> arrows = new ArrayList<>();
        for (Map.Entry<String, List<int[]>> e : pixels.entrySet()) {
            arrows.add(arrow(e.getKey(), e.getValue(), size, id));
        }
        arrows.sort((a, b) -> Integer.compare(a.minX(), b.minX()));
        double middle = size / 2.0;
        assertTrue(arrows.get(0).maxX() + 1 < middle - 1, id + ": the left arrow reaches the middle");
        assertTrue(arrows.get(1).minX() > middle + 1, id + ": the right arrow reaches the middle");
        return arrows;
    }

    /** One arrow's direction from its pixels: the half of its long side holding the widest cross-section is the tip. */
    private static SeenArrow arrow(String color, List<int[]> pixels, int size, String id) {
        int minX = size;
        int maxX = -1;
        int minY = size;
        int maxY = -1;
        for (int[] p : pixels) {
            minX = Math.min(minX, p[0]);
            maxX = Math.max(maxX, p[0]);
            minY = Math.min(minY, p[1]);
            maxY = Math.max(maxY, p[1]);
        }
        String what = id + ": the " + color + " arrow";
        assertTrue(minX >= 1 && minY >= 1 && maxX <= size - 2 && maxY <= size - 2, what + " touches the edge");
        int width = maxX - minX + 1;
        int height = maxY - minY + 1;
        assertTrue(pixels.size() > size * size / 200, what + " has only " + pixels.size() + " pixels");
        assertNotEquals(width, height, what + ": a square bounding box has no long side");
        boolean horizontal = width > height;
        int length = horizontal ? width : height;
        assertTrue(length >= size / 4, what + " is only " + length + " pixels long");
        int[] cross = new int[length];   // cross-section width at each position along the long side
        for (int[] p : pixels) {
            cross[horizontal ? p[0] - minX : p[1] - minY]++;
        }
        int low = 0;    // widest cross-section in the half towards smaller coordinates
        int high = 0;   // ... and towards larger ones (the middle position of an odd length belongs to neither)
        for (int i = 0; i < length / 2; i++) {
            low = Math.max(low, cross[i]);
            high = Math.max(high, cross[length - 1 - i]);
        }
        assertTrue(Math.abs(high - low) >= 2, what + ": no clearly wider half (" + low + " vs " + high + ")");
        int sign = high > low ? 1 : -1;
        return horizontal ? new SeenArrow(color, minX, maxX, sign, 0) : new SeenArrow(color, minX, maxX, 0, sign);
    }
}

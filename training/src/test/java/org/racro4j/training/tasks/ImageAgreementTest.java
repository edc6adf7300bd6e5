package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The image shows what the gold description says. Facts are read back from the text and compared with
 * measurements taken from the pixels, with colours named by channel pattern ({@link PixelColors}) rather
 * than by the renderer's palette.
 */
class ImageAgreementTest {

    private static List<TaskItem> itemsOf(TaskFamily family, int size, int count) {
        TaskGeneratorConfig config = new TaskGeneratorConfig(31 + size, size, TaskMix.byFamily(Map.of(family, 1.0)));
        return new TaskGenerator(config).generate(Split.TRAIN, count);
    }

    @ParameterizedTest
    @ValueSource(ints = {48, 64, 96})
    void shapesSceneShowsEachDescribedObjectInItsCell(int size) {
        for (TaskItem item : itemsOf(TaskFamily.SHAPES, size, 600)) {
            BufferedImage image = item.image();
            SceneFacts facts = SceneFacts.parse(item.goldDescription());
            assertEquals(item.facts().size(), facts.objects().size(), item.id());
            double cell = size / 3.0;
            Set<Integer> occupied = new HashSet<>();
            Map<String, Integer> describedPixels = new HashMap<>();
            for (SceneFacts.ObjectFact object : facts.objects()) {
                occupied.add(object.row() * 3 + object.column());
                int cx = (int) ((object.column() + 0.5) * cell);
                int cy = (int) ((object.row() + 0.5) * cell);
                assertEquals(object.color(), PixelColors.name(image.getRGB(cx, cy)),
                        item.id() + ": colour at the centre of " + object);
                // shape: how much of its bounding box the object's pixels fill
                int minX = Integer.MAX_VALUE;
                int minY = Integer.MAX_VALUE;
                int maxX = -1;
                int maxY = -1;
                int count = 0;
                for (int y = (int) (object.row() * cell); y < (int) ((object.row() + 1) * cell); y++) {
                    for (int x = (int) (object.column() * cell); x < (int) ((object.column() + 1) * cell); x++) {
                        if (object.color().equals(PixelColors.name(image.getRGB(x, y)))) {
                            count++;
                            minX = Math.min(minX, x);
                            maxX = Math.max(maxX, x);
                            minY = Math.min(minY, y);
                            maxY = Math.max(maxY, y);
                        }
                    }
                }
                double fill = count / (double) ((maxX - minX + 1) * (maxY - minY + 1));
                String shape = fill > 0.92 ? "square" : fill > 0.65 ? "circle" : "triangle";
                assertEquals(object.shape(), shape, item.id() + ": fill " + fill + " of " + object);
                describedPixels.merge(object.color(), count, Integer::sum);
            }
            // nothing coloured outside the described objects' cells: no hidden extra object
            Map<String, Integer> allPixels = new HashMap<>();
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    String name = PixelColors.name(image.getRGB(x, y));
                    if (name != null) {
                        allPixels.merge(name, 1, Integer::sum);
                    }
                }
            }
            assertEquals(describedPixels, allPixels, item.id());
            for (int c = 0; c < 9; c++) {
                if (!occupied.contains(c)) {
                    int cx = (int) ((c % 3 + 0.5) * cell);
                    int cy = (int) ((c / 3 + 0.5) * cell);
                    assertNull(PixelColors.name(image.getRGB(cx, cy)), item.id() + ": empty cell " + c + " is coloured");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {48, 64, 96})
    void barHeightsInPixelsMatchTheirValues(int size) {
        Set<Integer> unitsSeen = new HashSet<>();
        for (TaskItem item : itemsOf(TaskFamily.BAR_CHART, size, 400)) {
            BufferedImage image = item.image();
            List<SceneFacts.BarFact> bars = SceneFacts.parse(item.goldDescription()).bars();
            assertEquals(item.facts().size(), bars.size(), item.id());
            double previousCentre = -1;
            int baseline = -1;
            for (SceneFacts.BarFact bar : bars) {
                // the bar's columns, then its height in its middle column
                int left = -1;
                int right = -1;
                for (int x = 0; x < size; x++) {
                    for (int y = 0; y < size; y++) {
                        if (bar.color().equals(PixelColors.name(image.getRGB(x, y)))) {
                            if (left < 0) {
                                left = x;
                            }
                            right = x;
                            break;
                        }
                    }
                }
                if (left < 0) {
                    fail(item.id() + ": no " + bar.color() + " bar");
                }
                int middle = (left + right) / 2;
                int top = -1;
                int bottom = -1;
                for (int y = 0; y < size; y++) {
                    if (bar.color().equals(PixelColors.name(image.getRGB(middle, y)))) {
                        top = top < 0 ? y : top;
                        bottom = y;
                    }
                }
                int height = bottom - top + 1;
                assertEquals(0, height % bar.value(), item.id() + ": height " + height + " for value " + bar.value());
                unitsSeen.add(height / bar.value());
                assertTrue(middle > previousCentre, item.id() + ": facts are not in left-to-right order");
                previousCentre = middle;
                if (baseline >= 0) {
                    assertEquals(baseline, bottom + 1, item.id() + ": bars stand on different baselines");
                }
                baseline = bottom + 1;
                assertTrue(PixelColors.luma(image.getRGB(middle, baseline)) < 100, item.id() + ": no baseline");
            }
        }
        // one pixel scale per image size: a value is readable from the height alone
        assertEquals(1, unitsSeen.size(), "units " + unitsSeen);
        assertTrue(unitsSeen.iterator().next() >= size / 12, "unit too small to read: " + unitsSeen);
    }

    @ParameterizedTest
    @ValueSource(ints = {48, 64, 96})
    void clockHandPointsAtTheDescribedHour(int size) {
        int background = ClockRenderer.BACKGROUND.getRGB();
        for (TaskItem item : itemsOf(TaskFamily.CLOCK, size, 300)) {
            BufferedImage image = item.image();
            int hour = SceneFacts.parse(item.goldDescription()).clockHours().get(0);
            // centre of the face: centroid of every pixel that is not background (the disk is symmetric)
            double sumX = 0;
            double sumY = 0;
            int n = 0;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    if (image.getRGB(x, y) != background) {
                        sumX += x + 0.5;
                        sumY += y + 0.5;
                        n++;
                    }
                }
            }
            double cx = sumX / n;
            double cy = sumY / n;
            // the hand: dark pixels away from the centre
            double dirX = 0;
            double dirY = 0;
            int handPixels = 0;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double dx = x + 0.5 - cx;
                    double dy = y + 0.5 - cy;
                    double distance = Math.hypot(dx, dy);
                    if (PixelColors.luma(image.getRGB(x, y)) < 60 && distance > size * 0.06) {
                        dirX += dx / distance;
                        dirY += dy / distance;
                        handPixels++;
                    }
                }
            }
            assertTrue(handPixels >= size / 8, item.id() + ": hand has " + handPixels + " pixels");
            double measured = Math.toDegrees(Math.atan2(dirX, -dirY)); // 0 = up, 90 = right
            double expected = hour * 30.0;
            double error = Math.abs(((measured - expected) % 360 + 540) % 360 - 180);
            assertTrue(error < 10, item.id() + ": hand at " + measured + " degrees, expected " + expected);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {48, 64, 96})
    void gridCellsAreColouredWhereDescribed(int size) {
        for (TaskItem item : itemsOf(TaskFamily.GRID_PATH, size, 300)) {
            BufferedImage image = item.image();
            List<SceneFacts.CellFact> cells = SceneFacts.parse(item.goldDescription()).cells();
            assertEquals(2, cells.size(), item.id());
            for (SceneFacts.CellFact cell : cells) {
                double sumX = 0;
                double sumY = 0;
                int n = 0;
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        if (cell.color().equals(PixelColors.name(image.getRGB(x, y)))) {
                            sumX += x + 0.5;
                            sumY += y + 0.5;
                            n++;
                        }
                    }
                }
                int side = size / 4;
                assertTrue(n > (side - 4) * (side - 4) && n <= side * side, item.id() + ": " + n + " " + cell.color() + " pixels");
                int column = (int) (sumX / n * 4 / size) + 1;
                int row = (int) (sumY / n * 4 / size) + 1;
                assertEquals(cell.row(), row, item.id() + ": row of the " + cell.color() + " cell");
                assertEquals(cell.column(), column, item.id() + ": column of the " + cell.color() + " cell");
            }
        }
    }
}

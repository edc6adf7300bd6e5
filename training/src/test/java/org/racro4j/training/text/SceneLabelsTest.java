package org.racro4j.training.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;

class SceneLabelsTest {
    static final List<TaskItem> ITEMS = new TaskGenerator(11).generate(Split.TRAIN, 300);

    /**
     * For shapes scenes the labels are checked against the pixels: a cell labelled empty is all background, a cell
     * labelled with an object has pixels of that object's colour (red, green, blue or yellow: the dominant channels).
     */
    @Test
    void shapeCellLabelsAgreeWithThePixels() {
        int checked = 0;
        for (TaskItem t : ITEMS) {
            if (!t.family().equals("shapes")) continue;
            long[] y = SceneLabels.of(t);
            int cell = t.image().getWidth() / 3;
            for (int s = 0; s < 9; s++) {
                String color = dominantColor(t.image(), (s % 3) * cell, (s / 3) * cell, cell);
                String want = y[s] == 0 ? "none" : List.of("red", "green", "blue", "yellow").get((int) (y[s] - 1) / 3);
                assertEquals(want, color, t.id() + " cell " + s);
                checked++;
            }
            for (int s = 9; s < SceneLabels.SLOTS; s++) assertEquals(SceneLabels.IGNORE, y[s]);
        }
        assertTrue(checked > 500);
    }

    /**
     * The word-alignment targets name, per cell, the colour seen in that cell's pixels (and agree with the class
     * label on the shape); empty cells are null and other families have none.
     */
    @Test
    void cellWordsAgreeWithThePixelsAndTheLabels() {
        int named = 0;
        for (TaskItem t : ITEMS) {
            String[][] words = SceneLabels.cellWords(t);
            if (!t.family().equals("shapes")) {
                assertEquals(null, words, t.id());
                continue;
            }
            long[] y = SceneLabels.of(t);
            int cell = t.image().getWidth() / 3;
            for (int s = 0; s < 9; s++) {
                String color = dominantColor(t.image(), (s % 3) * cell, (s / 3) * cell, cell);
                if (words[s] == null) {
                    assertEquals("none", color, t.id() + " cell " + s);
                    continue;
                }
                assertEquals(color, words[s][0], t.id() + " cell " + s);
                assertEquals(List.of("circle", "square", "triangle").get((int) (y[s] - 1) % 3), words[s][1], t.id() + " cell " + s);
                assertEquals(words[s][1] + "s", words[s][2]);
                assertEquals(List.of("top", "middle", "bottom").get(s / 3), words[s][3], t.id() + " cell " + s);
                assertEquals(List.of("left", "center", "right").get(s % 3), words[s][4], t.id() + " cell " + s);
                named++;
            }
        }
        assertTrue(named > 300);
    }

    /** Bar, clock and grid labels carry exactly the values of the facts. */
    @Test
    void otherFamiliesEncodeTheirFacts() {
        for (TaskItem t : ITEMS) {
            long[] y = SceneLabels.of(t);
            switch (t.family()) {
                case "bar_chart" -> {
                    int bars = 0;
                    for (int s = 9; s < 13; s++) if (y[s] > 0) bars++;
                    assertEquals(t.facts().size(), bars, t.goldDescription());
                    for (String f : t.facts()) {
                        String[] w = f.split(" ");
                        assertEquals(Long.parseLong(w[4]), y[9 + List.of("red", "green", "blue", "yellow").indexOf(w[1])], f);
                    }
                }
                case "clock" -> assertEquals(Long.parseLong(t.facts().get(0).split(" ")[3]), y[13]);
                case "grid_path", "knight" -> {
                    assertTrue(y[14] >= 1 && y[14] <= 16 && y[15] >= 1 && y[15] <= 16 && y[14] != y[15]);
                    for (int s = 16; s < SceneLabels.SLOTS; s++) assertEquals(SceneLabels.IGNORE, y[s]);
                }
                case "maze" -> {
                    assertTrue(y[14] >= 1 && y[14] <= 16 && y[15] >= 1 && y[15] <= 16 && y[14] != y[15]);
                    int walls = 0;
                    for (int s = 16; s < 32; s++) {
                        assertTrue(y[s] == 0 || y[s] == 1, t.id());
                        if (y[s] == 1) {
                            walls++;
                            assertTrue(s - 15 != y[14] && s - 15 != y[15], t.id() + ": a wall on the green or red cell");
                        }
                    }
                    assertEquals(t.facts().size() - 2, walls, t.goldDescription());
                    for (String f : t.facts().subList(2, t.facts().size())) {
                        String[] w = f.split(" ");
                        assertEquals(1, y[16 + 4 * (Integer.parseInt(w[5]) - 1) + Integer.parseInt(w[7]) - 1], f);
                    }
                    for (int s = 32; s < SceneLabels.SLOTS; s++) assertEquals(SceneLabels.IGNORE, y[s]);
                }
                case "arrow" -> {
                    List<String> colors = List.of("red", "green", "blue", "yellow");
                    long[] want = new long[4];
                    for (String f : t.facts()) {
                        String[] w = f.split(" ");
                        want[colors.indexOf(w[1])] = 1 + List.of("up", "right", "down", "left").indexOf(w[4]);
                    }
                    int arrows = 0;
                    for (int c = 0; c < 4; c++) {
                        assertEquals(want[c], y[32 + c], t.goldDescription());
                        if (y[32 + c] > 0) arrows++;
                    }
                    assertEquals(2, arrows, t.goldDescription());
                    for (int s = 0; s < 32; s++) assertEquals(SceneLabels.IGNORE, y[s]);
                }
                default -> { }
            }
        }
    }

    /** The saturated task colour covering most non-background pixels of a cell, or "none". */
    private static String dominantColor(BufferedImage img, int x0, int y0, int size) {
        int[] counts = new int[4];
        for (int y = y0; y < y0 + size; y++) {
            for (int x = x0; x < x0 + size; x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) < 80) continue;   // grey: background
                if (r > 150 && g > 150 && b < 100) counts[3]++;
                else if (r >= g && r >= b) counts[0]++;
                else if (g >= r && g >= b) counts[1]++;
                else counts[2]++;
            }
        }
        int best = 0;
        for (int i = 1; i < 4; i++) if (counts[i] > counts[best]) best = i;
        return counts[best] < 10 ? "none" : List.of("red", "green", "blue", "yellow").get(best);
    }
}

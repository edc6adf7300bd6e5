package org.racro4j.training.text;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.racro4j.training.tasks.TaskItem;

/**
 * The structure of a built-in scene as classification targets, read from its facts: what the vision encoder is
 * pre-trained to see before it learns to caption. 36 slots, each with up to 16 classes (0 = nothing there):
 * <ul>
 * <li>slots 0–8, shapes: the object in each cell of the 3×3 grid (row-major): 1 + 3·colour + shape</li>
 * <li>slots 9–12, bar charts: the value (1–9) of the red, green, blue and yellow bar</li>
 * <li>slot 13, clocks: the hour (1–12)</li>
 * <li>slots 14–15, grid paths, mazes and knight boards: the green and the red cell (1 + 4·(row−1) + column−1)</li>
 * <li>slots 16–31, mazes: each cell of the 4×4 grid (row-major), 1 for a wall, 0 for a free cell</li>
 * <li>slots 32–35, arrows: the direction of the red, green, blue and yellow arrow, 1–4 for up, right, down, left,
 * or 0 when there is no arrow of that colour (so each direction is tied to its arrow's colour)</li>
 * </ul>
 * Slots of other families are -100 (ignored by the loss).
 */
public final class SceneLabels {
    public static final int SLOTS = 36;
    public static final int CLASSES = 17;
    public static final int IGNORE = -100;

    private static final List<String> COLORS = List.of("red", "green", "blue", "yellow");
    private static final List<String> SHAPES = List.of("circle", "square", "triangle");
    private static final List<String> ROWS = List.of("top", "middle", "bottom");
    private static final List<String> COLUMNS = List.of("left", "center", "right");
    private static final Pattern SHAPE = Pattern.compile("(\\w+) (\\w+) at (\\w+) (\\w+) \\.");
    private static final Pattern BAR = Pattern.compile("the (\\w+) bar is (\\d+) \\.");
    private static final Pattern CLOCK = Pattern.compile("the clock shows (\\d+) o'clock \\.");
    private static final Pattern CELL = Pattern.compile("the (green|red) cell is at row (\\d) column (\\d) \\.");
    private static final Pattern WALL = Pattern.compile("a wall is at row (\\d) column (\\d) \\.");
    private static final Pattern ARROW = Pattern.compile("the (\\w+) arrow points (up|right|down|left) \\.");
    private static final List<String> DIRECTIONS = List.of("up", "right", "down", "left");

    private SceneLabels() {}

    /** The 36 slot labels of an item (all IGNORE for items without built-in facts). */
    public static long[] of(TaskItem item) {
        long[] y = new long[SLOTS];
        Arrays.fill(y, IGNORE);
        switch (item.family()) {
            case "shapes" -> {
                for (int s = 0; s < 9; s++) y[s] = 0;
                for (String f : item.facts()) {
                    Matcher m = match(SHAPE, f);
                    y[cell(m)] = 1 + 3 * COLORS.indexOf(m.group(1)) + SHAPES.indexOf(m.group(2));
                }
            }
            case "bar_chart" -> {
                for (int s = 9; s < 13; s++) y[s] = 0;
                for (String f : item.facts()) {
                    Matcher m = match(BAR, f);
                    y[9 + COLORS.indexOf(m.group(1))] = Integer.parseInt(m.group(2));
                }
            }
            case "clock" -> y[13] = Integer.parseInt(match(CLOCK, item.facts().get(0)).group(1));
            case "grid_path", "knight" -> {
                for (String f : item.facts()) gridCell(y, match(CELL, f));
            }
            case "maze" -> {
                for (int s = 16; s < 32; s++) y[s] = 0;
                for (String f : item.facts()) {
                    Matcher cell = CELL.matcher(f);
                    if (cell.matches()) {
                        gridCell(y, cell);
                    } else {
                        Matcher m = match(WALL, f);
                        y[16 + 4 * (Integer.parseInt(m.group(1)) - 1) + Integer.parseInt(m.group(2)) - 1] = 1;
                    }
                }
            }
            case "arrow" -> {
                for (int s = 32; s < 36; s++) y[s] = 0;
                for (String f : item.facts()) {
                    Matcher m = match(ARROW, f);
                    y[32 + COLORS.indexOf(m.group(1))] = 1 + DIRECTIONS.indexOf(m.group(2));
                }
            }
            default -> {
                // external items: nothing to learn from here
            }
        }
        return y;
    }

    /**
     * The words naming each cell's object in a shapes scene, row-major over the 3×3 grid: {colour, shape, shape in
     * the plural (how questions about counts name it), row, column}, or null for an empty cell. Null for items of
     * other families.
     */
    public static String[][] cellWords(TaskItem item) {
        if (!item.family().equals("shapes")) return null;
        String[][] cells = new String[9][];
        for (String f : item.facts()) {
            Matcher m = match(SHAPE, f);
            cells[cell(m)] = new String[] {m.group(1), m.group(2), m.group(2) + "s", m.group(3), m.group(4)};
        }
        return cells;
    }

    /** Sets slot 14 (green) or 15 (red) from a matched grid cell fact. */
    private static void gridCell(long[] y, Matcher cellFact) {
        y[cellFact.group(1).equals("green") ? 14 : 15] =
                1 + 4 * (Integer.parseInt(cellFact.group(2)) - 1) + Integer.parseInt(cellFact.group(3)) - 1;
    }

    /** The row-major index in the 3×3 grid of a matched shape fact's cell. */
    private static int cell(Matcher shapeFact) {
        return ROWS.indexOf(shapeFact.group(3)) * 3 + COLUMNS.indexOf(shapeFact.group(4));
    }

    private static Matcher match(Pattern p, String fact) {
        Matcher m = p.matcher(fact);
        if (!m.matches()) throw new IllegalArgumentException("scene labels: unexpected fact '" + fact + "'");
        return m;
    }
}

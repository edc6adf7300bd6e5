package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The facts of the built-in families read back from text, by their word patterns alone. Reading is
 * lenient so it also works on captions: patterns are found anywhere in the text (e.g. "there is a red
 * circle at top left"), unrelated words are ignored, and a repeated or contradicting statement about the
 * same cell, bar, clock, coloured grid cell, wall or arrow colour keeps the first one.
 *
 * <p>Rows and columns of shapes are 0-based (top/left = 0); grid cells are 1-based, as in the text.
 */
public record SceneFacts(List<ObjectFact> objects, List<BarFact> bars, List<Integer> clockHours,
                         List<CellFact> cells, List<WallFact> walls, List<ArrowFact> arrows) {

    public record ObjectFact(String color, String shape, int row, int column) {
    }

    public record BarFact(String color, int value) {
    }

    public record CellFact(String color, int row, int column) {
    }

    /** A maze wall cell, 1-based like the grid cells. */
    public record WallFact(int row, int column) {
    }

    /** An arrow of some colour and the direction it points: up, right, down or left. */
    public record ArrowFact(String color, String direction) {
    }

    static final Set<String> COLORS = Set.of("red", "green", "blue", "yellow");
    static final Set<String> SHAPES = Set.of("circle", "square", "triangle");
    static final Set<String> DIRECTIONS = Set.of("up", "right", "down", "left");
    private static final Map<String, Integer> ROWS = Map.of("top", 0, "middle", 1, "bottom", 2);
    private static final Map<String, Integer> COLUMNS = Map.of("left", 0, "center", 1, "right", 2);

    public SceneFacts {
        objects = List.copyOf(objects);
        bars = List.copyOf(bars);
        clockHours = List.copyOf(clockHours);
        cells = List.copyOf(cells);
        walls = List.copyOf(walls);
        arrows = List.copyOf(arrows);
    }

    public static SceneFacts parse(String text) {
        String[] w = text.trim().toLowerCase(java.util.Locale.ROOT).split("\\s+");
        List<ObjectFact> objects = new ArrayList<>();
        Set<Integer> objectCells = new HashSet<>();
        List<BarFact> bars = new ArrayList<>();
        Set<String> barColors = new HashSet<>();
        List<Integer> clockHours = new ArrayList<>();
        List<CellFact> cells = new ArrayList<>();
        Set<String> cellColors = new HashSet<>();
        List<WallFact> walls = new ArrayList<>();
        List<ArrowFact> arrows = new ArrayList<>();
        Set<String> arrowColors = new HashSet<>();
        for (int i = 0; i < w.length; i++) {
            // <color> <shape> at <row> <column>
            if (i + 4 < w.length && COLORS.contains(w[i]) && SHAPES.contains(w[i + 1]) && w[i + 2].equals("at")
                    && ROWS.containsKey(w[i + 3]) && COLUMNS.containsKey(w[i + 4])) {
                int row = ROWS.get(w[i + 3]);
                int column = COLUMNS.get(w[i + 4]);
                if (objectCells.add(row * 3 + column)) {
                    objects.add(new ObjectFact(w[i], w[i + 1], row, column));
                }
            }
            // <color> bar is <n>
            if (i + 3 < w.length && COLORS.contains(w[i]) && w[i + 1].equals("bar") && w[i + 2].equals("is")
                    && isNumber(w[i + 3]) && barColors.add(w[i])) {
                bars.add(new BarFact(w[i], Integer.parseInt(w[i + 3])));
            }
            // clock shows <n> o'clock
            if (i + 3 < w.length && w[i].equals("clock") && w[i + 1].equals("shows") && isNumber(w[i + 2])
                    && w[i + 3].equals("o'clock") && clockHours.isEmpty()) {
                clockHours.add(Integer.parseInt(w[i + 2]));
            }
            // <green|red> cell is at row <r> column <c>
            if (i + 7 < w.length && (w[i].equals("green") || w[i].equals("red")) && w[i + 1].equals("cell")
                    && w[i + 2].equals("is") && w[i + 3].equals("at") && w[i + 4].equals("row")
                    && isNumber(w[i + 5]) && w[i + 6].equals("column") && isNumber(w[i + 7])
                    && cellColors.add(w[i])) {
                cells.add(new CellFact(w[i], Integer.parseInt(w[i + 5]), Integer.parseInt(w[i + 7])));
            }
            // wall is at row <r> column <c>
            if (i + 6 < w.length && w[i].equals("wall") && w[i + 1].equals("is") && w[i + 2].equals("at")
                    && w[i + 3].equals("row") && isNumber(w[i + 4]) && w[i + 5].equals("column") && isNumber(w[i + 6])) {
                WallFact wall = new WallFact(Integer.parseInt(w[i + 4]), Integer.parseInt(w[i + 6]));
                if (!walls.contains(wall)) {
                    walls.add(wall);
                }
            }
            // <color> arrow points <direction>
            if (i + 3 < w.length && COLORS.contains(w[i]) && w[i + 1].equals("arrow") && w[i + 2].equals("points")
                    && DIRECTIONS.contains(w[i + 3]) && arrowColors.add(w[i])) {
                arrows.add(new ArrowFact(w[i], w[i + 3]));
            }
        }
        return new SceneFacts(objects, bars, clockHours, cells, walls, arrows);
    }

    private static boolean isNumber(String word) {
        if (word.isEmpty() || word.length() > 3) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            if (word.charAt(i) < '0' || word.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}

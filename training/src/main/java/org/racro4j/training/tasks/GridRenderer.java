package org.racro4j.training.tasks;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Draws a 4×4 grid with grey lines, the start cell filled green, the goal cell filled red and, for mazes, the wall
 * cells filled near-black (far from the grey lines and from every task colour).
 */
public final class GridRenderer {

    static final Color BACKGROUND = Color.WHITE;
    static final Color LINES = new Color(120, 120, 120);
    static final Color WALL = new Color(30, 30, 30);

    private GridRenderer() {
    }

    public static BufferedImage render(GridPuzzle puzzle, int size) {
        return render(puzzle, List.of(), size);
    }

    /** The grid with these wall cells (row-major indices 0–15) filled {@link #WALL}. */
    public static BufferedImage render(GridPuzzle puzzle, List<Integer> walls, int size) {
        BufferedImage image = Canvas.newImage(size);
        Graphics2D g = Canvas.graphics(image, BACKGROUND);
        // whole-pixel cells, centred, so every cell has exactly the same size
        int cell = (size - 4) / GridPuzzle.SIZE;
        int origin = (size - cell * GridPuzzle.SIZE) / 2;
        fillCell(g, origin, cell, puzzle.startRow(), puzzle.startColumn(), TaskColor.GREEN.rgb());
        fillCell(g, origin, cell, puzzle.goalRow(), puzzle.goalColumn(), TaskColor.RED.rgb());
        for (int wall : walls) {
            fillCell(g, origin, cell, wall / GridPuzzle.SIZE + 1, wall % GridPuzzle.SIZE + 1, WALL);
        }
        g.setColor(LINES);
        for (int i = 0; i <= GridPuzzle.SIZE; i++) {
            int at = origin + i * cell;
            g.fillRect(at, origin, 1, cell * GridPuzzle.SIZE + 1);
            g.fillRect(origin, at, cell * GridPuzzle.SIZE + 1, 1);
        }
        g.dispose();
        return image;
    }

    private static void fillCell(Graphics2D g, int origin, int cell, int row, int column, Color color) {
        g.setColor(color);
        g.fillRect(origin + (column - 1) * cell, origin + (row - 1) * cell, cell, cell);
    }
}

package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;

/**
 * Reads a 4×4 grid image (grid path, maze, knight board) back from its pixels alone: the grid lines are found as
 * the columns and rows that are mostly grey, and each cell is named by the colour at its centre. Nothing here
 * uses the renderer's geometry or palette constants.
 */
final class GridPixels {

    /** What a cell's centre shows. */
    enum Cell { FREE, GREEN, RED, WALL }

    private GridPixels() {
    }

    /** The 16 cells in row-major order; fails the test if the image does not show a 4×4 grid. */
    static Cell[] read(BufferedImage image, String id) {
        int size = image.getWidth();
        int[] xs = lines(image, true);
        int[] ys = lines(image, false);
        assertEquals(5, xs.length, id + ": vertical grid lines at " + java.util.Arrays.toString(xs));
        assertEquals(5, ys.length, id + ": horizontal grid lines at " + java.util.Arrays.toString(ys));
        Cell[] cells = new Cell[16];
        for (int row = 0; row < 4; row++) {
            for (int column = 0; column < 4; column++) {
                int rgb = image.getRGB((xs[column] + xs[column + 1]) / 2, (ys[row] + ys[row + 1]) / 2);
                cells[row * 4 + column] = name(rgb, id + " " + size + "px cell " + (row + 1) + "," + (column + 1));
            }
        }
        return cells;
    }

    private static Cell name(int rgb, String where) {
        String colour = PixelColors.name(rgb);
        if ("green".equals(colour)) {
            return Cell.GREEN;
        }
        if ("red".equals(colour)) {
            return Cell.RED;
        }
        if (colour != null) {
            throw new AssertionError(where + ": unexpected " + colour + " cell");
        }
        int luma = PixelColors.luma(rgb);
        if (luma > 230) {
            return Cell.FREE;
        }
        if (luma < 70) {
            return Cell.WALL;
        }
        throw new AssertionError(where + ": a cell neither free, coloured nor dark: " + Integer.toHexString(rgb));
    }

    /** Positions of the grid lines: columns (or rows) where more than half the pixels are mid grey. */
    private static int[] lines(BufferedImage image, boolean vertical) {
        int size = image.getWidth();
        return java.util.stream.IntStream.range(0, size).filter(i -> {
            int grey = 0;
            for (int j = 0; j < size; j++) {
                if (isLineGrey(vertical ? image.getRGB(i, j) : image.getRGB(j, i))) {
                    grey++;
                }
            }
            return grey > size / 2;
        }).toArray();
    }

    private static boolean isLineGrey(int rgb) {
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        return Math.abs(r - g) < 10 && Math.abs(g - b) < 10 && r > 80 && r < 180;
    }

    static int row(int cell) {
        return cell / 4 + 1;
    }

    static int column(int cell) {
        return cell % 4 + 1;
    }

    /** The only cell of this kind; fails the test unless there is exactly one. */
    static int only(Cell[] cells, Cell kind, String id) {
        int found = -1;
        for (int i = 0; i < cells.length; i++) {
            if (cells[i] == kind) {
                assertEquals(-1, found, id + ": two " + kind + " cells");
                found = i;
            }
        }
        if (found < 0) {
            throw new AssertionError(id + ": no " + kind + " cell");
        }
        return found;
    }
}

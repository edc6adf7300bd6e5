package org.racro4j.training.tasks;

/**
 * One object of a shapes scene, in a cell of the 3×3 grid.
 *
 * @param row          0 = top, 1 = middle, 2 = bottom
 * @param column       0 = left, 1 = center, 2 = right
 * @param jitterX      horizontal offset of the shape's centre from the cell centre, in cell widths
 * @param jitterY      vertical offset, in cell heights
 * @param halfExtent   half the shape's size, in cell sizes
 */
public record ShapeObject(TaskColor color, ShapeKind shape, int row, int column,
                          double jitterX, double jitterY, double halfExtent) {

    static final String[] ROW_WORDS = {"top", "middle", "bottom"};
    static final String[] COLUMN_WORDS = {"left", "center", "right"};

    public ShapeObject {
        if (row < 0 || row > 2 || column < 0 || column > 2) {
            throw new IllegalArgumentException("cell out of the 3x3 grid: " + row + "," + column);
        }
    }

    /** e.g. "red circle at top left ." */
    public String fact() {
        return Sentences.fact(color.word(), shape.word(), "at", ROW_WORDS[row], COLUMN_WORDS[column]);
    }

    /** Row-major cell number 0..8; facts are listed in this order. */
    int cell() {
        return row * 3 + column;
    }
}

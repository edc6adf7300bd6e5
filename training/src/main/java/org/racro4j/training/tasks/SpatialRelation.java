package org.racro4j.training.tasks;

/**
 * Relations between objects of a shapes scene, on grid cells (CLEVR-style): "a left of b" means a's
 * column is left of b's column, whatever the rows; "a above b" means a's row is higher, whatever the
 * columns.
 */
enum SpatialRelation {
    LEFT_OF("left of"),
    RIGHT_OF("right of"),
    ABOVE("above"),
    BELOW("below");

    private final String words;

    SpatialRelation(String words) {
        this.words = words;
    }

    String words() {
        return words;
    }

    /** Whether {@code a} stands in this relation to {@code b}. */
    boolean holds(ShapeObject a, ShapeObject b) {
        return switch (this) {
            case LEFT_OF -> a.column() < b.column();
            case RIGHT_OF -> a.column() > b.column();
            case ABOVE -> a.row() < b.row();
            case BELOW -> a.row() > b.row();
        };
    }
}

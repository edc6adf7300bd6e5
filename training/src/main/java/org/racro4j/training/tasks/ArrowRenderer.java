package org.racro4j.training.tasks;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.image.BufferedImage;

/**
 * Draws one thick blue arrow from the image centre towards an edge: a shaft and a triangular head. It is drawn in
 * the arrow's own frame (forward, sideways) so that the four directions are exact quarter-turn copies of each other.
 * Its length and thickness vary a little: there are only 28 arrow questions, and without that variety the same
 * image would come back every few dozen items (as clocks are moved a little for the same reason).
 */
public final class ArrowRenderer {

    static final Color BACKGROUND = Color.WHITE;

    private ArrowRenderer() {
    }

    /**
     * @param length    from the centre to the tip, as a fraction of the image size (0.3–0.45 keeps it inside)
     * @param thick     whether the shaft is two pixels wider than the thin one
     */
    public static BufferedImage render(ArrowDirection direction, double length, boolean thick, int size) {
        if (length < 0.3 || length > 0.45) {
            throw new IllegalArgumentException("arrow length must be 0.3-0.45 of the image, got " + length);
        }
        BufferedImage image = Canvas.newImage(size);
        Graphics2D g = Canvas.graphics(image, BACKGROUND);
        g.setColor(TaskColor.BLUE.rgb());
        int centre = size / 2;
        int tipAt = (int) Math.round(size * length);
        int head = size / 6;                       // length of the head
        int shaftHalf = Math.max(1, size / 16) + (thick ? 1 : 0); // shaft width 2·shaftHalf + 1
        int headHalf = Math.max(shaftHalf + 2, size / 7);
        // forward (fx, fy) and sideways (sx, sy): a quarter turn clockwise of forward in image coordinates
        int fx = direction.dx;
        int fy = direction.dy;
        int sx = -fy;
        int sy = fx;
        int[][] shaft = {{0, -shaftHalf}, {tipAt - head, -shaftHalf}, {tipAt - head, shaftHalf}, {0, shaftHalf}};
        int[][] tip = {{tipAt - head, -headHalf}, {tipAt, 0}, {tipAt - head, headHalf}};
        g.fillPolygon(polygon(shaft, centre, fx, fy, sx, sy));
        g.fillPolygon(polygon(tip, centre, fx, fy, sx, sy));
        g.dispose();
        return image;
    }

    /** Points given as (forward, sideways) offsets from the centre, in image coordinates. */
    private static Polygon polygon(int[][] points, int centre, int fx, int fy, int sx, int sy) {
        Polygon polygon = new Polygon();
        for (int[] p : points) {
            polygon.addPoint(centre + p[0] * fx + p[1] * sx, centre + p[0] * fy + p[1] * sy);
        }
        return polygon;
    }
}

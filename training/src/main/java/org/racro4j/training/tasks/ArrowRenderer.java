package org.racro4j.training.tasks;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.image.BufferedImage;

/**
 * Draws two arrows of different colours, one centred in the left half of the image and one in the right half, each
 * a shaft and a triangular head. Each is drawn in its own frame (forward, sideways) about the centre of its half, so
 * that the four directions are exact quarter-turn copies of each other. Their length and thickness vary a little
 * so that the same question about the same scene does not always come with the same image.
 *
 * <p>The head (about 0.12 of the image long) is always shorter than half the arrow (at least 0.3 of the image), so
 * the widest cross-section, the base of the head, lies in the tip half of the arrow; the arrow (at most 0.4 of the
 * image long, at most about 0.24 wide) keeps a margin of at least 0.05 of the image to the edges and to the middle.
 */
public final class ArrowRenderer {

    static final Color BACKGROUND = Color.WHITE;

    /** One arrow to draw. */
    public record Arrow(TaskColor color, ArrowDirection direction, double length, boolean thick) {
        public Arrow {
            if (length < 0.3 || length > 0.4) {
                throw new IllegalArgumentException("arrow length must be 0.3-0.4 of the image, got " + length);
            }
        }
    }

    private ArrowRenderer() {
    }

    /** The left arrow in the left half, the right arrow in the right half; their colours must differ. */
    public static BufferedImage render(Arrow left, Arrow right, int size) {
        if (left.color() == right.color()) {
            throw new IllegalArgumentException("the two arrows must have different colours, both are " + left.color());
        }
        BufferedImage image = Canvas.newImage(size);
        Graphics2D g = Canvas.graphics(image, BACKGROUND);
        draw(g, left, size / 4, size / 2, size);
        draw(g, right, size - size / 4, size / 2, size);
        g.dispose();
        return image;
    }

    /** One arrow whose middle (halfway from tail to tip) is at (cx, cy). */
    private static void draw(Graphics2D g, Arrow arrow, int cx, int cy, int size) {
        g.setColor(arrow.color().rgb());
        int length = (int) Math.round(size * arrow.length());
        int back = -(length / 2);
        int tipAt = back + length;
        int head = Math.max(3, (int) Math.round(size * 0.12));      // length of the head
        int shaftHalf = Math.max(1, size / 24) + (arrow.thick() ? 1 : 0); // shaft width 2·shaftHalf + 1
        int headHalf = Math.max(shaftHalf + 2, size / 10);
        // forward (fx, fy) and sideways (sx, sy): a quarter turn clockwise of forward in image coordinates
        int fx = arrow.direction().dx;
        int fy = arrow.direction().dy;
        int sx = -fy;
        int sy = fx;
        int[][] shaft = {{back, -shaftHalf}, {tipAt - head, -shaftHalf}, {tipAt - head, shaftHalf}, {back, shaftHalf}};
        int[][] tip = {{tipAt - head, -headHalf}, {tipAt, 0}, {tipAt - head, headHalf}};
        g.fillPolygon(polygon(shaft, cx, cy, fx, fy, sx, sy));
        g.fillPolygon(polygon(tip, cx, cy, fx, fy, sx, sy));
    }

    /** Points given as (forward, sideways) offsets from (cx, cy), in image coordinates. */
    private static Polygon polygon(int[][] points, int cx, int cy, int fx, int fy, int sx, int sy) {
        Polygon polygon = new Polygon();
        for (int[] p : points) {
            polygon.addPoint(cx + p[0] * fx + p[1] * sx, cy + p[0] * fy + p[1] * sy);
        }
        return polygon;
    }
}

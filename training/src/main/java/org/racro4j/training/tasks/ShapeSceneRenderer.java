package org.racro4j.training.tasks;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;

/** Draws a shapes scene: filled shapes on a light background, one per occupied cell of a 3×3 grid. */
public final class ShapeSceneRenderer {

    static final Color BACKGROUND = new Color(240, 240, 240);

    private ShapeSceneRenderer() {
    }

    public static BufferedImage render(ShapeScene scene, int size) {
        BufferedImage image = Canvas.newImage(size);
        Graphics2D g = Canvas.graphics(image, BACKGROUND);
        double cell = size / 3.0;
        for (ShapeObject object : scene.objects()) {
            double cx = (object.column() + 0.5 + object.jitterX()) * cell;
            double cy = (object.row() + 0.5 + object.jitterY()) * cell;
            double h = object.halfExtent() * cell;
            g.setColor(object.color().rgb());
            switch (object.shape()) {
                case CIRCLE -> g.fill(new Ellipse2D.Double(cx - h, cy - h, 2 * h, 2 * h));
                // A square with the circle's half-extent looks much heavier; 0.88 evens out the areas.
                case SQUARE -> g.fill(new Rectangle2D.Double(cx - 0.88 * h, cy - 0.88 * h, 1.76 * h, 1.76 * h));
                case TRIANGLE -> g.fill(triangle(cx, cy, h));
            }
        }
        g.dispose();
        return image;
    }

    /**
     * An upward triangle whose apex is 1.1·h above and whose base is 0.75·h below the centre, so that
     * the centre lies well inside it (half-width there is about 0.62·h) and it fits within its cell.
     */
    private static Path2D triangle(double cx, double cy, double h) {
        Path2D path = new Path2D.Double();
        path.moveTo(cx, cy - 1.1 * h);
        path.lineTo(cx + 1.05 * h, cy + 0.75 * h);
        path.lineTo(cx - 1.05 * h, cy + 0.75 * h);
        path.closePath();
        return path;
    }
}

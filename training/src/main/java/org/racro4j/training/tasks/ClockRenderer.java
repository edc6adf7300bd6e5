package org.racro4j.training.tasks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.image.BufferedImage;

/**
 * Draws a clock: a white face with a grey rim and twelve grey tick marks near the rim, and one thick black
 * hour hand from the centre to 0.62 of the radius. The hand never reaches the ticks (which start at 0.78),
 * so hand and ticks stay separable for a reader and for the tests.
 */
public final class ClockRenderer {

    static final Color BACKGROUND = new Color(225, 225, 225);
    static final Color FACE = Color.WHITE;
    static final Color RIM = new Color(110, 110, 110);
    static final Color HAND = new Color(15, 15, 15);
    static final double RADIUS = 0.42;       // of the image size
    static final double HAND_LENGTH = 0.62;  // of the radius
    static final double TICK_INNER = 0.78;
    static final double TICK_OUTER = 0.95;

    private ClockRenderer() {
    }

    public static BufferedImage render(ClockFace clock, int size) {
        BufferedImage image = Canvas.newImage(size);
        Graphics2D g = Canvas.graphics(image, BACKGROUND);
        double cx = size * (0.5 + clock.jitterX());
        double cy = size * (0.5 + clock.jitterY());
        double r = size * RADIUS;
        g.setColor(FACE);
        g.fill(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
        g.setColor(RIM);
        g.setStroke(new BasicStroke(1f));
        g.draw(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
        for (int mark = 1; mark <= 12; mark++) {
            // the quarter marks are thicker, as on a real clock, so the face has an orientation
            g.setStroke(new BasicStroke(mark % 3 == 0 ? 2f : 1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
            g.draw(radialLine(cx, cy, r * TICK_INNER, r * TICK_OUTER, mark));
        }
        g.setColor(HAND);
        g.setStroke(new BasicStroke(Math.max(2f, size / 20f), BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
        g.draw(radialLine(cx, cy, 0, r * HAND_LENGTH, clock.hour()));
        g.dispose();
        return image;
    }

    /** A segment along the direction of an hour mark (12 points up, 3 to the right), between two radii. */
    private static Line2D radialLine(double cx, double cy, double from, double to, int hour) {
        double angle = Math.toRadians(hour * 30.0);
        double dx = Math.sin(angle);
        double dy = -Math.cos(angle);
        return new Line2D.Double(cx + from * dx, cy + from * dy, cx + to * dx, cy + to * dy);
    }
}

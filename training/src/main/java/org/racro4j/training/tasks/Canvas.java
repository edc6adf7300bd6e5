package org.racro4j.training.tasks;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** Creates the RGB images the renderers draw on: headless, no antialiasing, so edges stay crisp. */
final class Canvas {

    static {
        // Rendering never needs a display; make that explicit for callers outside surefire.
        System.setProperty("java.awt.headless", "true");
    }

    private Canvas() {
    }

    static BufferedImage newImage(int size) {
        if (size < 24) {
            throw new IllegalArgumentException("image size must be at least 24 pixels, got " + size);
        }
        return new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    }

    /**
     * A graphics context with antialiasing off: every pixel is either a palette colour or the background,
     * which is what a tiny vision encoder learns fastest from and what the tests check exactly.
     */
    static Graphics2D graphics(BufferedImage image, Color background) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(background);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        return g;
    }
}

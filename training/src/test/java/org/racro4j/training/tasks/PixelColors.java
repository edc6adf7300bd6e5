package org.racro4j.training.tasks;

/**
 * Names the colour of a pixel by channel pattern, independently of the exact palette values the
 * renderers use: a test that passes here means the colours are saturated and far apart, not merely equal
 * to some constant.
 */
final class PixelColors {

    private PixelColors() {
    }

    /** "red", "green", "blue", "yellow", or null for anything else (greys, background, unclear). */
    static String name(int rgb) {
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (r > 180 && g > 150 && b < 100) {
            return "yellow";
        }
        if (r > 150 && g < 100 && b < 100) {
            return "red";
        }
        if (g > 120 && r < 100 && b < 120) {
            return "green";
        }
        if (b > 150 && r < 100 && g < 150) {
            return "blue";
        }
        return null;
    }

    static int luma(int rgb) {
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        return (299 * r + 587 * g + 114 * b) / 1000;
    }
}

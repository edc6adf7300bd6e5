package org.racro4j.training.tasks;

import java.awt.Color;
import java.util.Locale;

/**
 * The object colours of the built-in scenes. Saturated and far apart in RGB so that a tiny ViT at 48×48
 * pixels can tell them apart, and each has one dominant channel pattern (red: R; green: G; blue: B;
 * yellow: R and G) that tests can classify independently of these exact values.
 */
public enum TaskColor {
    RED(new Color(220, 40, 40)),
    GREEN(new Color(40, 170, 60)),
    BLUE(new Color(40, 90, 220)),
    YELLOW(new Color(235, 200, 30));

    private final Color rgb;

    TaskColor(Color rgb) {
        this.rgb = rgb;
    }

    public Color rgb() {
        return rgb;
    }

    /** The vocabulary word, e.g. "red". */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}

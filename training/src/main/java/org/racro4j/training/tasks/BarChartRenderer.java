package org.racro4j.training.tasks;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;

/**
 * Draws a bar chart: bars standing on a dark one-pixel baseline, heights exactly {@code value × unit}
 * pixels with one whole-pixel unit per image size, so that equal values are equal heights and a value can
 * be read back by counting pixels.
 */
public final class BarChartRenderer {

    static final Color BACKGROUND = new Color(245, 245, 245);
    static final Color BASELINE = new Color(60, 60, 60);

    private BarChartRenderer() {
    }

    public static BufferedImage render(BarChart chart, int size) {
        BufferedImage image = Canvas.newImage(size);
        Graphics2D g = Canvas.graphics(image, BACKGROUND);
        int margin = Math.max(2, size / 16);
        int baselineY = size - margin;
        int unit = unitHeight(size);
        int slot = (size - 2 * margin) / chart.bars().size();
        int barWidth = Math.max(2, Math.round(slot * 0.6f));
        g.setColor(BASELINE);
        g.fillRect(margin / 2, baselineY, size - margin, 1);
        for (int i = 0; i < chart.bars().size(); i++) {
            Bar bar = chart.bars().get(i);
            int height = bar.value() * unit;
            int x = margin + i * slot + (slot - barWidth) / 2;
            g.setColor(bar.color().rgb());
            g.fillRect(x, baselineY - height, barWidth, height);
        }
        g.dispose();
        return image;
    }

    /** Pixels per value unit: the largest whole number that fits a bar of the maximum value. */
    static int unitHeight(int size) {
        int margin = Math.max(2, size / 16);
        return (size - 2 * margin) / BarChart.MAX_VALUE;
    }
}

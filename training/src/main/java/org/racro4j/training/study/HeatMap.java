package org.racro4j.training.study;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import org.racro4j.training.run.AtomicFiles;

/**
 * A labelled heat map (rows × columns of signed values) as a PNG: red for gains, blue for losses, white for none, each
 * cell with its value written in it, so the picture reads without a colour scale. The colour saturates at the largest
 * absolute value in the table.
 */
public final class HeatMap {
    private static final int CELL_W = 120;
    private static final int CELL_H = 36;
    private static final int LABEL_W = 170;
    private static final int HEADER_H = 70;

    private HeatMap() {}

    public static void write(Path png, String title, List<String> rows, List<String> columns, double[][] values) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = LABEL_W + CELL_W * columns.size() + 10;
        int h = HEADER_H + CELL_H * rows.size() + 10;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(title, 8, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        double scale = 0;
        for (double[] row : values) for (double v : row) if (Double.isFinite(v)) scale = Math.max(scale, Math.abs(v));
        for (int c = 0; c < columns.size(); c++) {
            String label = columns.get(c);
            g.setColor(Color.BLACK);
            g.drawString(label, LABEL_W + c * CELL_W + (CELL_W - fm.stringWidth(label)) / 2, HEADER_H - 10);
        }
        for (int r = 0; r < rows.size(); r++) {
            int y = HEADER_H + r * CELL_H;
            g.setColor(Color.BLACK);
            g.drawString(rows.get(r), 8, y + CELL_H / 2 + fm.getAscent() / 2 - 2);
            for (int c = 0; c < columns.size(); c++) {
                double v = values[r][c];
                int x = LABEL_W + c * CELL_W;
                g.setColor(color(v, scale));
                g.fillRect(x, y, CELL_W, CELL_H);
                g.setColor(Color.GRAY);
                g.drawRect(x, y, CELL_W, CELL_H);
                String text = Double.isFinite(v) ? String.format(Locale.ROOT, "%+.1f", v) : "–";
                g.setColor(Color.BLACK);
                g.drawString(text, x + (CELL_W - fm.stringWidth(text)) / 2, y + CELL_H / 2 + fm.getAscent() / 2 - 2);
            }
        }
        g.dispose();
        AtomicFiles.replace(png, p -> ImageIO.write(image, "png", p.toFile()));
    }

    /** White at 0, towards red (positive) or blue (negative) in proportion to |v| / scale. */
    static Color color(double v, double scale) {
        if (!Double.isFinite(v) || scale == 0) return Color.WHITE;
        float t = (float) Math.min(1, Math.abs(v) / scale);
        int fade = Math.round(255 * (1 - 0.75f * t));
        return v > 0 ? new Color(255, fade, fade) : new Color(fade, fade, 255);
    }
}

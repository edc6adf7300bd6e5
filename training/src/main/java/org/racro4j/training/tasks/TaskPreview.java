package org.racro4j.training.tasks;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Writes a PNG contact sheet of generated items so a person can look at the tasks: each image scaled up
 * (nearest neighbour, so pixels stay visible) with its category, question, answer and gold description.
 *
 * <pre>java ... org.racro4j.training.tasks.TaskPreview out=/tmp/tasks.png count=24 seed=1 split=train
 *     size=48 scale=4 columns=6 mix=shapes=1,clock=1</pre>
 * All arguments are optional key=value pairs; {@code mix} uses {@link TaskMix#parse} syntax.
 */
public final class TaskPreview {

    private static final int PADDING = 8;
    private static final int LINE_HEIGHT = 13;
    private static final int TEXT_LINES = 9;

    private TaskPreview() {
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, String> options = parseOptions(args);
        Path out = Path.of(options.getOrDefault("out", "task-preview.png"));
        int count = Integer.parseInt(options.getOrDefault("count", "24"));
        long seed = Long.parseLong(options.getOrDefault("seed", "1"));
        Split split = Split.valueOf(options.getOrDefault("split", "train").toUpperCase(java.util.Locale.ROOT));
        int size = Integer.parseInt(options.getOrDefault("size", String.valueOf(TaskGeneratorConfig.DEFAULT_IMAGE_SIZE)));
        int scale = Integer.parseInt(options.getOrDefault("scale", "4"));
        int columns = Integer.parseInt(options.getOrDefault("columns", "6"));
        TaskMix mix = options.containsKey("mix") ? TaskMix.parse(options.get("mix")) : TaskMix.uniform();

        TaskGenerator generator = new TaskGenerator(new TaskGeneratorConfig(seed, size, mix));
        BufferedImage sheet = contactSheet(generator.generate(split, count), scale, columns);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ImageIO.write(sheet, "png", out.toFile());
        System.out.println("wrote " + count + " items to " + out.toAbsolutePath());
    }

    public static BufferedImage contactSheet(List<TaskItem> items, int scale, int columns) {
        int imageSide = 0;
        for (TaskItem item : items) {
            imageSide = Math.max(imageSide, Math.max(item.image().getWidth(), item.image().getHeight()) * scale);
        }
        int tileWidth = Math.max(imageSide, 200) + PADDING;
        int tileHeight = imageSide + PADDING + TEXT_LINES * LINE_HEIGHT + PADDING;
        int cols = Math.max(1, Math.min(columns, items.size()));
        int rows = (items.size() + cols - 1) / cols;
        BufferedImage sheet = new BufferedImage(cols * tileWidth + PADDING, Math.max(1, rows) * tileHeight + PADDING,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics metrics = g.getFontMetrics();
        for (int i = 0; i < items.size(); i++) {
            TaskItem item = items.get(i);
            int x = PADDING + (i % cols) * tileWidth;
            int y = PADDING + (i / cols) * tileHeight;
            BufferedImage image = item.image();
            g.drawImage(image, x, y, image.getWidth() * scale, image.getHeight() * scale, null);
            g.setColor(Color.LIGHT_GRAY);
            g.drawRect(x - 1, y - 1, image.getWidth() * scale + 1, image.getHeight() * scale + 1);
            List<String> lines = new ArrayList<>();
            lines.add(item.id() + "  " + item.category());
            lines.addAll(wrap("Q: " + item.question(), metrics, tileWidth - PADDING));
            lines.add("A: " + item.answer());
            lines.addAll(wrap("D: " + item.goldDescription(), metrics, tileWidth - PADDING));
            int textY = y + imageSide + PADDING + metrics.getAscent();
            for (int line = 0; line < Math.min(lines.size(), TEXT_LINES); line++) {
                g.setColor(line == 0 ? Color.GRAY : lines.get(line).startsWith("A: ") ? new Color(0, 110, 0) : Color.BLACK);
                String text = line == TEXT_LINES - 1 && lines.size() > TEXT_LINES ? lines.get(line) + " …" : lines.get(line);
                g.drawString(text, x, textY + line * LINE_HEIGHT);
            }
        }
        g.dispose();
        return sheet;
    }

    /** Greedy word wrap to a pixel width. */
    private static List<String> wrap(String text, FontMetrics metrics, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            String candidate = line.length() == 0 ? word : line + " " + word;
            if (metrics.stringWidth(candidate) > width && line.length() > 0) {
                lines.add(line.toString());
                line = new StringBuilder(word);
            } else {
                line = new StringBuilder(candidate);
            }
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }

    private static Map<String, String> parseOptions(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got: " + arg);
            }
            options.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        return options;
    }
}

package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.racro4j.core.io.FuzzRuns;
import org.racro4j.core.io.ParserContract;

/**
 * Fuzzes the external dataset loader: arbitrary bytes as the JSONL file, lines assembled from fields of every
 * type (hostile strings, numbers, nulls, arrays, duplicate keys, choices that do or do not hold the answer), and
 * images that are small valid PNG or JPEG files with bytes overwritten or cut off. The loader either refuses with
 * its own error naming the file, or returns items that keep its promises: an RGB image, a non-blank question and
 * answer, and an answer among the choices when there are choices.
 */
class JsonlTasksFuzzTest {
    private static final Path DIR = tempDir();
    private static final byte[] PNG = encode("png");
    private static final byte[] JPEG = encode("jpg");

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("jsonl-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] encode(String format) {
        BufferedImage img = new BufferedImage(13, 9, BufferedImage.TYPE_INT_RGB);
        SplittableRandom r = new SplittableRandom(3);
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) img.setRGB(x, y, r.nextInt(1 << 24));
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, format, out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void removeFiles() throws IOException {
        try (var files = Files.list(DIR)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.delete(DIR);
    }

    @Test
    void arbitraryBytesAreRefusedClearly() {
        FuzzRuns.run("arbitrary bytes", r -> load(FuzzRuns.bytes(r, 120)));
    }

    @Test
    void assembledLinesLoadOnlyAsValidItems() throws IOException {
        Files.write(DIR.resolve("img.png"), PNG);
        FuzzRuns.run("assembled lines", r -> load(lines(r).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void corruptedImagesAreRefusedClearly() {
        FuzzRuns.run("corrupted images", r -> {
            byte[] valid = r.nextBoolean() ? PNG : JPEG;
            int cut = r.nextInt(4) == 0 ? 1 + r.nextInt(200) : 0;
            byte[] bytes = java.util.Arrays.copyOf(valid, Math.max(1, valid.length - cut));
            bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256);
            Files.write(DIR.resolve("img.png"), bytes);
            load("{\"image\": \"img.png\", \"question\": \"what colour ?\", \"answer\": \"red\"}\n".getBytes(StandardCharsets.UTF_8));
        });
    }

    private static final String[] VALUES = {"\"red\"", "\"\"", "\"  \"", "\"7\"", "7", "7.5", "-1", "null", "true", "[]", "{}",
            "[\"red\", \"blue\"]", "[\"\", \"x\"]", "\"B\"", "\"(a)\"", "\"word\"", "\"yes_no\"", "\"number\"", "\"img.png\"",
            "\"missing.png\"", "\"../img.png\""};
    private static final String[] KEYS = {"image", "question", "answer", "choices", "description", "category", "answer_type", "id", "extra"};

    /** One to three lines: objects of 0-7 fields (any key, any value, repeats allowed), now and then not an object. */
    private static String lines(SplittableRandom r) {
        List<String> lines = new java.util.ArrayList<>();
        for (int l = 1 + r.nextInt(3); l > 0; l--) {
            if (r.nextInt(9) == 0) {
                lines.add(FuzzRuns.oneOf(r, "", "{", "[1]", "{\"image\": \"img.png\", \"question\": \"q ?\", \"answer\": \"red\"} x"));
                continue;
            }
            List<String> fields = new java.util.ArrayList<>();
            for (int f = r.nextInt(8); f > 0; f--) fields.add("\"" + FuzzRuns.oneOf(r, KEYS) + "\": " + FuzzRuns.oneOf(r, VALUES));
            lines.add("{" + String.join(", ", fields) + "}");
        }
        return String.join("\n", lines) + "\n";
    }

    private static void load(byte[] jsonl) throws IOException {
        Path file = DIR.resolve("tasks.jsonl");
        Files.write(file, jsonl);
        JsonlTasks.LoadResult result = ParserContract.check(file, () -> JsonlTasks.load(file));
        if (result == null) return;
        for (TaskItem item : result.items()) {
            assertEquals(BufferedImage.TYPE_INT_RGB, item.image().getType(), item.id());
            assertFalse(item.question().isBlank(), item.id());
            assertFalse(item.answer().isBlank(), item.id());
            if (item.hasChoices()) {
                List<String> choices = item.choices();
                boolean named = choices.contains(item.answer()) || item.answer().matches("\\(?[A-Za-z]\\)?");
                assertEquals(true, named, item.id() + ": answer " + item.answer() + " among " + choices);
            }
        }
    }
}

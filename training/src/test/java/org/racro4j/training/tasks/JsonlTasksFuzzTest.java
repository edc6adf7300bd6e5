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

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

import org.racro4j.training.ParserContract;

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

    @AfterContainer
    static void removeFiles() throws IOException {
        try (var files = Files.list(DIR)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.delete(DIR);
    }

    @Property
    void arbitraryBytesAreRefusedClearly(@ForAll @Size(max = 120) byte[] bytes) throws IOException {
        load(bytes);
    }

    @Property
    void assembledLinesLoadOnlyAsValidItems(@ForAll("lines") String jsonl) throws IOException {
        Files.write(DIR.resolve("img.png"), PNG);
        load(jsonl.getBytes(StandardCharsets.UTF_8));
    }

    @Property
    void corruptedImagesAreRefusedClearly(@ForAll("formats") boolean png, @ForAll("positions") int at, @ForAll byte value,
                                          @ForAll("cuts") int cut) throws IOException {
        byte[] valid = png ? PNG : JPEG;
        byte[] bytes = java.util.Arrays.copyOf(valid, Math.max(1, valid.length - cut));
        bytes[Math.floorMod(at, bytes.length)] = value;
        Files.write(DIR.resolve("img.png"), bytes);
        load("{\"image\": \"img.png\", \"question\": \"what colour ?\", \"answer\": \"red\"}\n".getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<Boolean> formats() {
        return Arbitraries.of(true, false);
    }

    @Provide
    Arbitrary<Integer> positions() {
        return Arbitraries.integers().between(0, 1 << 12);
    }

    @Provide
    Arbitrary<Integer> cuts() {
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, Arbitraries.just(0)), net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 200)));
    }

    @Provide
    Arbitrary<String> lines() {
        Arbitrary<String> text = Arbitraries.of("\"red\"", "\"\"", "\"  \"", "\"7\"", "7", "7.5", "-1", "null", "true", "[]", "{}", "[\"red\", \"blue\"]",
                "[\"\", \"x\"]", "\"B\"", "\"(a)\"", "\"word\"", "\"yes_no\"", "\"number\"", "\"img.png\"", "\"missing.png\"", "\"../img.png\"");
        Arbitrary<String> key = Arbitraries.of("image", "question", "answer", "choices", "description", "category", "answer_type", "id", "extra");
        Arbitrary<String> field = Combinators.combine(key, text).as((k, v) -> "\"" + k + "\": " + v);
        Arbitrary<String> object = field.list().ofMaxSize(7).map(fs -> "{" + String.join(", ", fs) + "}");
        Arbitrary<String> line = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, object),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("", "{", "[1]", "{\"image\": \"img.png\", \"question\": \"q ?\", \"answer\": \"red\"} x")));
        return line.list().ofMinSize(1).ofMaxSize(3).map(ls -> String.join("\n", ls) + "\n");
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

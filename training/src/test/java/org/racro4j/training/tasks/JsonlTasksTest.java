package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTasksTest {

    @TempDir
    Path dir;

    @BeforeEach
    void writeImages() throws IOException {
        Files.createDirectories(dir.resolve("img"));
        BufferedImage argb = new BufferedImage(10, 8, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(1, 1, 0xffff0000);           // opaque red
        argb.setRGB(2, 2, 0x00000000);           // transparent
        ImageIO.write(argb, "png", dir.resolve("img/a.png").toFile());
        BufferedImage rgb = new BufferedImage(16, 16, BufferedImage.TYPE_3BYTE_BGR);
        ImageIO.write(rgb, "jpg", dir.resolve("img/b.jpg").toFile());
        Files.write(dir.resolve("img/broken.png"), new byte[] {1, 2, 3, 4, 5});
    }

    private Path jsonl(String... lines) throws IOException {
        Path file = dir.resolve("data.jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void readsValidLines() throws IOException {
        Path file = jsonl(
                "{\"image\": \"img/a.png\", \"question\": \"how many red shapes are there ?\", \"answer\": \"3\","
                        + " \"description\": \"red circle at top left .\", \"category\": \"count\"}",
                "",
                "{\"image\": \"img/b.jpg\", \"question\": \"which?\", \"answer\": \"B\", \"choices\": [\"red\", \"blue\"], \"id\": \"q2\"}",
                "{\"image\": \"img/a.png\", \"question\": \"is it red?\", \"answer\": \"Yes\", \"extra\": 1}",
                "{\"image\": \"img/a.png\", \"question\": \"value?\", \"answer\": 2.5, \"choices\": null}");
        JsonlTasks.LoadResult result = JsonlTasks.load(file);
        assertEquals(List.of(), result.skipped());
        List<TaskItem> items = result.items();
        assertEquals(4, items.size());

        TaskItem first = items.get(0);
        assertEquals("data.jsonl:1", first.id());
        assertEquals("external", first.family());
        assertEquals("count", first.category());
        assertEquals(AnswerType.NUMBER, first.answerType());
        assertEquals("red circle at top left .", first.goldDescription());
        assertEquals(BufferedImage.TYPE_INT_RGB, first.image().getType());
        assertEquals(10, first.image().getWidth());
        assertEquals(0xff0000, first.image().getRGB(1, 1) & 0xffffff);
        assertEquals(0xffffff, first.image().getRGB(2, 2) & 0xffffff, "transparent becomes white");

        TaskItem second = items.get(1);
        assertEquals("q2", second.id());
        assertEquals(List.of("red", "blue"), second.choices());
        assertEquals(AnswerType.WORD, second.answerType());
        assertEquals(3, second.seed());
        assertEquals(16, second.image().getWidth());

        assertEquals(AnswerType.YES_NO, items.get(2).answerType());
        assertEquals("yes", items.get(2).answer());
        assertEquals("2.5", items.get(3).answer());
        assertEquals(AnswerType.NUMBER, items.get(3).answerType());
    }

    private static final String GOOD = "{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"a\"}";

    private void assertStrictError(String badLine, String field) throws IOException {
        Path file = jsonl(GOOD, GOOD, badLine, GOOD);
        TaskFormatException error = assertThrows(TaskFormatException.class, () -> JsonlTasks.load(file));
        assertEquals(3, error.line(), error.getMessage());
        assertEquals(field, error.field(), error.getMessage());
        assertTrue(error.getMessage().contains("data.jsonl:3") && error.getMessage().contains("'" + field + "'"),
                error.getMessage());
    }

    @Test
    void strictModeNamesLineAndField() throws IOException {
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", ", "line");
        assertStrictError("[1, 2]", "line");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"a\"} trailing", "line");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"a\", \"answer\": \"b\"}", "line");
        assertStrictError("{\"image\": \"img/a.png\", \"answer\": \"a\"}", "question");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": 7, \"answer\": \"a\"}", "question");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"  \", \"answer\": \"a\"}", "question");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": true}", "answer");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\"}", "answer");
        assertStrictError("{\"image\": \"img/missing.png\", \"question\": \"q\", \"answer\": \"a\"}", "image");
        assertStrictError("{\"image\": \"img/broken.png\", \"question\": \"q\", \"answer\": \"a\"}", "image");
        assertStrictError("{\"image\": [\"img/a.png\"], \"question\": \"q\", \"answer\": \"a\"}", "image");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"a\", \"choices\": \"a,b\"}", "choices");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"a\", \"choices\": [\"x\", 2]}", "choices");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"green\", \"choices\": [\"red\", \"blue\"]}", "answer");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"C\", \"choices\": [\"red\", \"blue\"]}", "answer");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"red\", \"answer_type\": \"number\"}", "answer");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"red\", \"answer_type\": \"colour\"}", "answer_type");
        assertStrictError("{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"a\", \"description\": 5}", "description");
    }

    @Test
    void lenientModeSkipsAndCountsBadLines() throws IOException {
        Path file = jsonl(
                GOOD,
                "not json",
                "{\"image\": \"img/missing.png\", \"question\": \"q\", \"answer\": \"a\"}",
                GOOD,
                "{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"a\", \"category\": 3}");
        JsonlTasks.LoadResult result = JsonlTasks.load(file, JsonlTasks.Mode.LENIENT);
        assertEquals(2, result.items().size());
        assertEquals(List.of("data.jsonl:1", "data.jsonl:4"), result.items().stream().map(TaskItem::id).toList());
        assertEquals(3, result.skipped().size());
        assertEquals(2, result.skipped().get(0).line());
        assertEquals("line", result.skipped().get(0).field());
        assertEquals(3, result.skipped().get(1).line());
        assertEquals("image", result.skipped().get(1).field());
        assertTrue(result.skipped().get(1).reason().contains("missing.png"));
        assertEquals(5, result.skipped().get(2).line());
        assertEquals("category", result.skipped().get(2).field());
    }

    @Test
    void missingFileIsAnIoError() {
        assertThrows(IOException.class, () -> JsonlTasks.load(dir.resolve("nope.jsonl")));
    }
}

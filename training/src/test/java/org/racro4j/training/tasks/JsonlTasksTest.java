package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
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

    /**
     * A 1-bit palette PNG of side × side pixels, left half red and right half blue, written by hand: every row is the
     * same, so a 20000 × 20000 image deflates to about 50 KB, while decoded at full size it would take 1.6 GB.
     */
    static void writeTwoColourPng(Path file, int side) throws IOException {
        byte[] row = new byte[1 + (side + 7) / 8];   // filter type 0 (none), then 8 pixels per byte
        for (int x = side / 2; x < side; x++) {
            row[1 + x / 8] |= (byte) (0x80 >>> (x % 8));
        }
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(pixels)) {
            for (int y = 0; y < side; y++) {
                z.write(row);
            }
        }
        ByteBuffer header = ByteBuffer.allocate(13).putInt(side).putInt(side);
        header.put((byte) 1).put((byte) 3).put((byte) 0).put((byte) 0).put((byte) 0);   // bit depth 1, palette
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            pngChunk(out, "IHDR", header.array());
            pngChunk(out, "PLTE", new byte[] {(byte) 255, 0, 0, 0, 0, (byte) 255});
            pngChunk(out, "IDAT", pixels.toByteArray());
            pngChunk(out, "IEND", new byte[0]);
        }
    }

    private static void pngChunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        out.writeInt(data.length);
        out.write(name);
        out.write(data);
        out.writeInt((int) crc.getValue());
    }

    @Test
    void hugeImagesAreDecodedAtTheModelsImageSize() throws IOException {
        Path huge = dir.resolve("img/huge-0.png");
        writeTwoColourPng(huge, 20000);
        assertTrue(Files.size(huge) < 500_000, "small on disk: " + Files.size(huge));
        Files.copy(huge, dir.resolve("img/huge-1.png"));
        Files.copy(huge, dir.resolve("img/huge-2.png"));
        Path file = jsonl(
                "{\"image\": \"img/huge-0.png\", \"question\": \"q\", \"answer\": \"a\"}",
                "{\"image\": \"img/huge-1.png\", \"question\": \"q\", \"answer\": \"a\"}",
                "{\"image\": \"img/huge-2.png\", \"question\": \"q\", \"answer\": \"a\"}");
        List<TaskItem> items = JsonlTasks.load(file, JsonlTasks.Mode.STRICT, 48).items();
        assertEquals(3, items.size());
        for (TaskItem item : items) {
            BufferedImage image = item.image();
            // what is kept is the model's input size, 48 x 48 RGB (9 KB), not 20000 x 20000 (1.6 GB)
            assertEquals(48, image.getWidth());
            assertEquals(48, image.getHeight());
            assertEquals(BufferedImage.TYPE_INT_RGB, image.getType());
            assertEquals(0xff0000, image.getRGB(3, 24) & 0xffffff, "left half red");
            assertEquals(0x0000ff, image.getRGB(44, 24) & 0xffffff, "right half blue");
        }
        // without a size, images keep theirs up to 1024 pixels a side; larger ones are read at a fraction
        BufferedImage unsized = JsonlTasks.load(file).items().get(0).image();
        assertEquals(1000, unsized.getWidth());
        assertEquals(1000, unsized.getHeight());
    }

    @Test
    void smallImagesAreScaledToTheModelsImageSize() throws IOException {
        Path file = jsonl(GOOD, "{\"image\": \"img/b.jpg\", \"question\": \"q\", \"answer\": \"a\"}");
        List<TaskItem> items = JsonlTasks.load(file, JsonlTasks.Mode.STRICT, 32).items();
        for (TaskItem item : items) {
            assertEquals(32, item.image().getWidth());
            assertEquals(32, item.image().getHeight());
            assertEquals(BufferedImage.TYPE_INT_RGB, item.image().getType());
        }
        assertEquals(0xffffff, items.get(0).image().getRGB(31, 31) & 0xffffff, "transparent became white before scaling");
    }

    @Test
    void unreadableImagesNameTheFileLineAndImage() throws IOException {
        Files.writeString(dir.resolve("img/notes.txt"), "not an image");
        byte[] png = Files.readAllBytes(dir.resolve("img/a.png"));
        Files.write(dir.resolve("img/cut.png"), java.util.Arrays.copyOf(png, 45));   // the header and part of IHDR
        Path notes = jsonl(GOOD, "{\"image\": \"img/notes.txt\", \"question\": \"q\", \"answer\": \"a\"}");
        TaskFormatException e = assertThrows(TaskFormatException.class, () -> JsonlTasks.load(notes, JsonlTasks.Mode.STRICT, 48));
        assertEquals(notes + ":2: field 'image': not a PNG or JPEG image: " + dir.resolve("img/notes.txt"), e.getMessage());
        Path cut = jsonl(GOOD, GOOD, "{\"image\": \"img/cut.png\", \"question\": \"q\", \"answer\": \"a\"}");
        TaskFormatException c = assertThrows(TaskFormatException.class, () -> JsonlTasks.load(cut, JsonlTasks.Mode.STRICT, 48));
        assertTrue(c.getMessage().startsWith(cut + ":3: field 'image': cannot read " + dir.resolve("img/cut.png") + ": "), c.getMessage());
        assertTrue(!c.getMessage().contains("\n"), c.getMessage());
        // a header declaring 40000 x 40000 pixels is refused before any row is decompressed
        Path vast = dir.resolve("img/vast.png");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(vast))) {
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteBuffer header = ByteBuffer.allocate(13).putInt(40000).putInt(40000);
            header.put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
            pngChunk(out, "IHDR", header.array());
            pngChunk(out, "IEND", new byte[0]);
        }
        Path big = jsonl("{\"image\": \"img/vast.png\", \"question\": \"q\", \"answer\": \"a\"}");
        TaskFormatException v = assertThrows(TaskFormatException.class, () -> JsonlTasks.load(big, JsonlTasks.Mode.STRICT, 48));
        assertEquals(big + ":1: field 'image': " + vast + " is 40000 x 40000 pixels, more than 1073741824 in all", v.getMessage());
    }

    @Test
    void aFileThatIsNotUtf8IsNamedWithItsLine() throws IOException {
        Path file = dir.resolve("latin1.jsonl");
        byte[] first = (GOOD + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] second = "{\"image\": \"img/a.png\", \"question\": \"caf\u00e9 ?\", \"answer\": \"a\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] both = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        Files.write(file, both);
        int offset = first.length + "{\"image\": \"img/a.png\", \"question\": \"caf".length();
        IOException e = assertThrows(IOException.class, () -> JsonlTasks.load(file));
        assertEquals(file + ":2: not UTF-8 text (byte 0xE9 at offset " + offset + "); save the file as UTF-8", e.getMessage());
    }

    @Test
    void missingFileIsAnIoError() {
        assertThrows(IOException.class, () -> JsonlTasks.load(dir.resolve("nope.jsonl")));
    }
}

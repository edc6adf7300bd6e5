package org.racro4j.models.decoder.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A small GGUF file written by {@link GgufWriter}, read back whole, then damaged in every way the reader checks. */
class GgufReaderTest {
    @TempDir
    Path tmp;
    Path file;
    byte[] bytes;
    final float[] first = new float[15];
    final float[] second = new float[7];

    @BeforeEach
    void write() throws IOException {
        Random r = new Random(4);
        for (int i = 0; i < first.length; i++) first[i] = (float) r.nextGaussian();
        for (int i = 0; i < second.length; i++) second[i] = (float) r.nextGaussian();
        GgufWriter w = new GgufWriter();
        w.put("a.name", GgufValue.string("héllo"));
        w.put("a.count", GgufValue.uint32(4_000_000_000L));
        w.put("a.signed", GgufValue.int32(-7));
        w.put("a.rate", GgufValue.float32(0.1f));
        w.put("a.flag", GgufValue.bool(true));
        w.put("a.words", GgufValue.strings(List.of("x", "", "zz")));
        w.put("a.ints", GgufValue.int32s(new int[] {3, -1, 5}));
        w.addTensor("t.first", GgmlType.F32, new long[] {5, 3}, () -> first);
        w.addTensor("t.second", GgmlType.F16, new long[] {7}, () -> second);
        file = tmp.resolve("x.gguf");
        long size = w.write(file);
        bytes = Files.readAllBytes(file);
        assertEquals(size, bytes.length);
        assertEquals(0, bytes.length % 32);
    }

    @Test
    void readsBackWhatWasWritten() throws IOException {
        try (GgufReader r = GgufReader.open(file)) {
            assertEquals(8, r.metadata().size());
            assertEquals("héllo", r.require("a.name").asString());
            assertEquals(4_000_000_000L, r.require("a.count").asLong());
            assertEquals(-7, r.require("a.signed").asLong());
            assertEquals(0.1f, (float) r.require("a.rate").asDouble());
            assertEquals(true, r.require("a.flag").value());
            assertEquals(List.of("x", "", "zz"), r.require("a.words").value());
            assertEquals(List.of(3L, -1L, 5L), r.require("a.ints").value());
            assertArrayEquals(new long[] {5, 3}, r.tensors().get("t.first").dims());
            assertEquals(0, r.tensors().get("t.first").offset());
            assertEquals(64, r.tensors().get("t.second").offset(), "60 bytes of F32 padded to 64");
            assertArrayEquals(first, r.readFloats("t.first"));
            float[] half = r.readFloats("t.second");
            for (int i = 0; i < second.length; i++) assertEquals(GgufExportTest.nearestHalf(second[i]), half[i], 0f);
            IOException e = assertThrows(IOException.class, () -> r.require("a.absent"));
            assertTrue(e.getMessage().contains("no metadata key a.absent"), e.getMessage());
        }
    }

    @Test
    void everyTruncationIsRefused() throws IOException {
        long end;
        try (GgufReader r = GgufReader.open(file)) {
            var t = r.tensors().get("t.second");
            end = r.dataStart() + t.offset() + t.bytes();
        }
        for (int cut = 0; cut < end; cut++) {
            byte[] b = java.util.Arrays.copyOf(bytes, cut);
            expectRefused(b, null);
        }
    }

    @Test
    void damagedFieldsAreNamed() throws IOException {
        expectRefused(patch(0, 4, 0x46554748), "not a GGUF file");
        expectRefused(patch(4, 4, 4), "GGUF version 4");
        expectRefused(patch(8, 8, 1L << 40), "tensor count");
        expectRefused(patch(16, 8, 1L << 40), "metadata count");
        int alignmentValue = 24 + 8 + "general.alignment".length() + 4;
        expectRefused(patch(alignmentValue, 4, 48), "general.alignment 48 is not a power of two");
        int name = find("a.name");
        expectRefused(patch(name - 8, 8, Long.MAX_VALUE), "runs past the end of the file");
        int flag = find("a.flag") + "a.flag".length() + 4;
        expectRefused(patch(flag, 1, 2), "BOOL value 2");
        expectRefused(patch(find("a.flag") + "a.flag".length(), 4, 99), "unknown metadata value type 99");
        int words = find("a.words") + "a.words".length() + 4;
        expectRefused(patch(words + 4, 8, 1L << 50), "array of");
        byte[] dup = bytes.clone();
        System.arraycopy("a.name".getBytes(StandardCharsets.US_ASCII), 0, dup, find("a.flag"), 6);
        expectRefused(dup, "metadata key a.name appears twice");

        int info = find("t.second") + "t.second".length();   // n_dims, dims, type, offset
        expectRefused(patch(info, 4, 5), "has 5 dims");
        expectRefused(patch(info + 4, 8, 0), "dimension 0 of 0");
        expectRefused(patch(info + 4, 8, 1L << 62), "more elements than the file has bytes");
        expectRefused(patch(info + 12, 4, 12), "ggml type 12");
        expectRefused(patch(info + 16, 8, 48), "not a multiple of the alignment 32");
        expectRefused(patch(info + 16, 8, 32), "overlaps tensor t.first");
        expectRefused(patch(info + 16, 8, 1 << 20), "past the end of the file");
        byte[] sameName = bytes.clone();
        System.arraycopy("t.first".getBytes(StandardCharsets.US_ASCII), 0, sameName, find("t.second"), 7);
        sameName[find("t.second") - 8] = 7;   // the string's length
        expectRefused(shiftLeftAt(sameName, find("t.second") + 7, 1), "tensor t.first appears twice");
    }

    /** Random damage to the header: the reader either reads the file or refuses it with an IOException, never anything else. */
    @Test
    void randomDamageIsAnIOExceptionOrHarmless() throws IOException {
        Random r = new Random(9);
        int header;
        try (GgufReader g = GgufReader.open(file)) {
            header = (int) g.dataStart();
        }
        for (int trial = 0; trial < 3000; trial++) {
            byte[] b = bytes.clone();
            for (int k = 1 + r.nextInt(3); k > 0; k--) b[r.nextInt(header)] = (byte) r.nextInt(256);
            Path p = tmp.resolve("fuzz.gguf");
            Files.write(p, b);
            try (GgufReader g = GgufReader.open(p)) {
                for (String t : g.tensors().keySet()) g.readFloats(t);
            } catch (IOException expected) {
                assertTrue(expected.getMessage().startsWith(p.toString()), expected.getMessage());
            } catch (RuntimeException | OutOfMemoryError e) {
                fail("trial " + trial + ": " + e, e);
            }
        }
    }

    private void expectRefused(byte[] b, String fragment) throws IOException {
        Path p = tmp.resolve("bad.gguf");
        Files.write(p, b);
        IOException e = assertThrows(IOException.class, () -> {
            try (GgufReader r = GgufReader.open(p)) {
                for (String t : r.tensors().keySet()) r.readFloats(t);
            }
        }, "accepted a file of " + b.length + " bytes");
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        if (fragment != null) assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    private byte[] patch(int at, int width, long value) {
        byte[] b = bytes.clone();
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        switch (width) {
            case 1 -> buf.put(at, (byte) value);
            case 4 -> buf.putInt(at, (int) value);
            case 8 -> buf.putLong(at, value);
            default -> throw new IllegalArgumentException();
        }
        return b;
    }

    private static byte[] shiftLeftAt(byte[] b, int at, int n) {
        byte[] out = new byte[b.length - n];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + n, out, at, b.length - at - n);
        return out;
    }

    private int find(String s) {
        byte[] needle = s.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + needle.length <= bytes.length; i++) {
            for (int j = 0; j < needle.length; j++) if (bytes[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new IllegalStateException(s + " not in the file");
    }
}

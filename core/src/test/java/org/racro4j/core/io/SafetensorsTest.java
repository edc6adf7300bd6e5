package org.racro4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.DType;
import org.racro4j.core.ScopePerTest;
import org.racro4j.core.Tensor;
import org.racro4j.core.TestSupport;

/**
 * safetensors per the published format (huggingface/safetensors README): an 8-byte little-endian unsigned header
 * size N, N bytes of UTF-8 JSON mapping names to {dtype, shape, data_offsets [begin, end)} relative to the byte
 * buffer after the header, plus an optional "__metadata__" map of strings; the header may be padded with spaces.
 */
@ExtendWith(ScopePerTest.class)
class SafetensorsTest {
    @TempDir
    Path dir;
    private static Map<String, Tensor> sample() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("f32", Tensor.of(TestSupport.normal(1, 105), 3, 5, 7));
        m.put("bf16", Tensor.of(TestSupport.normal(2, 6), 2, 3).to(DType.BF16));
        m.put("f16", Tensor.of(new float[] {65504f, -0f, 0x1p-24f, 1f / 3}, 4).to(DType.F16));
        m.put("i32", Tensor.ofInts(new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE}, 2, 2));
        m.put("i64", Tensor.ofLongs(new long[] {Long.MIN_VALUE, (1L << 53) + 1, Long.MAX_VALUE}, 3));
        m.put("scalar", Tensor.scalar(2.5f));
        m.put("empty", Tensor.zeros(0, 3));
        m.put("empty_i64", Tensor.empty(DType.I64, org.racro4j.core.Device.CPU, 0));
        m.put("transposed", Tensor.of(TestSupport.normal(3, 12), 3, 4).t());
        return m;
    }

    private static void assertSameTensor(String name, Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype(), name + " dtype");
        assertArrayEquals(expected.shape(), actual.shape(), name + " shape");
        if (expected.dtype().isFloatingPoint()) TestSupport.assertBitsEqual(name, expected.toFloatArray(), actual.toFloatArray());
        else assertArrayEquals(expected.toLongArray(), actual.toLongArray(), name);
    }

    @Test
    void roundTripOfEveryDtypeScalarsEmptiesAndMetadata() throws IOException {
        Path f = dir.resolve("all.safetensors");
        Map<String, Tensor> in = sample();
        Safetensors.write(f, in, Map.of("format", "pt", "note", "héllo ✓ \"quoted\""));
        try (Safetensors.Reader r = Safetensors.open(f)) {
            assertEquals(List.copyOf(in.keySet()), r.names());
            assertEquals("pt", r.metadata().get("format"));
            assertEquals("héllo ✓ \"quoted\"", r.metadata().get("note"));
            for (String n : r.names()) assertSameTensor(n, in.get(n), r.load(n));
            assertEquals(DType.BF16, r.entry("bf16").dtype());
            assertThrows(IllegalArgumentException.class, () -> r.entry("nope"));
        }
    }

    /** The same metadata in maps of two orders: the same bytes (the header's metadata sorted by key). */
    @Test
    void metadataIsWrittenInKeyOrder() throws IOException {
        Map<String, String> one = new LinkedHashMap<>();
        one.put("step", "299");
        one.put("stage", "rl");
        one.put("a", "first");
        Map<String, String> other = new LinkedHashMap<>();
        other.put("a", "first");
        other.put("stage", "rl");
        other.put("step", "299");
        Map<String, Tensor> t = Map.of("w", Tensor.of(TestSupport.normal(4, 6), 2, 3));
        Safetensors.write(dir.resolve("one.safetensors"), t, one);
        Safetensors.write(dir.resolve("other.safetensors"), t, other);
        byte[] bytes = Files.readAllBytes(dir.resolve("one.safetensors"));
        assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("other.safetensors")));
        String header = new String(bytes, 8, (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(), StandardCharsets.UTF_8);
        assertTrue(header.indexOf("\"a\"") < header.indexOf("\"stage\"") && header.indexOf("\"stage\"") < header.indexOf("\"step\""), header);
    }

    @Test
    void writtenFilesFollowTheSpecByteForByte() throws IOException {
        Path f = dir.resolve("spec.safetensors");
        Map<String, Tensor> in = sample();
        Safetensors.write(f, in, Map.of("k", "v"));
        byte[] all = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "the writer aligns the data to 8 bytes");
        String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"));
        assertTrue(header.stripTrailing().endsWith("}"), "only spaces may follow the JSON");
        JsonNode root = new ObjectMapper().readTree(header);
        assertEquals("v", root.get("__metadata__").get("k").asText());
        long expectedBegin = 0;
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            JsonNode info = root.get(e.getKey());
            Tensor t = e.getValue();
            assertEquals(t.dtype().name(), info.get("dtype").asText());
            int[] shape = new int[info.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = info.get("shape").get(i).asInt();
            assertArrayEquals(t.shape(), shape);
            long begin = info.get("data_offsets").get(0).asLong();
            long end = info.get("data_offsets").get(1).asLong();
            assertEquals(expectedBegin, begin, e.getKey() + ": tensors are packed in order");
            assertEquals(t.numel() * t.dtype().byteSize(), end - begin);
            expectedBegin = end;
        }
        assertEquals(8 + n + expectedBegin, all.length, "nothing after the last tensor");
        // the F32 tensor's bytes are its row-major values, little-endian
        long at = 8 + n + root.get("f32").get("data_offsets").get(0).asLong();
        float[] f32 = in.get("f32").toFloatArray();
        ByteBuffer data = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < f32.length; i++) assertEquals(f32[i], data.getFloat((int) (at + 4L * i)));
        // the transposed view is written in its logical (row-major) order
        long tb = 8 + n + root.get("transposed").get("data_offsets").get(0).asLong();
        float[] tv = in.get("transposed").toFloatArray();
        for (int i = 0; i < tv.length; i++) assertEquals(tv[i], data.getFloat((int) (tb + 4L * i)));
    }

    /** A file assembled by hand: 8-byte size, JSON, data. */
    private Path handMade(String name, String json, byte[] data) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    @Test
    void aFileBuiltByHandPerTheSpecReads() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(16 + 24 + 4).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putFloat(-2f).putFloat(0.25f).putFloat(1e30f);          // "a" F32 [2, 2] at [0, 16)
        data.putLong(-7).putLong(1L << 40).putLong(3);                                 // "b" I64 [3] at [16, 40)
        data.putShort((short) 0x3F80).putShort((short) 0xC040);                        // "c" BF16 [2] at [40, 44): 1, -3
        String json = "{\"__metadata__\":{\"source\":\"hand\"},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[40,44]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[16,40]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}   ";   // trailing spaces are allowed
        Path p = handMade("hand.safetensors", json, data.array());
        try (Safetensors.Reader r = Safetensors.open(p)) {
            assertEquals(List.of("c", "b", "a"), r.names(), "header order");
            assertEquals("hand", r.metadata().get("source"));
            Tensor a = r.load("a");
            assertArrayEquals(new int[] {2, 2}, a.shape());
            assertArrayEquals(new float[] {1.5f, -2f, 0.25f, 1e30f}, a.toFloatArray());
            assertArrayEquals(new long[] {-7, 1L << 40, 3}, r.load("b").toLongArray());
            assertArrayEquals(new float[] {1f, -3f}, r.load("c").toFloatArray());
        }
    }

    // ------------------------------------------------------------------------------------------ malformed files

    private void assertRejected(Path p, String... mustMention) {
        IOException e = assertThrows(IOException.class, () -> {
            try (Safetensors.Reader r = Safetensors.open(p)) {
                for (String n : r.names()) r.load(n).close();
            }
        });
        String msg = e.getMessage();
        assertTrue(msg.contains(p.toString()), "the message names the file: " + msg);
        for (String s : mustMention) assertTrue(msg.contains(s), "the message should mention '" + s + "': " + msg);
    }

    private Path rawFile(String name, long headerLen, byte[] rest) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(rest);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    @Test
    void malformedFilesRaiseIOExceptionsNamingFileAndProblem() throws IOException {
        byte[] ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}".getBytes(StandardCharsets.UTF_8);
        assertRejected(rawFile("too_long.safetensors", 1000, ok), "header length 1000");
        assertRejected(rawFile("zero.safetensors", 0, ok), "header length 0");
        assertRejected(rawFile("negative.safetensors", -1, ok), "header length -1");
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertRejected(tiny, "shorter than the 8-byte header");
        assertRejected(handMade("json.safetensors", "{\"a\": {\"dtype\": ", new byte[0]), "not valid JSON");
        assertRejected(handMade("array.safetensors", "[1, 2, 3]", new byte[0]), "not a JSON object");
        assertRejected(handMade("entry.safetensors", "{\"a\": 5}", new byte[0]), "'a'", "not an object");
        assertRejected(handMade("f64.safetensors", "{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]),
                "'a'", "F64");
        assertRejected(handMade("mismatch.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", new byte[16]),
                "'a'", "needs 16 bytes", "[0, 12]");
        assertRejected(handMade("truncated.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]),
                "'a'", "past the end", "truncated");
        assertRejected(handMade("reversed.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", new byte[8]), "'a'");
        assertRejected(handMade("noshape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]), "'a'", "shape");
        assertRejected(handMade("negdim.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,4]}}", new byte[4]), "'a'");
        assertRejected(handMade("nooffsets.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "'a'", "data_offsets");
    }

    /** A header of F32 tensors "name" → [begin, end), with no metadata; shapes follow from the byte lengths. */
    private static String f32Header(Object... nameBeginEnd) {
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; i < nameBeginEnd.length; i += 3) {
            long begin = ((Number) nameBeginEnd[i + 1]).longValue();
            long end = ((Number) nameBeginEnd[i + 2]).longValue();
            json.append(i == 0 ? "" : ",").append('"').append(nameBeginEnd[i]).append("\":{\"dtype\":\"F32\",\"shape\":[")
                    .append((end - begin) / 4).append("],\"data_offsets\":[").append(begin).append(',').append(end).append("]}");
        }
        return json.append('}').toString();
    }

    @Test
    void tensorsThatShareBytesAreRefused() throws IOException {
        // Today's bug: both load, and 'b' silently reads the second half of 'a' and the bytes after it.
        assertRejected(handMade("overlap.safetensors", f32Header("a", 0, 8, "b", 4, 12), new byte[12]),
                "tensors 'a' [0, 8) and 'b' [4, 12) overlap");
        // Two names for the same bytes.
        assertRejected(handMade("alias.safetensors", f32Header("a", 0, 8, "b", 0, 8), new byte[8]),
                "tensors 'a' [0, 8) and 'b' [0, 8) overlap");
        // A zero-length tensor inside another one is an overlap too (the reference reader refuses it as well).
        assertRejected(handMade("inside.safetensors", f32Header("a", 0, 8, "e", 4, 4), new byte[8]),
                "tensors 'a' [0, 8) and 'e' [4, 4) overlap");
    }

    @Test
    void bytesThatBelongToNoTensorAreRefused() throws IOException {
        assertRejected(handMade("gap.safetensors", f32Header("a", 0, 8, "b", 12, 20), new byte[20]),
                "tensor 'b' begins at byte 12 but 'a' ends at 8: 4 bytes belong to no tensor");
        assertRejected(handMade("start.safetensors", f32Header("a", 4, 12), new byte[12]),
                "the first tensor 'a' begins at byte 4, not 0: 4 bytes belong to no tensor");
        assertRejected(handMade("tail.safetensors", f32Header("a", 0, 8), new byte[12]),
                "the data region is 12 bytes but the tensors end at byte 8 ('a'): 4 bytes at the end belong to no tensor");
        assertRejected(handMade("none.safetensors", "{}", new byte[4]),
                "the data region is 4 bytes but the tensors end at byte 0: 4 bytes at the end belong to no tensor");
    }

    @Test
    void tilingIsCheckedInOffsetOrderNotHeaderOrder() throws IOException {
        // Listed out of order but tiling exactly, with an empty tensor between two others: this is a valid file.
        Path p = handMade("unordered.safetensors", f32Header("c", 8, 16, "e", 8, 8, "a", 0, 8), new byte[16]);
        try (Safetensors.Reader r = Safetensors.open(p)) {
            assertEquals(List.of("c", "e", "a"), r.names());
            assertArrayEquals(new int[] {0}, r.load("e").shape());
        }
    }

    @Test
    void aRepeatedTensorNameIsRefused() throws IOException {
        // Jackson keeps the last entry: 'a' would read bytes [8, 16) and [0, 8) would belong to no one, silently.
        String twice = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        assertRejected(handMade("twice.safetensors", twice, new byte[16]), "header names tensor 'a' twice");
        assertRejected(handMade("meta2.safetensors", "{\"__metadata__\":{\"k\":\"v\"},\"__metadata__\":{}}", new byte[0]),
                "header names '__metadata__' twice");
        assertRejected(handMade("metakey.safetensors", "{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", new byte[0]),
                "the key \"k\" appears twice in the object at /__metadata__");
    }

    @Test
    void headerValuesOfTheWrongKindAreRefused() throws IOException {
        // A fractional dimension used to be truncated (2.5 -> 2) and a fractional offset likewise.
        assertRejected(handMade("frac.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor 'a' has an invalid dimension 2.5");
        assertRejected(handMade("fracoff.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}}", new byte[8]),
                "tensor 'a' needs data_offsets [begin, end]");
        // Metadata values are strings in the format; asText() used to turn an object into "".
        assertRejected(handMade("metaobj.safetensors", "{\"__metadata__\":{\"k\":{\"x\":1}}}", new byte[0]),
                "__metadata__ value of 'k' is not a string: {\"x\":1}");
        // A second JSON value after the header object used to be ignored.
        assertRejected(handMade("trailing.safetensors", f32Header("a", 0, 8) + "{}", new byte[8]), "header: not valid JSON", "Trailing token");
    }

    @Test
    void aShapeWhoseByteCountOverflowsIsRefused() throws IOException {
        // 2^30 * 2^30 * 16 elements wrap to 0 in a long: this used to load as an "empty" tensor of that shape.
        assertRejected(handMade("wrap.safetensors",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1073741824,1073741824,16],\"data_offsets\":[0,0]}}", new byte[0]),
                "tensor 'a' F32 [1073741824, 1073741824, 16] has more bytes than a long can count");
    }

    @Test
    void aHeaderThatIsNotUtf8IsRefused() throws IOException {
        // The name's byte 0xFF used to become U+FFFD silently.
        byte[] h = (f32Header("a", 0, 8)).getBytes(StandardCharsets.UTF_8);
        h[2] = (byte) 0xFF;
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(new byte[8]);
        Path p = dir.resolve("latin1.safetensors");
        Files.write(p, b.array());
        assertRejected(p, "header: not UTF-8: byte 0xFF at offset 2 (line 1) is not valid UTF-8");
    }

    @Test
    void aTensorTooBigForTheCpuNamesTheTensorAndTheFile() throws IOException {
        // A valid file whose one BF16 tensor has 2^31 - 7 elements, more than a Java array can hold. The data region
        // is a sparse 4 GiB hole: nothing is written and, as the allocation is refused first, nothing is read.
        long numel = Integer.MAX_VALUE - 7L;
        byte[] h = ("{\"big\":{\"dtype\":\"BF16\",\"shape\":[" + numel + "],\"data_offsets\":[0," + 2 * numel + "]}}")
                .getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("big.safetensors");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            f.write(h);
            f.setLength(8 + h.length + 2 * numel);
        }
        try (Safetensors.Reader r = Safetensors.open(p)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.load("big"));
            assertEquals(p + ": tensor 'big' BF16 [" + numel + "]: cpu: a storage of " + numel
                    + " elements exceeds the Java array limit", e.getMessage());
        } finally {
            Files.delete(p);
        }
    }

    @Test
    void aMissingFileIsAnIOException() {
        assertThrows(IOException.class, () -> Safetensors.open(dir.resolve("does-not-exist.safetensors")));
    }

    // ------------------------------------------------------------------------------------------ atomic writes

    private List<Path> filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    @Test
    void writingLeavesNoTemporaryFiles() throws IOException {
        Path sub = dir.resolve("sub");
        Path f = sub.resolve("w.safetensors");
        Safetensors.write(f, sample(), Map.of());
        Safetensors.write(f, Map.of("x", Tensor.ones(2)), Map.of()); // replaces
        assertEquals(List.of(f), filesIn(sub));
        try (Safetensors.Reader r = Safetensors.open(f)) {
            assertEquals(List.of("x"), r.names());
        }
    }

    @Test
    void aFailedWriteKeepsTheExistingFileAndLeavesNoTemporaries() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        Safetensors.write(f, Map.of("x", Tensor.of(new float[] {1, 2, 3}, 3)), Map.of());
        byte[] before = Files.readAllBytes(f);
        Tensor closed = Tensor.ones(1000);
        closed.close();
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("fine", Tensor.ones(500));
        bad.put("closed", closed);
        assertThrows(RuntimeException.class, () -> Safetensors.write(f, bad, Map.of()));
        assertArrayEquals(before, Files.readAllBytes(f), "the old file is intact");
        assertEquals(List.of(f), filesIn(dir));
        IllegalArgumentException meta = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(f, Map.of("__metadata__", Tensor.ones(1)), Map.of()));
        assertTrue(meta.getMessage().contains("__metadata__"));
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of(f), filesIn(dir));
    }

    @Test
    void readLoadsEverythingOntoTheCpu() throws IOException {
        Path f = dir.resolve("r.safetensors");
        Map<String, Tensor> in = sample();
        Safetensors.write(f, in, null);
        Map<String, Tensor> out = Safetensors.read(f);
        List<String> names = new ArrayList<>(out.keySet());
        assertEquals(List.copyOf(in.keySet()), names);
        for (Iterator<String> it = names.iterator(); it.hasNext(); ) {
            String n = it.next();
            assertSameTensor(n, in.get(n), out.get(n));
        }
        try (Safetensors.Reader r = Safetensors.open(f)) {
            assertTrue(r.metadata().isEmpty());
        }
    }
}

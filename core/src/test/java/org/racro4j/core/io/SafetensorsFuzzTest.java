package org.racro4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.racro4j.core.DType;
import org.racro4j.core.Tensor;

/**
 * Fuzzes the safetensors reader ({@link FuzzRuns}: 300 seeded tries per property, more with
 * -Dracro4j.fuzz.tries=N): arbitrary bytes, headers assembled from hostile pieces (duplicate names, unknown dtypes,
 * negative or huge dimensions and offsets, wrong header lengths, overlapping and gapped data), and single-byte
 * corruptions of a valid file. Each input is either refused with the reader's own error naming the file, or loads
 * a file that is what the format promises: names unique, tensors tiling the data region exactly, and each tensor's
 * bytes the file's bytes at its offsets.
 */
class SafetensorsFuzzTest {
    private static final Path DIR = tempDir();

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("safetensors-fuzz");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void removeFiles() throws IOException {
        try (var files = Files.list(DIR)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.delete(DIR);
    }

    /** A generated file: its bytes, the tensor names its header lists (duplicates included) and its data size. */
    record Candidate(byte[] bytes, List<String> names) {}

    @Test
    void arbitraryBytesAreRefusedClearly() {
        FuzzRuns.run("arbitrary bytes", r -> readAndCheck(new Candidate(FuzzRuns.bytes(r, 160), null)));
    }

    @Test
    void assembledHeadersLoadOnlyWhenTheyDescribeTheData() {
        FuzzRuns.run("assembled headers", r -> readAndCheck(assembled(r)));
    }

    @Test
    void corruptedValidFilesAreRefusedOrStillConsistent() {
        FuzzRuns.run("corrupted valid files", r -> {
            byte[] bytes = validFile(r);
            if (r.nextInt(4) == 0) bytes = java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length));
            else bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256);
            readAndCheck(new Candidate(bytes, null));
        });
    }

    /** A file written by the writer: one to three small tensors of F32 and BF16. */
    private static byte[] validFile(SplittableRandom r) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            float[] v = new float[1 + r.nextInt(5)];
            for (int j = 0; j < v.length; j++) v[j] = (float) r.nextGaussian();
            Tensor t = Tensor.of(v, v.length);
            tensors.put("t" + i, i == 1 ? t.to(DType.BF16) : t);
        }
        Path p = Files.createTempFile(DIR, "valid", ".safetensors");
        Safetensors.write(p, tensors, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(p);
        Files.delete(p);
        return bytes;
    }

    /**
     * A header assembled from hostile pieces: names that repeat, unknown or mistyped dtypes, dimensions and offsets
     * that are negative, fractional, strings or beyond a long, then 0-96 bytes of data, and a header length that is
     * right or off.
     */
    private static Candidate assembled(SplittableRandom r) {
        List<String> names = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        int entries = r.nextInt(5);
        for (int e = 0; e < entries; e++) {
            String name = FuzzRuns.oneOf(r, "a", "b", "w.0", "", "__metadata__", "a");
            String dtype = FuzzRuns.oneOf(r, "\"F32\"", "\"BF16\"", "\"F16\"", "\"I32\"", "\"I64\"", "\"F64\"", "\"U8\"", "\"f32\"", "3", "null");
            List<String> dims = new ArrayList<>();
            for (int d = r.nextInt(5); d > 0; d--) {
                dims.add(r.nextInt(4) > 0 ? String.valueOf(r.nextInt(9) - 2)
                        : FuzzRuns.oneOf(r, "2147483648", "9223372036854775807", "1e3", "\"2\"", "null", "2.5"));
            }
            List<String> offsets = new ArrayList<>();
            for (int o = r.nextInt(4); o > 0; o--) {
                offsets.add(r.nextInt(4) > 0 ? String.valueOf(r.nextInt(101) - 4) : FuzzRuns.oneOf(r, "9223372036854775807", "\"0\"", "1.5"));
            }
            parts.add("\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":[" + String.join(",", dims) + "],\"data_offsets\":["
                    + String.join(",", offsets) + "]}");
            if (!name.equals("__metadata__")) names.add(name);
        }
        byte[] header = ("{" + String.join(",", parts) + "}").getBytes(StandardCharsets.UTF_8);
        byte[] data = FuzzRuns.bytes(r, 96);
        long skew = r.nextInt(2) == 0 ? 0 : r.nextInt(4) > 0 ? r.nextInt(19) - 9 : FuzzRuns.oneOf(r, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length + skew).put(header).put(data);
        return new Candidate(b.array(), skew == 0 ? names : null);
    }

    private static void readAndCheck(Candidate c) throws IOException {
        Path file = Files.createTempFile(DIR, "fuzz", ".safetensors");
        Files.write(file, c.bytes());
        try {
            Map<String, Tensor> loaded = ParserContract.check(file, () -> {
                try (Safetensors.Reader r = Safetensors.open(file)) {
                    Map<String, Tensor> out = new LinkedHashMap<>();
                    for (String n : r.names()) out.put(n, r.load(n));
                    checkLayout(r, c.bytes().length);
                    return out;
                }
            });
            if (loaded != null && c.names() != null) {
                assertEquals(new HashSet<>(c.names()).size(), c.names().size(), "a header that repeats a tensor name loaded: " + c.names());
            }
            if (loaded != null) for (Tensor t : loaded.values()) t.close();
        } finally {
            Files.delete(file);
        }
    }

    /** Tensors tile the data region exactly, in some order, and each holds the file's bytes at its offsets. */
    private static void checkLayout(Safetensors.Reader r, int fileSize) throws IOException {
        byte[] all = Files.readAllBytes(r.path());
        long headerLen = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        long dataStart = 8 + headerLen;
        List<Safetensors.Entry> entries = new ArrayList<>();
        for (String n : r.names()) entries.add(r.entry(n));
        entries.sort(Comparator.comparingLong(Safetensors.Entry::begin));
        long at = 0;
        for (Safetensors.Entry e : entries) {
            assertEquals(at, e.begin(), "tensor '" + e.name() + "' does not start where the previous one ended");
            at = e.end();
            try (Tensor t = r.load(e.name())) {
                byte[] want = java.util.Arrays.copyOfRange(all, (int) (dataStart + e.begin()), (int) (dataStart + e.end()));
                ByteBuffer got = ByteBuffer.allocate(want.length).order(ByteOrder.LITTLE_ENDIAN);
                t.backend().download(t.storage(), 0, got);
                assertArrayEquals(want, got.array(), "bytes of tensor '" + e.name() + "'");
            }
        }
        assertTrue(at == fileSize - dataStart, "the tensors leave " + (fileSize - dataStart - at) + " unused bytes at the end of the data");
    }
}

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

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

import org.racro4j.core.DType;
import org.racro4j.core.Tensor;

/**
 * Fuzzes the safetensors reader (jqwik; tries per property from junit-platform.properties, more with
 * -Djqwik.tries.default=N): arbitrary bytes, headers assembled from hostile pieces (duplicate names, unknown dtypes,
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

    @AfterContainer
    static void removeFiles() throws IOException {
        try (var files = Files.list(DIR)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.delete(DIR);
    }

    /** A generated file: its bytes, the tensor names its header lists (duplicates included) and its data size. */
    record Candidate(byte[] bytes, List<String> names) {}

    @Property
    void arbitraryBytesAreRefusedClearly(@ForAll @Size(max = 160) byte[] bytes) throws IOException {
        readAndCheck(new Candidate(bytes, null));
    }

    @Property
    void assembledHeadersLoadOnlyWhenTheyDescribeTheData(@ForAll("assembled") Candidate file) throws IOException {
        readAndCheck(file);
    }

    @Property
    void corruptedValidFilesAreRefusedOrStillConsistent(@ForAll("validFiles") byte[] valid, @ForAll("positions") int at,
                                                        @ForAll byte value) throws IOException {
        byte[] bytes = valid.clone();
        bytes[Math.floorMod(at, bytes.length)] = value;
        readAndCheck(new Candidate(bytes, null));
    }

    @Provide
    Arbitrary<Integer> positions() {
        return Arbitraries.integers().between(0, 1 << 16);
    }

    /** A file written by the writer: one to three small tensors of various dtypes. */
    @Provide
    Arbitrary<byte[]> validFiles() {
        return Arbitraries.integers().between(1, 3).flatMap(n -> Arbitraries.longs().map(seed -> {
            try {
                Map<String, Tensor> tensors = new LinkedHashMap<>();
                java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
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
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }));
    }

    @Provide
    Arbitrary<Candidate> assembled() {
        Arbitrary<String> name = Arbitraries.of("a", "b", "w.0", "", "__metadata__", "a");
        Arbitrary<String> dtype = Arbitraries.of("\"F32\"", "\"BF16\"", "\"F16\"", "\"I32\"", "\"I64\"", "\"F64\"", "\"U8\"", "\"f32\"", "3", "null");
        Arbitrary<String> dim = Arbitraries.oneOf(Arbitraries.longs().between(-2, 6).map(String::valueOf),
                Arbitraries.of("2147483648", "9223372036854775807", "1e3", "\"2\"", "null", "2.5"));
        Arbitrary<String> shape = dim.list().ofMaxSize(4).map(ds -> "[" + String.join(",", ds) + "]");
        Arbitrary<String> offset = Arbitraries.oneOf(Arbitraries.longs().between(-4, 96).map(String::valueOf),
                Arbitraries.of("9223372036854775807", "\"0\"", "1.5"));
        Arbitrary<String> offsets = offset.list().ofMaxSize(3).map(os -> "[" + String.join(",", os) + "]");
        Arbitrary<String[]> entry = Combinators.combine(name, dtype, shape, offsets)
                .as((n, d, s, o) -> new String[] {n, "\"" + n + "\":{\"dtype\":" + d + ",\"shape\":" + s + ",\"data_offsets\":" + o + "}"});
        Arbitrary<List<String[]>> entries = entry.list().ofMaxSize(4);
        Arbitrary<byte[]> data = Arbitraries.bytes().array(byte[].class).ofMaxSize(96);
        Arbitrary<Long> lengthSkew = Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.longs().between(-9, 9),
                Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40));
        return Combinators.combine(entries, data, lengthSkew).as((es, d, skew) -> {
            List<String> names = new ArrayList<>();
            List<String> parts = new ArrayList<>();
            for (String[] e : es) {
                parts.add(e[1]);
                if (!e[0].equals("__metadata__")) names.add(e[0]);
            }
            byte[] header = ("{" + String.join(",", parts) + "}").getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(8 + header.length + d.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(header.length + skew).put(header).put(d);
            return new Candidate(b.array(), skew == 0 ? names : null);
        });
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

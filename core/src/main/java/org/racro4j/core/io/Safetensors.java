package org.racro4j.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
 * {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}}, then
 * the raw little-endian data, offsets relative to its start. Reading maps the file into memory and validates
 * every entry before any tensor is touched, with the reference reader's rules: names unique, each tensor's byte
 * length its shape × dtype size, and the tensors tiling the data region exactly (no overlaps, no gaps, nothing
 * after the last). Writing goes to a temporary file that is renamed into place.
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The reference implementation refuses headers above 100 MB; so do we, before allocating them. */
    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {}

    /** One tensor's entry in the header. */
    public record Entry(String name, DType dtype, int[] shape, long begin, long end) {}

    // ============================================================================================ writing

    /**
     * Writes tensors (any device, any dtype) and string metadata atomically to {@code path}: the tensors in the map's
     * order, the metadata sorted by key, so that the same metadata gives the same bytes whatever map holds it (Map.of
     * iterates in an order that changes from one JVM to the next, and two runs of one checkpoint differed there alone).
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new java.util.TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        List<Map.Entry<String, Tensor>> entries = new ArrayList<>(tensors.entrySet());
        for (var e : entries) {
            Tensor t = e.getValue();
            if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("safetensors: '__metadata__' is not a tensor name");
            long bytes = t.numel() * t.dtype().byteSize();
            ObjectNode info = header.putObject(e.getKey());
            info.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = info.putArray("shape");
            for (int s : t.shape()) shape.add(s);
            ArrayNode offs = info.putArray("data_offsets");
            offs.add(offset);
            offs.add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // data starts 8-byte aligned, padded with spaces as the spec allows
        byte[] headerBytes = new byte[padded];
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        for (int i = json.length; i < padded; i++) headerBytes[i] = ' ';

        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                len.flip();
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(headerBytes));
                for (var e : entries) writeTensor(ch, e.getValue());
                ch.force(true);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeTensor(FileChannel ch, Tensor t) throws IOException {
        Tensor c = Scope.unscoped(() -> {
            try (Autograd.Mode off = Autograd.noGrad()) {
                Tensor cpu = t.to(Device.CPU);
                Tensor dense = cpu.contiguous();
                if (dense != cpu && cpu != t) cpu.close();
                return dense;
            }
        });
        try {
            long bytes = c.numel() * c.dtype().byteSize();
            int chunk = 1 << 24;
            for (long at = 0; at < bytes; at += chunk) {
                int n = (int) Math.min(chunk, bytes - at);
                ByteBuffer bb = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
                c.backend().download(c.storage(), (long) c.offset() * c.dtype().byteSize() + at, bb);
                bb.flip();
                writeFully(ch, bb);
            }
        } finally {
            if (c != t) c.close();
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    // ============================================================================================ reading

    /** Opens and validates a file; tensors are read on demand from a memory map. */
    public static Reader open(Path path) throws IOException {
        return new Reader(path);
    }

    /** Reads every tensor of a file onto the CPU. */
    public static Map<String, Tensor> read(Path path) throws IOException {
        try (Reader r = open(path)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String n : r.names()) out.put(n, r.load(n));
            return out;
        }
    }

    /** A validated, memory-mapped safetensors file. */
    public static final class Reader implements AutoCloseable {
        private final Path path;
        private final FileChannel channel;
        private final long dataStart;
        private final Map<String, Entry> entries;
        private final Map<String, String> metadata;

        private Reader(Path path) throws IOException {
            this.path = path;
            this.channel = FileChannel.open(path, StandardOpenOption.READ);
            try {
                long size = channel.size();
                if (size < 8) throw bad("file is " + size + " bytes, shorter than the 8-byte header length");
                ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                readFully(0, lenBuf);
                long headerLen = lenBuf.getLong(0);
                if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen > size - 8) {
                    throw bad("header length " + headerLen + " is impossible for a file of " + size + " bytes");
                }
                ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
                readFully(8, hb);
                JsonNode root;
                try {
                    root = StrictJson.parse(hb.array());
                } catch (StrictJson.Problem p) {
                    if (p.duplicateKey() != null && p.duplicateIn().isEmpty()) {
                        // Jackson would keep the second entry; the first one's bytes would then belong to no tensor.
                        throw bad("header names " + (p.duplicateKey().equals("__metadata__") ? "'__metadata__'"
                                : "tensor '" + p.duplicateKey() + "'") + " twice");
                    }
                    throw bad("header: " + p.getMessage());
                }
                if (root == null || !root.isObject()) throw bad("header is not a JSON object");
                this.dataStart = 8 + headerLen;
                long dataSize = size - dataStart;
                Map<String, Entry> map = new LinkedHashMap<>();
                Map<String, String> meta = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                    var f = it.next();
                    if (f.getKey().equals("__metadata__")) {
                        if (!f.getValue().isObject()) throw bad("__metadata__ must be an object of strings");
                        for (var m : f.getValue().properties()) {
                            // The reference reader refuses non-string values; asText() would turn an object into "".
                            if (!m.getValue().isTextual()) {
                                throw bad("__metadata__ value of '" + m.getKey() + "' is not a string: " + m.getValue());
                            }
                            meta.put(m.getKey(), m.getValue().asText());
                        }
                        continue;
                    }
                    map.put(f.getKey(), parseEntry(f.getKey(), f.getValue(), dataSize));
                }
                checkTiling(map.values(), dataSize);
                this.entries = Collections.unmodifiableMap(map);
                this.metadata = Collections.unmodifiableMap(meta);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        private Entry parseEntry(String name, JsonNode n, long dataSize) throws IOException {
            if (!n.isObject()) throw bad("entry '" + name + "' is not an object");
            JsonNode dt = n.get("dtype");
            JsonNode sh = n.get("shape");
            JsonNode off = n.get("data_offsets");
            if (dt == null || !dt.isTextual()) throw bad("tensor '" + name + "' has no dtype");
            DType dtype = DType.fromSafetensorsName(dt.asText());
            if (dtype == null) {
                throw bad("tensor '" + name + "' has dtype " + dt.asText() + ", which racro4j does not read (F32, BF16, F16, I32, I64)");
            }
            if (sh == null || !sh.isArray()) throw bad("tensor '" + name + "' has no shape array");
            int[] shape = new int[sh.size()];
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = sh.get(i);
                // isIntegralNumber: a dimension of 2.5 must not be read as 2.
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                    throw bad("tensor '" + name + "' has an invalid dimension " + d + " in its shape");
                }
                shape[i] = (int) d.asLong();
            }
            if (off == null || !off.isArray() || off.size() != 2 || !isLong(off.get(0)) || !isLong(off.get(1))) {
                throw bad("tensor '" + name + "' needs data_offsets [begin, end]");
            }
            long begin = off.get(0).asLong();
            long end = off.get(1).asLong();
            long expected = byteLength(name, shape, dtype);
            if (begin < 0 || end < begin) throw bad("tensor '" + name + "' has data_offsets [" + begin + ", " + end + "]");
            if (end - begin != expected) {
                throw bad("tensor '" + name + "' " + dtype + " " + Shapes.str(shape) + " needs " + expected + " bytes but data_offsets ["
                        + begin + ", " + end + "] hold " + (end - begin));
            }
            if (end > dataSize) {
                throw bad("tensor '" + name + "' data_offsets [" + begin + ", " + end + "] run past the end of the data ("
                        + dataSize + " bytes; the file may be truncated)");
            }
            return new Entry(name, dtype, shape, begin, end);
        }

        private static boolean isLong(JsonNode n) {
            return n.isIntegralNumber() && n.canConvertToLong();
        }

        /** numel × element size, refusing a product that overflows (it could otherwise wrap onto a small, "matching" length). */
        private long byteLength(String name, int[] shape, DType dtype) throws IOException {
            try {
                long n = dtype.byteSize();
                for (int d : shape) n = Math.multiplyExact(n, (long) d);
                return n;
            } catch (ArithmeticException e) {
                throw bad("tensor '" + name + "' " + dtype + " " + Shapes.str(shape) + " has more bytes than a long can count");
            }
        }

        /**
         * The reference reader's rule: sorted by data_offsets, the tensors tile the data region exactly, the first
         * beginning at 0, each where the previous one ends, the last at the end of the file. Anything else means
         * two tensors share bytes (one reads the other's values) or some bytes belong to no tensor (the file is
         * not what its writer meant); both are refused rather than loaded.
         */
        private void checkTiling(java.util.Collection<Entry> all, long dataSize) throws IOException {
            List<Entry> sorted = new ArrayList<>(all);
            sorted.sort(java.util.Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            long at = 0;
            Entry previous = null;
            for (Entry e : sorted) {
                if (e.begin() < at) {
                    throw bad("tensors '" + previous.name() + "' [" + previous.begin() + ", " + previous.end() + ") and '" + e.name()
                            + "' [" + e.begin() + ", " + e.end() + ") overlap: each would read the other's bytes");
                }
                if (e.begin() > at) {
                    throw bad((previous == null ? "the first tensor '" + e.name() + "' begins at byte " + e.begin() + ", not 0"
                            : "tensor '" + e.name() + "' begins at byte " + e.begin() + " but '" + previous.name() + "' ends at " + at)
                            + ": " + (e.begin() - at) + " bytes belong to no tensor");
                }
                at = e.end();
                previous = e;
            }
            if (at != dataSize) {
                throw bad("the data region is " + dataSize + " bytes but the tensors end at byte " + at
                        + (previous == null ? "" : " ('" + previous.name() + "')") + ": " + (dataSize - at)
                        + " bytes at the end belong to no tensor");
            }
        }

        private IOException bad(String what) {
            return new IOException(path + ": malformed safetensors file: " + what);
        }

        private void readFully(long position, ByteBuffer dst) throws IOException {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position);
                if (n < 0) throw bad("unexpected end of file at byte " + position);
                position += n;
            }
        }

        public Path path() {
            return path;
        }

        /** Tensor names in header order. */
        public List<String> names() {
            return new ArrayList<>(entries.keySet());
        }

        public Entry entry(String name) {
            Entry e = entries.get(name);
            if (e == null) throw new IllegalArgumentException(path + ": no tensor named '" + name + "'");
            return e;
        }

        public Map<String, String> metadata() {
            return metadata;
        }

        /** Loads one tensor onto the CPU in its stored dtype. */
        public Tensor load(String name) throws IOException {
            return load(name, Device.CPU);
        }

        /** Loads one tensor onto a device, straight from the memory map. */
        public Tensor load(String name, Device device) throws IOException {
            Entry e = entry(name);
            long bytes = e.end() - e.begin();
            Tensor t;
            try {
                t = Tensor.empty(e.dtype(), device, e.shape());
            } catch (IllegalArgumentException tooBig) {
                // A valid file can hold a tensor a backend cannot (a CPU storage is one Java array); say which one.
                throw new IllegalArgumentException(path + ": tensor '" + name + "' " + e.dtype() + " " + Shapes.str(e.shape())
                        + ": " + tooBig.getMessage(), tooBig);
            }
            long chunk = 1L << 30;
            for (long at = 0; at < bytes; at += chunk) {
                long n = Math.min(chunk, bytes - at);
                MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin() + at, n);
                map.order(ByteOrder.LITTLE_ENDIAN);
                device.backend().upload(t.storage(), at, map);
            }
            return t;
        }

        /**
         * The bits of a BF16 or F16 tensor as a read-only, little-endian view of the file's memory map: no copy is made,
         * and the view stays valid after this reader closes (until it is garbage-collected).
         */
        public ShortBuffer mapBits(String name) throws IOException {
            Entry e = entry(name);
            if (e.dtype() != DType.BF16 && e.dtype() != DType.F16) {
                throw new IllegalArgumentException(path + ": tensor '" + name + "' is " + e.dtype() + ", not BF16 or F16 bits");
            }
            long bytes = e.end() - e.begin();
            if (bytes > Integer.MAX_VALUE) throw new IOException(path + ": tensor '" + name + "' has " + bytes + " bytes, more than one mapping holds");
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), bytes);
            return map.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}

package org.racro4j.models.decoder.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.racro4j.core.HalfFloats;

/**
 * Writes a GGUF version 3 file (the format of ggml and llama.cpp), little-endian:
 * <pre>
 *   "GGUF", version (u32), tensor count (u64), metadata count (u64)
 *   metadata: key (string), value type (u32), value
 *   tensor infos: name (string), n_dims (u32), dims (u64 each, innermost first), ggml type (u32), data offset (u64)
 *   zero padding to the alignment, then the tensor data, each tensor starting at a multiple of the alignment
 * </pre>
 * where a string is its UTF-8 length (u64) and bytes, and an array is its element type (u32), length (u64) and
 * elements. Tensors are given as suppliers of F32 values and converted on the way out, so only one tensor's
 * values need to be in memory at a time.
 */
public final class GgufWriter {
    public static final int MAGIC = 0x46554747;   // "GGUF" read as a little-endian u32
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";

    /** A tensor to write: dims innermost first, as GGUF lists them. */
    private record Pending(String name, GgmlType type, long[] dims, Supplier<float[]> values) {
        long elements() {
            long n = 1;
            for (long d : dims) n = Math.multiplyExact(n, d);
            return n;
        }

        long bytes() {
            return elements() * type.bytesPerElement();
        }
    }

    private final int alignment;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final Map<String, Pending> tensors = new LinkedHashMap<>();

    public GgufWriter() {
        this(DEFAULT_ALIGNMENT);
    }

    /** A writer whose data section is aligned to {@code alignment} bytes (a power of two), recorded in general.alignment. */
    public GgufWriter(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("GGUF alignment must be a power of two, got " + alignment);
        }
        this.alignment = alignment;
        put(ALIGNMENT_KEY, GgufValue.uint32(alignment));
    }

    public GgufWriter put(String key, GgufValue value) {
        if (metadata.containsKey(key)) throw new IllegalArgumentException("GGUF metadata key " + key + " given twice");
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor.
     *
     * @param dims   its dimensions innermost first (a PyTorch [rows, cols] matrix is {cols, rows})
     * @param values supplies its row-major F32 values when the file is written; they are rounded to {@code type}
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, Supplier<float[]> values) {
        if (tensors.containsKey(name)) throw new IllegalArgumentException("GGUF tensor " + name + " given twice");
        if (dims.length < 1 || dims.length > 4) {
            throw new IllegalArgumentException("GGUF tensor " + name + " has " + dims.length + " dims (ggml allows 1 to 4)");
        }
        for (long d : dims) {
            if (d <= 0) throw new IllegalArgumentException("GGUF tensor " + name + " has a dimension of " + d);
        }
        tensors.put(name, new Pending(name, type, dims.clone(), values));
        return this;
    }

    /** Writes the file at {@code path} (replacing it; callers write to a temporary name and rename). Returns its size. */
    public long write(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
             Out out = new Out(ch)) {
            out.u32(MAGIC);
            out.u32(VERSION);
            out.u64(tensors.size());
            out.u64(metadata.size());
            for (var e : metadata.entrySet()) {
                out.string(e.getKey());
                out.u32(e.getValue().type());
                value(out, e.getValue());
            }
            long offset = 0;
            List<Long> offsets = new ArrayList<>();
            for (Pending t : tensors.values()) {
                out.string(t.name());
                out.u32(t.dims().length);
                for (long d : t.dims()) out.u64(d);
                out.u32(t.type().id());
                out.u64(offset);
                offsets.add(offset);
                offset = align(offset + t.bytes());
            }
            out.padTo(align(out.position()));
            long dataStart = out.position();
            int i = 0;
            for (Pending t : tensors.values()) {
                out.padTo(dataStart + offsets.get(i++));
                float[] v = t.values().get();
                if (v.length != t.elements()) {
                    throw new IllegalStateException("GGUF tensor " + t.name() + ": " + v.length + " values for " + t.elements() + " elements");
                }
                for (float x : v) {
                    switch (t.type()) {
                        case F32 -> out.f32(x);
                        case F16 -> out.u16(HalfFloats.floatToF16(x));
                        case BF16 -> out.u16(HalfFloats.floatToBf16(x));
                    }
                }
            }
            out.padTo(align(out.position()));
            out.flush();
            return out.position();
        }
    }

    private long align(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static void value(Out out, GgufValue v) throws IOException {
        if (v.type() == GgufValue.ARRAY) {
            List<Object> items = v.asList();
            out.u32(v.elementType());
            out.u64(items.size());
            for (Object item : items) scalar(out, v.elementType(), item);
        } else {
            scalar(out, v.type(), v.value());
        }
    }

    private static void scalar(Out out, int type, Object x) throws IOException {
        switch (type) {
            case GgufValue.UINT8, GgufValue.INT8 -> out.u8((int) (long) (Long) x);
            case GgufValue.UINT16, GgufValue.INT16 -> out.u16((short) (long) (Long) x);
            case GgufValue.UINT32, GgufValue.INT32 -> out.u32((int) (long) (Long) x);
            case GgufValue.UINT64, GgufValue.INT64 -> out.u64((Long) x);
            case GgufValue.FLOAT32 -> out.f32((float) (double) (Double) x);
            case GgufValue.FLOAT64 -> out.f64((Double) x);
            case GgufValue.BOOL -> out.u8((Boolean) x ? 1 : 0);
            case GgufValue.STRING -> out.string((String) x);
            default -> throw new IllegalArgumentException("cannot write GGUF value of " + GgufValue.typeName(type));
        }
    }

    /** A buffered little-endian writer on a channel that counts the bytes written. */
    private static final class Out implements AutoCloseable {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long flushed;

        Out(FileChannel ch) {
            this.ch = ch;
        }

        long position() {
            return flushed + buf.position();
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) flush();
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) flushed += ch.write(buf);
            buf.clear();
        }

        void u8(int v) throws IOException {
            room(1);
            buf.put((byte) v);
        }

        void u16(short v) throws IOException {
            room(2);
            buf.putShort(v);
        }

        void u32(int v) throws IOException {
            room(4);
            buf.putInt(v);
        }

        void u64(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        void f32(float v) throws IOException {
            room(4);
            buf.putFloat(v);
        }

        void f64(double v) throws IOException {
            room(8);
            buf.putDouble(v);
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            for (int i = 0; i < b.length; ) {
                room(1);
                int n = Math.min(buf.remaining(), b.length - i);
                buf.put(b, i, n);
                i += n;
            }
        }

        void padTo(long target) throws IOException {
            while (position() < target) u8(0);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}

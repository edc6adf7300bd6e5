package org.racro4j.models.decoder.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a GGUF file (versions 2 and 3, little-endian): its metadata, its tensor list, and the values of F32, F16
 * and BF16 tensors. Written apart from {@link GgufWriter}, from the format's description, so that reading a file
 * back checks the writer rather than repeating it. Every count, length and offset is checked against the file's
 * size before it is used, so a damaged file is an {@link IOException} naming the file, the byte offset and what
 * is wrong, never a huge allocation or a silent misread.
 */
public final class GgufReader implements AutoCloseable {
    /** One tensor: its dims innermost first, its type and its offset from the start of the data section. */
    public record TensorInfo(String name, long[] dims, GgmlType type, long offset) {
        public long elements() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        public long bytes() {
            return elements() * type.bytesPerElement();
        }
    }

    private static final int MAGIC = 'G' | 'G' << 8 | 'U' << 16 | 'F' << 24;
    private static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY_DEPTH = 1;   // arrays of arrays are valid GGUF, but nothing racro4j reads uses them

    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final int version;
    private final int alignment;
    private final long dataStart;
    private final Map<String, GgufValue> metadata;
    private final Map<String, TensorInfo> tensors;

    private GgufReader(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        this.fileSize = channel.size();
        In in = new In();
        if (in.i32() != MAGIC) throw problem(0, "not a GGUF file (the first 4 bytes are not \"GGUF\")");
        version = in.i32();
        if (version != 2 && version != 3) throw problem(4, "GGUF version " + version + " is not supported (2 and 3 are)");
        long tensorCount = in.u64();
        long kvCount = in.u64();
        // Each metadata entry takes at least 13 bytes (key length, type, 1-byte value) and each tensor info 28;
        // a count beyond what the file could hold is damage, refused before anything is allocated for it.
        if (kvCount < 0 || kvCount > fileSize / 13) throw problem(16, "metadata count " + kvCount + " is impossible for a file of " + fileSize + " bytes");
        if (tensorCount < 0 || tensorCount > fileSize / 28) throw problem(8, "tensor count " + tensorCount + " is impossible for a file of " + fileSize + " bytes");

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = in.position();
            String key = in.string();
            int type = in.i32();
            GgufValue v = in.value(type, 0);
            if (kv.put(key, v) != null) throw problem(at, "metadata key " + key + " appears twice");
        }
        metadata = Collections.unmodifiableMap(kv);
        GgufValue align = kv.get("general.alignment");
        if (align == null) {
            alignment = 32;
        } else {
            if (align.type() != GgufValue.UINT32) throw problem(-1, "general.alignment must be a UINT32, got " + align);
            long a = align.asLong();
            if (a == 0 || Long.bitCount(a) != 1) throw problem(-1, "general.alignment " + a + " is not a power of two");
            alignment = (int) a;
        }

        Map<String, TensorInfo> ts = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = in.position();
            String name = in.string();
            int nDims = in.i32();
            if (nDims < 1 || nDims > MAX_DIMS) throw problem(at, "tensor " + name + " has " + nDims + " dims (1 to " + MAX_DIMS + " allowed)");
            long[] dims = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                dims[d] = in.u64();
                if (dims[d] <= 0) throw problem(at, "tensor " + name + " has dimension " + d + " of " + dims[d]);
                if (elements > fileSize / dims[d]) throw problem(at, "tensor " + name + " has more elements than the file has bytes");
                elements *= dims[d];
            }
            int typeId = in.i32();
            GgmlType type = GgmlType.ofId(typeId & 0xffffffffL);
            if (type == null) throw problem(at, "tensor " + name + " has ggml type " + typeId + ", which this reader does not read (F32, F16, BF16)");
            long offset = in.u64();
            if (offset < 0 || offset % alignment != 0) throw problem(at, "tensor " + name + " has offset " + offset + ", not a multiple of the alignment " + alignment);
            if (ts.put(name, new TensorInfo(name, dims, type, offset)) != null) throw problem(at, "tensor " + name + " appears twice");
        }
        tensors = Collections.unmodifiableMap(ts);
        dataStart = (in.position() + alignment - 1) / alignment * alignment;
        List<TensorInfo> byOffset = new ArrayList<>(ts.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset));
        long end = 0;
        String previous = null;
        for (TensorInfo t : byOffset) {
            if (t.offset() < end) throw problem(-1, "tensor " + t.name() + " overlaps tensor " + previous);
            end = t.offset() + t.bytes();
            previous = t.name();
            if (end > fileSize - dataStart) {
                throw problem(-1, "tensor " + t.name() + " ends at byte " + (dataStart + end) + ", past the end of the file (" + fileSize + " bytes)");
            }
        }
    }

    public static GgufReader open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new GgufReader(path, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** The byte offset of the data section (tensor offsets count from here). */
    public long dataStart() {
        return dataStart;
    }

    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    /** A metadata value; an IOException naming the key when it is absent. */
    public GgufValue require(String key) throws IOException {
        GgufValue v = metadata.get(key);
        if (v == null) throw problem(-1, "no metadata key " + key);
        return v;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The values of a tensor, row-major (innermost dim fastest), widened to F32. */
    public float[] readFloats(String name) throws IOException {
        TensorInfo t = tensors.get(name);
        if (t == null) throw problem(-1, "no tensor " + name);
        if (t.elements() > Integer.MAX_VALUE - 8) throw problem(-1, "tensor " + name + " has too many elements for one Java array");
        ByteBuffer b = ByteBuffer.allocate((int) t.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        long pos = dataStart + t.offset();
        while (b.hasRemaining()) {
            int n = channel.read(b, pos + b.position());
            if (n < 0) throw problem(pos + b.position(), "file ends inside tensor " + name);
        }
        b.flip();
        float[] out = new float[(int) t.elements()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (t.type()) {
                case F32 -> b.getFloat();
                case BF16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                case F16 -> halfToFloat(b.getShort());
            };
        }
        return out;
    }

    /** IEEE binary16 to float, exactly (every half is a float). */
    static float halfToFloat(short h) {
        int sign = (h >> 15) & 1;
        int exp = (h >> 10) & 0x1f;
        int mant = h & 0x3ff;
        float magnitude;
        if (exp == 0x1f) magnitude = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        else if (exp == 0) magnitude = mant * 0x1p-24f;                       // subnormal: mant × 2^-24
        else magnitude = (1024 + mant) * (float) Math.pow(2, exp - 25);      // (1 + mant/1024) × 2^(exp-15)
        return sign == 1 ? -magnitude : magnitude;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private IOException problem(long offset, String what) {
        return new IOException(path + (offset >= 0 ? " (byte " + offset + ")" : "") + ": " + what);
    }

    /** Sequential little-endian reads of the header, buffered, refusing to read past the end of the file. */
    private final class In {
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long bufStart;

        In() {
            buf.limit(0);
        }

        long position() {
            return bufStart + buf.position();
        }

        private void need(int n) throws IOException {
            if (position() + n > fileSize) throw problem(position(), "file ends in the header (needs " + n + " more bytes, " + (fileSize - position()) + " left)");
            if (buf.remaining() >= n) return;
            long pos = position();
            buf.compact();   // the unread bytes move to the front: index 0 is now file offset pos
            bufStart = pos;
            while (buf.position() < n) {
                if (channel.read(buf, bufStart + buf.position()) < 0) throw problem(pos, "file ends in the header");
            }
            buf.flip();
        }

        int i32() throws IOException {
            need(4);
            return buf.getInt();
        }

        long u64() throws IOException {
            need(8);
            return buf.getLong();
        }

        String string() throws IOException {
            long at = position();
            long len = u64();
            if (len < 0 || len > fileSize - position()) throw problem(at, "string of " + len + " bytes runs past the end of the file");
            if (len > Integer.MAX_VALUE - 8) throw problem(at, "string of " + len + " bytes is longer than one Java array holds");
            byte[] bytes = new byte[(int) len];
            int done = 0;
            while (done < bytes.length) {
                int n = (int) Math.min(bytes.length - done, buf.capacity());
                need(n);
                buf.get(bytes, done, n);
                done += n;
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw problem(at, "string is not valid UTF-8");
            }
        }

        GgufValue value(int type, int depth) throws IOException {
            long at = position();
            if (type == GgufValue.ARRAY) {
                if (depth >= MAX_ARRAY_DEPTH) throw problem(at, "arrays of arrays are not supported");
                int elementType = i32();
                long n = u64();
                int size = GgufValue.scalarBytes(elementType);
                if (size < 0) throw problem(at, "array of unknown value type " + elementType);
                int minBytes = size > 0 ? size : 8;   // a string element takes at least its 8-byte length, an array its header
                if (n < 0 || n > (fileSize - position()) / minBytes) throw problem(at, "array of " + n + " elements runs past the end of the file");
                List<Object> items = new ArrayList<>((int) Math.min(n, 1 << 20));
                for (long i = 0; i < n; i++) items.add(value(elementType, depth + 1).value());
                return new GgufValue(GgufValue.ARRAY, elementType, Collections.unmodifiableList(items));
            }
            Object v = switch (type) {
                case GgufValue.UINT8 -> { need(1); yield (long) (buf.get() & 0xff); }
                case GgufValue.INT8 -> { need(1); yield (long) buf.get(); }
                case GgufValue.UINT16 -> { need(2); yield (long) (buf.getShort() & 0xffff); }
                case GgufValue.INT16 -> { need(2); yield (long) buf.getShort(); }
                case GgufValue.UINT32 -> { need(4); yield buf.getInt() & 0xffffffffL; }
                case GgufValue.INT32 -> { need(4); yield (long) buf.getInt(); }
                case GgufValue.UINT64, GgufValue.INT64 -> { need(8); yield buf.getLong(); }
                case GgufValue.FLOAT32 -> { need(4); yield (double) buf.getFloat(); }
                case GgufValue.FLOAT64 -> { need(8); yield buf.getDouble(); }
                case GgufValue.BOOL -> {
                    need(1);
                    byte b = buf.get();
                    if (b != 0 && b != 1) throw problem(at, "BOOL value " + b + " is neither 0 nor 1");
                    yield b == 1;
                }
                case GgufValue.STRING -> string();
                default -> throw problem(at - 4, "unknown metadata value type " + type);
            };
            return new GgufValue(type, GgufValue.NONE, v);
        }
    }
}

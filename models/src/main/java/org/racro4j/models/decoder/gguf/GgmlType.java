package org.racro4j.models.decoder.gguf;

/**
 * The tensor element types racro4j writes into GGUF files, with their ids in ggml's {@code enum ggml_type}
 * (ggml.h): the ids are part of the file format.
 */
public enum GgmlType {
    F32(0, 4),
    F16(1, 2),
    BF16(30, 2);

    private final int id;
    private final int bytes;

    GgmlType(int id, int bytes) {
        this.id = id;
        this.bytes = bytes;
    }

    /** The number written into the file. */
    public int id() {
        return id;
    }

    public int bytesPerElement() {
        return bytes;
    }

    /** The type with this ggml id, or null when it is none of these three (a quantized type, say). */
    public static GgmlType ofId(long id) {
        for (GgmlType t : values()) {
            if (t.id == id) return t;
        }
        return null;
    }

    /**
     * The {@code general.file_type} (llama.cpp's {@code enum llama_ftype}) of a file whose matrices are of this
     * type: ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_BF16 = 32.
     */
    public int fileType() {
        return switch (this) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 32;
        };
    }
}

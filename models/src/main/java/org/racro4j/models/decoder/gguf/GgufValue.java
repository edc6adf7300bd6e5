package org.racro4j.models.decoder.gguf;

import java.util.List;

/**
 * One metadata value of a GGUF file: its type (the {@code gguf_type} numbers below, part of the format) and its
 * Java value: Long for the integer types (a UINT64 above Long.MAX_VALUE keeps its bits), Double for FLOAT32/64,
 * Boolean, String, or, for an ARRAY, a List of such values all of {@link #elementType()}.
 */
public record GgufValue(int type, int elementType, Object value) {
    public static final int UINT8 = 0;
    public static final int INT8 = 1;
    public static final int UINT16 = 2;
    public static final int INT16 = 3;
    public static final int UINT32 = 4;
    public static final int INT32 = 5;
    public static final int FLOAT32 = 6;
    public static final int BOOL = 7;
    public static final int STRING = 8;
    public static final int ARRAY = 9;
    public static final int UINT64 = 10;
    public static final int INT64 = 11;
    public static final int FLOAT64 = 12;

    private static final String[] NAMES = {"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL",
            "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"};

    /** -1 as the element type of a value that is not an array. */
    public static final int NONE = -1;

    public static GgufValue uint32(long v) {
        if (v < 0 || v > 0xffffffffL) throw new IllegalArgumentException("UINT32 value out of range: " + v);
        return new GgufValue(UINT32, NONE, v);
    }

    public static GgufValue int32(int v) {
        return new GgufValue(INT32, NONE, (long) v);
    }

    public static GgufValue float32(float v) {
        return new GgufValue(FLOAT32, NONE, (double) v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(BOOL, NONE, v);
    }

    public static GgufValue string(String v) {
        return new GgufValue(STRING, NONE, v);
    }

    public static GgufValue strings(List<String> v) {
        return new GgufValue(ARRAY, STRING, List.copyOf(v));
    }

    public static GgufValue int32s(int[] v) {
        Long[] boxed = new Long[v.length];
        for (int i = 0; i < v.length; i++) boxed[i] = (long) v[i];
        return new GgufValue(ARRAY, INT32, List.of(boxed));
    }

    /** The size in bytes of one scalar of this type; 0 for STRING and ARRAY (variable), -1 when unknown. */
    static int scalarBytes(int type) {
        return switch (type) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64 -> 8;
            case STRING, ARRAY -> 0;
            default -> -1;
        };
    }

    public static String typeName(int type) {
        return type >= 0 && type < NAMES.length ? NAMES[type] : "type " + type;
    }

    public long asLong() {
        if (!(value instanceof Long l)) throw new IllegalStateException("not an integer value: " + this);
        return l;
    }

    public double asDouble() {
        if (!(value instanceof Double d)) throw new IllegalStateException("not a float value: " + this);
        return d;
    }

    public String asString() {
        if (!(value instanceof String s)) throw new IllegalStateException("not a string value: " + this);
        return s;
    }

    @SuppressWarnings("unchecked")
    public List<Object> asList() {
        if (!(value instanceof List<?> l)) throw new IllegalStateException("not an array value: " + this);
        return (List<Object>) l;
    }

    @Override
    public String toString() {
        String v = value instanceof List<?> l ? "[" + l.size() + " x " + typeName(elementType) + "]" : String.valueOf(value);
        return typeName(type) + " " + v;
    }
}

package org.racro4j.core;

/**
 * Element types. Floating types narrower than F32 are storage formats: the CPU backend computes in F32 and
 * rounds on store; GPU kernels load them and accumulate in F32.
 */
public enum DType {
    F32(4, true),
    BF16(2, true),
    F16(2, true),
    I32(4, false),
    I64(8, false);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The name safetensors uses in its header ("F32", "BF16", ...): the same as ours. */
    public String safetensorsName() {
        return name();
    }

    /** Parses a safetensors dtype name; null when racro4j has no such type. */
    public static DType fromSafetensorsName(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) return d;
        }
        return null;
    }

    /** The type two operands of a binary op are computed in: floating beats integer, wider beats narrower. */
    public static DType promote(DType a, DType b) {
        if (a == b) return a;
        if (a.floatingPoint != b.floatingPoint) return a.floatingPoint ? a : b;
        if (a.floatingPoint) return F32; // BF16 with F16, or either with F32
        return I64;
    }
}

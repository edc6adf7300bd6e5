package org.racro4j.core.cpu;

import org.racro4j.core.DType;
import org.racro4j.core.HalfFloats;
import org.racro4j.core.Storage;

/** Heap-array storage: float[] for F32, short[] for BF16/F16 (raw bits), int[] for I32, long[] for I64. */
public final class CpuStorage extends Storage {
    private Object data;

    CpuStorage(CpuBackend backend, DType dtype, int numel, ArrayPool pool) {
        super(backend, dtype, numel);
        this.data = pool.take(dtype, numel);
    }

    /** The backing array of an F32 storage. */
    public float[] floats() {
        return (float[]) live();
    }

    /** The raw bits of a BF16 or F16 storage. */
    public short[] shorts() {
        return (short[]) live();
    }

    public int[] ints() {
        return (int[]) live();
    }

    public long[] longs() {
        return (long[]) live();
    }

    Object array() {
        return live();
    }

    private Object live() {
        Object d = data;
        if (d == null) throw new IllegalStateException("CPU storage was already freed");
        return d;
    }

    /** Forgets the array (later access fails) and returns it: the backend may reuse it for a new storage. */
    Object drop() {
        Object d = data;
        data = null;
        return d;
    }

    public float getFloat(int i) {
        return switch (dtype()) {
            case F32 -> floats()[i];
            case BF16 -> HalfFloats.bf16ToFloat(shorts()[i]);
            case F16 -> HalfFloats.f16ToFloat(shorts()[i]);
            case I32 -> ints()[i];
            case I64 -> longs()[i];
        };
    }

    public void setFloat(int i, float v) {
        switch (dtype()) {
            case F32 -> floats()[i] = v;
            case BF16 -> shorts()[i] = HalfFloats.floatToBf16(v);
            case F16 -> shorts()[i] = HalfFloats.floatToF16(v);
            case I32 -> ints()[i] = (int) v;
            case I64 -> longs()[i] = (long) v;
        }
    }

    /** Exact for integer types (no detour through float). */
    public long getLong(int i) {
        return switch (dtype()) {
            case I32 -> ints()[i];
            case I64 -> longs()[i];
            default -> (long) getFloat(i);
        };
    }

    public void setDouble(int i, double v) {
        switch (dtype()) {
            case I32 -> ints()[i] = (int) v;
            case I64 -> longs()[i] = (long) v;
            default -> setFloat(i, (float) v);
        }
    }

    public void setLong(int i, long v) {
        switch (dtype()) {
            case I32 -> ints()[i] = (int) v;
            case I64 -> longs()[i] = v;
            default -> setFloat(i, v);
        }
    }
}

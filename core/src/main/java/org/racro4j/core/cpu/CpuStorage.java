package org.racro4j.core.cpu;

import java.nio.ShortBuffer;
import java.util.Arrays;

import org.racro4j.core.DType;
import org.racro4j.core.HalfFloats;
import org.racro4j.core.Storage;

/**
 * Heap-array storage: float[] for F32, short[] for BF16/F16 (raw bits), int[] for I32, long[] for I64. Two other
 * states serve frozen checkpoints: a placeholder of zeros whose array is only made at first use, and a BF16/F16
 * storage that maps a checkpoint file's bits (a read-only ShortBuffer), read in place and never copied to the heap.
 */
public final class CpuStorage extends Storage {
    /** Stands for the array of a placeholder that has none yet. */
    private static final Object PENDING = new Object();

    /** The array, PENDING, a mapped ShortBuffer, or null once freed; volatile: a placeholder is made by whichever thread reads it first. */
    private volatile Object data;
    private final ArrayPool pool;

    CpuStorage(CpuBackend backend, DType dtype, int numel, ArrayPool pool) {
        super(backend, dtype, numel);
        this.pool = pool;
        this.data = pool.take(dtype, numel);
    }

    /** A placeholder of zeros: its array is taken at first use, unless {@link #map} gives it a file's bits first. */
    private CpuStorage(CpuBackend backend, DType dtype, int numel, ArrayPool pool, Object pending) {
        super(backend, dtype, numel);
        this.pool = pool;
        this.data = pending;
    }

    static CpuStorage placeholder(CpuBackend backend, DType dtype, int numel, ArrayPool pool) {
        return new CpuStorage(backend, dtype, numel, pool, PENDING);
    }

    /**
     * Makes this BF16/F16 storage read {@code bits} (little-endian, numel of them: a tensor of a memory-mapped
     * checkpoint) instead of an array; a placeholder's array is never made, a real one is dropped. The storage is
     * read-only from then on: writing it fails.
     */
    public synchronized void map(ShortBuffer bits) {
        if (dtype() != DType.BF16 && dtype() != DType.F16) throw new IllegalArgumentException("only BF16 and F16 storages map a file, not " + dtype());
        if (bits.remaining() != numel()) throw new IllegalArgumentException("map: " + bits.remaining() + " values for a storage of " + numel());
        if (data == null) throw new IllegalStateException("CPU storage was already freed");
        data = bits.slice();
    }

    /** Whether this storage reads a mapped file (see {@link #map}). */
    public boolean isMapped() {
        return data instanceof ShortBuffer;
    }

    /** The backing array of an F32 storage. */
    public float[] floats() {
        return (float[]) live();
    }

    /** The raw bits of a BF16 or F16 storage, to read or write; a mapped storage has no array (see {@link #bits}). */
    public short[] shorts() {
        Object d = live();
        if (d instanceof ShortBuffer) {
            throw new IllegalStateException("this BF16/F16 storage maps a checkpoint file: it is read-only and has no array");
        }
        return (short[]) d;
    }

    /** The raw bits of a BF16 or F16 storage to read: its short[], or the read-only ShortBuffer of a mapped one. */
    public Object bits() {
        return live();
    }

    /** The raw bits to read as one array: the storage's own, or for a mapped one a copy (for whole-storage conversions). */
    short[] bitsArray() {
        Object d = live();
        if (!(d instanceof ShortBuffer b)) return (short[]) d;
        short[] copy = new short[(int) numel()];
        b.get(0, copy, 0, copy.length);
        return copy;
    }

    /** The raw bits of element i of a BF16 or F16 storage. */
    short bitsAt(int i) {
        Object d = live();
        return d instanceof ShortBuffer b ? b.get(i) : ((short[]) d)[i];
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
        if (d == PENDING) d = materialize();
        if (d == null) throw new IllegalStateException("CPU storage was already freed");
        return d;
    }

    /** The zeros of a placeholder, made by the first reader. */
    private synchronized Object materialize() {
        if (data == PENDING) {
            Object a = pool.take(dtype(), (int) numel());
            switch (dtype()) {
                case F32 -> Arrays.fill((float[]) a, 0f);
                case BF16, F16 -> Arrays.fill((short[]) a, (short) 0);
                case I32 -> Arrays.fill((int[]) a, 0);
                case I64 -> Arrays.fill((long[]) a, 0L);
            }
            data = a;
            ((CpuBackend) backend()).countAllocation();
        }
        return data;
    }

    /**
     * Forgets the contents (later access fails) and returns the array for the backend to reuse, or null when there is
     * none to reuse (a placeholder never used, a mapped file).
     */
    Object drop() {
        Object d = data;
        data = null;
        return d == PENDING || d instanceof ShortBuffer ? null : d;
    }

    public float getFloat(int i) {
        return switch (dtype()) {
            case F32 -> floats()[i];
            case BF16 -> HalfFloats.bf16ToFloat(bitsAt(i));
            case F16 -> HalfFloats.f16ToFloat(bitsAt(i));
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

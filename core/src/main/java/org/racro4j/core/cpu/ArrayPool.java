package org.racro4j.core.cpu;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import org.racro4j.core.DType;

/**
 * The arrays of freed CPU storages (float[], short[], int[], long[]), kept for the next storage of the same kind and
 * length. A training or decoding step allocates the same shapes every time; a fresh array comes from memory the CPU
 * has not touched since the last garbage collection, and the young generation cycles through gigabytes. Measured on a
 * 2-core VM (bench train-step, long warm-up): 5-10% off a 4-layer, 256-wide step and its peak RSS 6.7 GB -> 1.1 GB.
 * Arrays of every length are kept, small ones too, so that a steady decode step takes every storage from here and the
 * backend's allocation count stays flat (DecodeAllocationTest); a lookup costs tens of nanoseconds, against
 * microseconds for the smallest op.
 *
 * <p>Arrays are handed out as they were given back, not zeroed: storage is uninitialised ({@link
 * org.racro4j.core.Backend#allocate}), every kernel writes its whole output, and zeroing each array again cost 17% of a
 * batch-64 training step's profile samples (JFR, bench train-step on a 2-core Xeon VM). With
 * {@code -Dracro4j.cpu.poison=true} (the test suites set it) every array handed out is filled with NaN (floats, and the
 * half-float bits 0x7FFF, a NaN in both BF16 and F16) or the most negative integer, so a kernel that relied on zeroed
 * memory fails its tests. At most {@code capacityBytes} are kept in all (each array counted with
 * {@link #ARRAY_OVERHEAD} bytes of bookkeeping on top, so that many tiny arrays cannot hide behind their small size):
 * past that, arrays of the kind and length least recently asked for or given back go first, so lengths that stopped
 * recurring (a growing sequence, a changed batch, RL rollouts of many lengths) do not pin memory.
 */
final class ArrayPool {
    /** Fill every array handed out with NaN or the most negative integer: for tests, to catch reads of unwritten memory. */
    static final boolean POISON = Boolean.getBoolean("racro4j.cpu.poison");
    /** Bytes counted per kept array beyond its elements: its header and its place in a deque. */
    static final int ARRAY_OVERHEAD = 32;

    private final long capacityBytes;
    /** Free arrays by kind and length ({@link #key}), in access order: the eldest entry is the least recently used. */
    private final LinkedHashMap<Long, ArrayDeque<Object>> free = new LinkedHashMap<>(64, 0.75f, true);
    private long pooledBytes;
    private long reused;

    ArrayPool(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /**
     * An array for {@code length} elements of {@code dtype} (float[] for F32, short[] for BF16/F16, int[] for I32, long[]
     * for I64) with undefined contents: a pooled one when there is one, else a new one.
     */
    Object take(DType dtype, int length) {
        Object a = null;
        synchronized (this) {
            Long key = key(kind(dtype), length);
            ArrayDeque<Object> q = free.get(key);
            if (q != null) {
                a = q.pop();
                if (q.isEmpty()) free.remove(key);
                pooledBytes -= bytes(a);
                reused++;
            }
        }
        if (a == null) a = newArray(dtype, length);
        if (POISON) poison(a);
        return a;
    }

    /** Keeps {@code a} for reuse; the caller must hold no reference to it any more. */
    void give(Object a) {
        long bytes = bytes(a);
        if (bytes > capacityBytes) return;
        synchronized (this) {
            free.computeIfAbsent(key(kind(a), length(a)), k -> new ArrayDeque<>()).push(a);
            pooledBytes += bytes;
            while (pooledBytes > capacityBytes) evictOne();
        }
    }

    /** Drops the oldest array of the least recently used kind and length (the one just given back is the most recent). */
    private void evictOne() {
        Iterator<Map.Entry<Long, ArrayDeque<Object>>> it = free.entrySet().iterator();
        Map.Entry<Long, ArrayDeque<Object>> eldest = it.next();
        pooledBytes -= bytes(eldest.getValue().pollLast());
        if (eldest.getValue().isEmpty()) it.remove();
    }

    /** Bytes held in pooled arrays, bookkeeping included. */
    synchronized long pooledBytes() {
        return pooledBytes;
    }

    /** How many arrays were handed out again instead of allocated. */
    synchronized long reused() {
        return reused;
    }

    private static long key(int kind, int length) {
        return ((long) kind << 32) | length;
    }

    /** 0 float[], 1 short[], 2 int[], 3 long[]. */
    private static int kind(DType dtype) {
        return switch (dtype) {
            case F32 -> 0;
            case BF16, F16 -> 1;
            case I32 -> 2;
            case I64 -> 3;
        };
    }

    private static int kind(Object a) {
        if (a instanceof float[]) return 0;
        if (a instanceof short[]) return 1;
        if (a instanceof int[]) return 2;
        if (a instanceof long[]) return 3;
        throw new IllegalArgumentException("ArrayPool: not a storage array: " + a.getClass().getSimpleName());
    }

    private static Object newArray(DType dtype, int length) {
        return switch (dtype) {
            case F32 -> new float[length];
            case BF16, F16 -> new short[length];
            case I32 -> new int[length];
            case I64 -> new long[length];
        };
    }

    private static int length(Object a) {
        return switch (kind(a)) {
            case 0 -> ((float[]) a).length;
            case 1 -> ((short[]) a).length;
            case 2 -> ((int[]) a).length;
            default -> ((long[]) a).length;
        };
    }

    private static long bytes(Object a) {
        int elementBytes = switch (kind(a)) {
            case 0, 2 -> 4;
            case 1 -> 2;
            default -> 8;
        };
        return (long) elementBytes * length(a) + ARRAY_OVERHEAD;
    }

    private static void poison(Object a) {
        switch (kind(a)) {
            case 0 -> Arrays.fill((float[]) a, Float.NaN);
            case 1 -> Arrays.fill((short[]) a, (short) 0x7FFF);
            case 2 -> Arrays.fill((int[]) a, Integer.MIN_VALUE);
            default -> Arrays.fill((long[]) a, Long.MIN_VALUE);
        }
    }
}

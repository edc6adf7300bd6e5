package org.racro4j.core.cpu;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Float arrays of freed CPU storages, kept for the next storage of the same length. A training or decoding step
 * allocates the same activation shapes every time; a fresh {@code new float[n]} comes from memory the CPU has not
 * touched since the last garbage collection, and the young generation cycles through gigabytes. Measured on a 2-core
 * VM (bench train-step, long warm-up): 5-10% off a 4-layer, 256-wide step and its peak RSS 6.7 GB -> 1.1 GB; no change
 * on a 2-layer, 128-wide one.
 *
 * <p>Arrays are handed out as they were given back, not zeroed: storage is uninitialised ({@link
 * org.racro4j.core.Backend#allocate}), every kernel writes its whole output, and zeroing each array again cost 17% of a
 * batch-64 training step's profile samples (JFR, bench train-step on a 2-core Xeon VM). With
 * {@code -Dracro4j.cpu.poison=true} (the test suites set it) every array is filled with NaN instead, so a kernel that
 * relied on zeroed memory fails its tests. Only arrays of at least
 * {@link #MIN_LENGTH} elements are kept (smaller ones come cheap from the thread-local allocation buffer), and at
 * most {@code capacityBytes} in all: past that, arrays of the length least recently asked for or given back go
 * first, so lengths that stopped recurring (a growing sequence, a changed batch, RL rollouts of many lengths) do not
 * pin memory, and the arrays every step needs stay.
 */
final class FloatArrayPool {
    static final int MIN_LENGTH = 4096;
    /** Fill every array handed out with NaN: for tests, to catch kernels that read memory they never wrote. */
    static final boolean POISON = Boolean.getBoolean("racro4j.cpu.poison");

    private final long capacityBytes;
    /** Free arrays by length, in access order: the eldest entry is the length least recently used. */
    private final LinkedHashMap<Integer, ArrayDeque<float[]>> free = new LinkedHashMap<>(64, 0.75f, true);
    private long pooledBytes;
    private long reused;

    FloatArrayPool(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /**
     * An array of {@code length} elements with undefined contents (NaN with {@link #POISON}): a pooled one when
     * there is one, else a new one.
     */
    float[] take(int length) {
        float[] a = null;
        if (length >= MIN_LENGTH) {
            synchronized (this) {
                ArrayDeque<float[]> q = free.get(length);
                if (q != null && !q.isEmpty()) {
                    a = q.pop();
                    if (q.isEmpty()) free.remove(length);
                    pooledBytes -= 4L * length;
                    reused++;
                }
            }
        }
        if (a == null) a = new float[length];
        if (POISON) Arrays.fill(a, Float.NaN);
        return a;
    }

    /** Keeps {@code a} for reuse; the caller must hold no reference to it any more. */
    void give(float[] a) {
        long bytes = 4L * a.length;
        if (a.length < MIN_LENGTH || bytes > capacityBytes) return;
        synchronized (this) {
            free.computeIfAbsent(a.length, n -> new ArrayDeque<>()).push(a);
            pooledBytes += bytes;
            while (pooledBytes > capacityBytes) evictOne();
        }
    }

    /** Drops the oldest array of the least recently used length (the length just given back is the most recent). */
    private void evictOne() {
        Iterator<Map.Entry<Integer, ArrayDeque<float[]>>> it = free.entrySet().iterator();
        Map.Entry<Integer, ArrayDeque<float[]>> eldest = it.next();
        eldest.getValue().pollLast();
        pooledBytes -= 4L * eldest.getKey();
        if (eldest.getValue().isEmpty()) it.remove();
    }

    synchronized long pooledBytes() {
        return pooledBytes;
    }

    /** How many arrays were handed out again instead of allocated. */
    synchronized long reused() {
        return reused;
    }
}

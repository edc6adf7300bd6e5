package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;

class ArrayPoolTest {

    private static float[] filled(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian() + 0.5f;
        return a;
    }

    private static void assertAllNaN(float[] a) {
        for (int i = 0; i < a.length; i++) assertTrue(Float.isNaN(a[i]), "element " + i + " of a poisoned array: " + a[i]);
    }

    private static float[] take(ArrayPool pool, int n) {
        return (float[]) pool.take(DType.F32, n);
    }

    @Test
    void testsRunWithPoisonedStorage() {
        // The surefire argLine sets it: without it, a kernel that reads an output element it never wrote would see
        // whatever an earlier tensor left there (or zero) and could pass its tests by luck.
        assertTrue(ArrayPool.POISON, "the test suites must run with -Dracro4j.cpu.poison=true");
    }

    @Test
    void reusesAnArrayOfTheSameLength() {
        ArrayPool pool = new ArrayPool(1 << 20);
        float[] a = filled(5003, 1);
        pool.give(a);
        assertEquals(4L * 5003 + ArrayPool.ARRAY_OVERHEAD, pool.pooledBytes());
        assertNotSame(a, take(pool, 5004), "another length gets a new array");
        float[] b = take(pool, 5003);
        assertSame(a, b);
        assertAllNaN(b); // poisoned, not zeroed: storage is uninitialised
        assertEquals(0, pool.pooledBytes());
        assertEquals(1, pool.reused());
        assertNotSame(a, take(pool, 5003), "an array is handed out once");
    }

    @Test
    void keepsArraysOfEveryKindAndLengthApartAndPoisonsThem() {
        ArrayPool pool = new ArrayPool(1 << 20);
        float[] f = filled(3, 2);
        short[] h = {1, 2, 3};
        int[] i = {4, 5, 6};
        long[] l = {7, 8, 9};
        pool.give(f);
        pool.give(h);
        pool.give(i);
        pool.give(l);
        assertEquals(4 * 3 + 2 * 3 + 4 * 3 + 8 * 3 + 4 * ArrayPool.ARRAY_OVERHEAD, pool.pooledBytes());
        assertNotSame(l, pool.take(DType.I64, 2), "another length");
        assertSame(l, pool.take(DType.I64, 3));
        assertSame(i, pool.take(DType.I32, 3));
        assertSame(h, pool.take(DType.F16, 3), "BF16 and F16 share short arrays");
        assertSame(f, take(pool, 3));
        assertAllNaN(f);
        for (short x : h) assertTrue(Float.isNaN(org.racro4j.core.HalfFloats.f16ToFloat(x)) && Float.isNaN(org.racro4j.core.HalfFloats.bf16ToFloat(x)));
        for (int x : i) assertEquals(Integer.MIN_VALUE, x);
        for (long x : l) assertEquals(Long.MIN_VALUE, x);
        assertEquals(0, pool.pooledBytes());
        assertEquals(4, pool.reused());
    }

    @Test
    void evictsTheLeastRecentlyUsedLengthFirst() {
        int n = 7001;
        ArrayPool pool = new ArrayPool(4L * (3 * n + 3) + 3 * ArrayPool.ARRAY_OVERHEAD + 100);   // room for arrays of n, n+1 and n+2
        float[] a = filled(n, 3);
        float[] b = filled(n + 1, 4);
        float[] c = filled(n + 2, 5);
        float[] d = filled(n + 3, 6);
        pool.give(a);
        pool.give(b);
        pool.give(c);
        assertSame(a, take(pool, n));                                     // n is now the most recently used length
        pool.give(a);
        pool.give(d);                                                    // overflows: n+1, the least recent, goes
        assertEquals(4L * (3 * n + 5) + 3 * ArrayPool.ARRAY_OVERHEAD, pool.pooledBytes());
        assertNotSame(b, take(pool, n + 1));
        assertSame(c, take(pool, n + 2));
        assertSame(d, take(pool, n + 3));
        assertSame(a, take(pool, n));
        assertEquals(0, pool.pooledBytes());
        pool.give(filled(4 * n, 7));                                     // larger than the whole capacity: not kept
        assertEquals(0, pool.pooledBytes());
    }

    @Test
    void dropsTheOldestArraysOfOneLengthWhenOnlyThatLengthIsKept() {
        int n = 5001;
        ArrayPool pool = new ArrayPool(4L * n * 2 + 2 * ArrayPool.ARRAY_OVERHEAD + 100);       // room for two
        float[] a = filled(n, 8);
        float[] b = filled(n, 9);
        float[] c = filled(n, 10);
        pool.give(a);
        pool.give(b);
        pool.give(c);                                                    // a, the oldest, goes
        assertEquals(8L * n + 2 * ArrayPool.ARRAY_OVERHEAD, pool.pooledBytes());
        assertSame(c, take(pool, n));
        assertSame(b, take(pool, n));
        assertNotSame(a, take(pool, n));
    }

    @Test
    void aClosedTensorsMemoryIsReusedPoisonedAndCountsAsReserved() {
        int n = 6151;
        Tensor t = Tensor.of(filled(n, 7), n);
        long inUse = CpuBackend.INSTANCE.memoryStats().bytesInUse();
        t.close();
        var after = CpuBackend.INSTANCE.memoryStats();
        assertEquals(inUse - 4L * n, after.bytesInUse());
        assertEquals(true, after.bytesReserved() >= after.bytesInUse() + 4L * n, "the freed array stays reserved");
        Tensor u = Tensor.empty(DType.F32, Device.CPU, n);
        assertAllNaN(u.toFloatArray());
        u.close();
    }
}

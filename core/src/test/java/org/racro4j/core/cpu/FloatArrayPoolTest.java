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

class FloatArrayPoolTest {

    private static float[] filled(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian() + 0.5f;
        return a;
    }

    private static void assertAllNaN(float[] a) {
        for (int i = 0; i < a.length; i++) assertTrue(Float.isNaN(a[i]), "element " + i + " of a poisoned array: " + a[i]);
    }

    @Test
    void testsRunWithPoisonedStorage() {
        // The surefire argLine sets it: without it, a kernel that reads an output element it never wrote would see
        // whatever an earlier tensor left there (or zero) and could pass its tests by luck.
        assertTrue(FloatArrayPool.POISON, "the test suites must run with -Dracro4j.cpu.poison=true");
    }

    @Test
    void reusesAnArrayOfTheSameLength() {
        FloatArrayPool pool = new FloatArrayPool(1 << 20);
        float[] a = filled(5003, 1);
        pool.give(a);
        assertEquals(4L * 5003, pool.pooledBytes());
        assertNotSame(a, pool.take(5004), "another length gets a new array");
        float[] b = pool.take(5003);
        assertSame(a, b);
        assertAllNaN(b); // poisoned, not zeroed: storage is uninitialised
        assertEquals(0, pool.pooledBytes());
        assertEquals(1, pool.reused());
        assertNotSame(a, pool.take(5003), "an array is handed out once");
    }

    @Test
    void keepsNoSmallArrays() {
        FloatArrayPool pool = new FloatArrayPool(1 << 20);
        float[] small = filled(FloatArrayPool.MIN_LENGTH - 1, 2);
        pool.give(small);
        assertEquals(0, pool.pooledBytes());
        assertNotSame(small, pool.take(small.length));
    }

    @Test
    void evictsTheLeastRecentlyUsedLengthFirst() {
        int n = 7001;
        FloatArrayPool pool = new FloatArrayPool(4L * (3 * n + 3) + 100);   // room for arrays of n, n+1 and n+2
        float[] a = filled(n, 3);
        float[] b = filled(n + 1, 4);
        float[] c = filled(n + 2, 5);
        float[] d = filled(n + 3, 6);
        pool.give(a);
        pool.give(b);
        pool.give(c);
        assertSame(a, pool.take(n));                                     // n is now the most recently used length
        pool.give(a);
        pool.give(d);                                                    // overflows: n+1, the least recent, goes
        assertEquals(4L * (3 * n + 5), pool.pooledBytes());
        assertNotSame(b, pool.take(n + 1));
        assertSame(c, pool.take(n + 2));
        assertSame(d, pool.take(n + 3));
        assertSame(a, pool.take(n));
        assertEquals(0, pool.pooledBytes());
        pool.give(filled(4 * n, 7));                                     // larger than the whole capacity: not kept
        assertEquals(0, pool.pooledBytes());
    }

    @Test
    void dropsTheOldestArraysOfOneLengthWhenOnlyThatLengthIsKept() {
        int n = 5001;
        FloatArrayPool pool = new FloatArrayPool(4L * n * 2 + 100);       // room for two
        float[] a = filled(n, 8);
        float[] b = filled(n, 9);
        float[] c = filled(n, 10);
        pool.give(a);
        pool.give(b);
        pool.give(c);                                                    // a, the oldest, goes
        assertEquals(8L * n, pool.pooledBytes());
        assertSame(c, pool.take(n));
        assertSame(b, pool.take(n));
        assertNotSame(a, pool.take(n));
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

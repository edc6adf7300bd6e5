package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

/** Parallel.range over RangeHelpers: every index exactly once, from any thread, nested, and with failures. */
class ParallelRangeTest {

    @Test
    void everyIndexRunsExactlyOnceAndTheHelpersShareTheWork() {
        assumeTrue(Parallel.threads() >= 2, "needs a helper thread");
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        for (int n : new int[] {2, 3, 17, 1000, 100_003}) {
            AtomicIntegerArray visits = new AtomicIntegerArray(n);
            for (int rep = 0; rep < 200; rep++) {
                Parallel.range(n, 1, (s, e) -> {
                    seen.add(Thread.currentThread());
                    long spin = System.nanoTime() + 20_000;   // chunks long enough for a helper to join in
                    while (System.nanoTime() < spin) Thread.onSpinWait();
                    for (int i = s; i < e; i++) visits.incrementAndGet(i);
                });
            }
            for (int i = 0; i < n; i++) assertEquals(200, visits.get(i), "index " + i + " of " + n);
        }
        assertTrue(seen.size() >= 2, "the caller and a helper ran chunks: " + seen);
    }

    @Test
    void rangesFromSeveralThreadsAtOnceAndNestedRangesAllComplete() throws Exception {
        int n = 5000;
        AtomicIntegerArray[] visits = new AtomicIntegerArray[3];
        Thread[] callers = new Thread[3];
        Throwable[] failed = new Throwable[3];
        for (int t = 0; t < callers.length; t++) {
            AtomicIntegerArray v = visits[t] = new AtomicIntegerArray(n);
            int at = t;
            callers[t] = new Thread(() -> {
                try {
                    for (int rep = 0; rep < 50; rep++) {
                        // the outer range holds the helpers; the inner ones must run serially where they are
                        Parallel.range(10, 1, (s, e) -> {
                            for (int i = s; i < e; i++) {
                                int block = i;
                                Parallel.range(n / 10, 7, (a, b) -> {
                                    for (int j = a; j < b; j++) v.incrementAndGet(block * (n / 10) + j);
                                });
                            }
                        });
                    }
                } catch (Throwable x) {
                    failed[at] = x;
                }
            });
            callers[t].start();
        }
        for (int t = 0; t < callers.length; t++) {
            callers[t].join(60_000);
            assertEquals(null, failed[t], "caller " + t);
            for (int i = 0; i < n; i++) assertEquals(50, visits[t].get(i), "caller " + t + " index " + i);
        }
    }

    @Test
    void aFailingChunkFailsTheRangeWithItsOwnExceptionAndTheNextRangeStillRuns() {
        IllegalStateException boom = new IllegalStateException("chunk 3 failed");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Parallel.range(8, 1, (s, e) -> {
            if (s <= 3 && 3 < e) throw boom;
        }));
        assertSame(boom, thrown);
        AtomicIntegerArray visits = new AtomicIntegerArray(64);
        Parallel.range(64, 1, (s, e) -> {
            for (int i = s; i < e; i++) visits.incrementAndGet(i);
        });
        for (int i = 0; i < 64; i++) assertEquals(1, visits.get(i), "index " + i);
    }
}

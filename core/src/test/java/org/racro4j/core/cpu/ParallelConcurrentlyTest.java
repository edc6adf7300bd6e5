package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

class ParallelConcurrentlyTest {

    @Test
    void jobsRunAtTheSameTimeOnPoolThreads() throws Exception {
        assumeTrue(Parallel.threads() >= 2, "needs two pool threads");
        // Each job waits for the other at the barrier: this passes only if both run at once.
        CyclicBarrier both = new CyclicBarrier(2);
        AtomicReference<Thread> a = new AtomicReference<>();
        AtomicReference<Thread> b = new AtomicReference<>();
        Parallel.concurrently(() -> {
            a.set(Thread.currentThread());
            both.await(20, TimeUnit.SECONDS);
        }, () -> {
            b.set(Thread.currentThread());
            both.await(20, TimeUnit.SECONDS);
        });
        assertTrue(a.get() != b.get(), "two threads");
        assertTrue(a.get().getName().startsWith("racro4j-cpu-") && b.get().getName().startsWith("racro4j-cpu-"), a.get() + " " + b.get());
    }

    @Test
    void whileBothJobsRunTheirKernelsStayOnTheirOwnThreads() throws Exception {
        assumeTrue(Parallel.threads() == 2, "two pool threads, both taken by the jobs");
        CyclicBarrier started = new CyclicBarrier(2);
        CyclicBarrier ranged = new CyclicBarrier(2);
        AtomicBoolean otherThread = new AtomicBoolean();
        Parallel.Job<Exception> job = () -> {
            started.await(20, TimeUnit.SECONDS);   // from here until the second barrier both workers are busy
            Thread self = Thread.currentThread();
            Parallel.range(1000, 1, (s, e) -> {
                if (Thread.currentThread() != self) otherThread.set(true);
            });
            ranged.await(20, TimeUnit.SECONDS);
        };
        Parallel.concurrently(job, job);
        assertTrue(!otherThread.get(), "a range inside a job stays on the job's thread while the other job runs");
    }

    @Test
    void aMatmulGivesTheSameBitsInsideAJobAsOnAllThreads() throws Exception {
        // Big enough (2^24+ multiply-adds) to be split over the pool outside a job; awkward sizes for edge tiles.
        Generator g = new Generator(17);
        try (Tensor x = Tensor.randn(g, 301, 517); Tensor w = Tensor.randn(g, 389, 517)) {
            float[] outside = x.matmul(w.transpose(0, 1)).toFloatArray();
            float[][] inside = new float[1][];
            CountDownLatch multiplied = new CountDownLatch(1);   // keeps the second worker busy: the first runs serially
            Parallel.concurrently(() -> {
                inside[0] = x.matmul(w.transpose(0, 1)).toFloatArray();
                multiplied.countDown();
            }, () -> multiplied.await(60, TimeUnit.SECONDS));
            assertArrayEquals(outside, inside[0], 0f);
        }
    }

    @Test
    void aJobStartsWithNoScopeAndWithAutogradOn() throws Exception {
        AtomicReference<Scope> seen = new AtomicReference<>();
        AtomicBoolean grad = new AtomicBoolean();
        try (Scope outer = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
            Parallel.concurrently(() -> {
                seen.set(Scope.current());
                grad.set(Autograd.isEnabled());
            });
            assertSame(outer, Scope.current(), "the caller's scope is back");
            assertTrue(!Autograd.isEnabled(), "the caller's mode is back");
        }
        assertNull(seen.get());
        assertTrue(grad.get());
    }

    @Test
    void aFailingJobDoesNotStopTheOthersAndItsExceptionComesBackAsItIs() {
        AtomicBoolean otherFinished = new AtomicBoolean();
        IOException thrown = assertThrows(IOException.class, () -> Parallel.concurrently(
                () -> {
                    throw new IOException("job 0 failed");
                },
                () -> {
                    Thread.sleep(50);
                    otherFinished.set(true);
                }));
        assertEquals("job 0 failed", thrown.getMessage());
        assertTrue(otherFinished.get(), "the other job ran to its end before the failure was rethrown");
    }
}

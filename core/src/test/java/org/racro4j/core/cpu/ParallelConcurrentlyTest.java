package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/**
 * {@link Parallel#concurrently} on any number of pool threads T. The pool's size is fixed when Parallel loads
 * ({@code -Dracro4j.threads}), so the checks run twice: here, on whatever T this JVM has, and in fresh JVMs started
 * with T = 1, 2, 3 and 5 ({@link #everyPropertyHoldsInAJvmWithThisManyPoolThreads}), so that no property is tied to
 * the shape of the machine the tests run on. Each check is written for a general T: T jobs fill the pool, and with
 * T = 1 the jobs run one at a time.
 */
class ParallelConcurrentlyTest {
    private static final int WAIT_S = 20;

    @Test
    void jobsRunAtTheSameTimeOnPoolThreads() throws Exception {
        checkJobsRunAtTheSameTimeOnPoolThreads();
    }

    @Test
    void whileEveryWorkerRunsAJobTheirKernelsStayOnTheirOwnThreads() throws Exception {
        checkKernelsStayOnTheirJobsThreadWhileEveryWorkerIsBusy();
    }

    @Test
    void aMatmulGivesTheSameBitsInsideAJobAsOnAllThreads() throws Exception {
        checkAMatmulGivesTheSameBitsInsideAJob();
    }

    @Test
    void aJobStartsWithNoScopeAndWithAutogradOn() throws Exception {
        checkJobsStartWithNoScopeAndAutogradOn();
    }

    @Test
    void aFailingJobDoesNotStopTheOthersAndTheFirstFailureInJobOrderComesBackAsItIs() {
        checkFailuresComeBackInJobOrderAfterEveryJobEnded();
    }

    @Test
    void everyJobRunsExactlyOnce() throws Exception {
        checkEveryJobRunsExactlyOnce();
    }

    /** The checks above in a new JVM whose pool has {@code threads} threads; its output is in the failure message. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void everyPropertyHoldsInAJvmWithThisManyPoolThreads(int threads) throws Exception {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = List.of(java.toString(), "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-XX:+UseSerialGC",
                "-Dracro4j.threads=" + threads, "-Dracro4j.cpu.poison=true", "-cp", classPath, InAFreshJvm.class.getName());
        Path log = Files.createTempFile("parallel-" + threads + "-threads", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = p.waitFor(120, TimeUnit.SECONDS);
            if (!ended) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(ended, "the JVM with " + threads + " threads did not end within 120 s:\n" + out);
            assertEquals(0, p.exitValue(), "the JVM with " + threads + " threads failed:\n" + out);
            assertTrue(out.contains(InAFreshJvm.PASSED + threads + " pool threads"), out);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** Runs every check with the pool size this JVM was started with; exit status 1 and the stack trace on failure. */
    static final class InAFreshJvm {
        static final String PASSED = "every Parallel.concurrently check passed with ";

        public static void main(String[] args) {
            try {
                int asked = Integer.getInteger("racro4j.threads");
                assertEquals(asked, Parallel.threads(), "-Dracro4j.threads sets the pool size");
                checkJobsRunAtTheSameTimeOnPoolThreads();
                checkKernelsStayOnTheirJobsThreadWhileEveryWorkerIsBusy();
                checkAMatmulGivesTheSameBitsInsideAJob();
                checkJobsStartWithNoScopeAndAutogradOn();
                checkFailuresComeBackInJobOrderAfterEveryJobEnded();
                checkEveryJobRunsExactlyOnce();
                System.out.println(PASSED + Parallel.threads() + " pool threads");
                System.exit(0);
            } catch (Throwable t) {
                t.printStackTrace(System.out);
                System.exit(1);
            }
        }
    }

    // ============================================================================================ the checks

    @SuppressWarnings("unchecked")
    private static Parallel.Job<Exception>[] jobs(int n) {
        return new Parallel.Job[n];
    }

    /**
     * With T >= 2, T jobs that each wait at a T-party barrier can only all pass it if they run at once, on T
     * different pool threads. With T = 1 there is one job at a time: a counter of running jobs never exceeds 1.
     */
    static void checkJobsRunAtTheSameTimeOnPoolThreads() throws Exception {
        int t = Parallel.threads();
        if (t == 1) {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger mostAtOnce = new AtomicInteger();
            Parallel.Job<Exception>[] jobs = jobs(3);
            for (int i = 0; i < jobs.length; i++) {
                jobs[i] = () -> {
                    mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                    Thread.sleep(20);
                    running.decrementAndGet();
                };
            }
            Parallel.concurrently(jobs);
            assertEquals(1, mostAtOnce.get(), "one pool thread: one job at a time");
            return;
        }
        CyclicBarrier all = new CyclicBarrier(t);
        AtomicReferenceArray<Thread> ranOn = new AtomicReferenceArray<>(t);
        Parallel.Job<Exception>[] jobs = jobs(t);
        for (int i = 0; i < t; i++) {
            int at = i;
            jobs[i] = () -> {
                ranOn.set(at, Thread.currentThread());
                all.await(WAIT_S, TimeUnit.SECONDS);   // a TimeoutException here: the jobs did not all run at once
            };
        }
        Parallel.concurrently(jobs);
        Set<Thread> distinct = new HashSet<>();
        for (int i = 0; i < t; i++) {
            Thread th = ranOn.get(i);
            assertTrue(th.getName().startsWith("racro4j-cpu-"), "job " + i + " on a pool thread, not " + th);
            distinct.add(th);
        }
        assertEquals(t, distinct.size(), t + " jobs on " + t + " different threads");
    }

    /**
     * While T jobs occupy all T workers (between two barriers), a parallel range inside a job runs on the job's own
     * thread only: Parallel's rule that a kernel inside a job runs serially while every worker is busy.
     */
    static void checkKernelsStayOnTheirJobsThreadWhileEveryWorkerIsBusy() throws Exception {
        int t = Parallel.threads();
        CyclicBarrier started = new CyclicBarrier(t);
        CyclicBarrier ranged = new CyclicBarrier(t);
        AtomicInteger rangesOffTheirThread = new AtomicInteger();
        AtomicInteger iterations = new AtomicInteger();
        Parallel.Job<Exception> job = () -> {
            started.await(WAIT_S, TimeUnit.SECONDS);   // from here until the second barrier every worker is busy
            Thread self = Thread.currentThread();
            Parallel.range(1000, 1, (s, e) -> {
                if (Thread.currentThread() != self) rangesOffTheirThread.incrementAndGet();
                iterations.addAndGet(e - s);
            });
            ranged.await(WAIT_S, TimeUnit.SECONDS);
        };
        Parallel.Job<Exception>[] jobs = jobs(t);
        Arrays.fill(jobs, job);
        Parallel.concurrently(jobs);
        assertEquals(1000 * t, iterations.get(), "every job's range covered its 1000 iterations");
        assertEquals(0, rangesOffTheirThread.get(), "chunks of a job's range that ran on another thread, T = " + t);
    }

    /**
     * A matmul big enough (6e7 multiply-adds, over CpuMatmul's 2^22; awkward sizes) to be split across the pool outside a job gives the same
     * bits inside a job while the T - 1 other workers are held by jobs waiting for it (so it runs serially there).
     */
    static void checkAMatmulGivesTheSameBitsInsideAJob() throws Exception {
        int t = Parallel.threads();
        Generator g = new Generator(17);
        try (Tensor x = Tensor.randn(g, 301, 517); Tensor w = Tensor.randn(g, 389, 517)) {
            float[] outside = x.matmul(w.transpose(0, 1)).toFloatArray();
            float[][] inside = new float[1][];
            CountDownLatch multiplied = new CountDownLatch(1);
            Parallel.Job<Exception>[] jobs = jobs(t);
            jobs[0] = () -> {
                try {
                    inside[0] = x.matmul(w.transpose(0, 1)).toFloatArray();
                } finally {
                    multiplied.countDown();
                }
            };
            for (int i = 1; i < t; i++) jobs[i] = () -> assertTrue(multiplied.await(60, TimeUnit.SECONDS), "the matmul job ended");
            Parallel.concurrently(jobs);
            assertArrayEquals(outside, inside[0], 0f, "T = " + t);
        }
    }

    /**
     * Every job (more jobs than threads) starts with no Scope open and autograd on, although the caller has a scope
     * open and autograd off; with T = 1 the jobs run on the caller's own thread, where this matters most. The caller
     * gets its scope and mode back.
     */
    static void checkJobsStartWithNoScopeAndAutogradOn() throws Exception {
        int n = Parallel.threads() + 2;
        AtomicReferenceArray<Scope> seen = new AtomicReferenceArray<>(n);
        AtomicIntegerArray gradOn = new AtomicIntegerArray(n);
        AtomicIntegerArray ran = new AtomicIntegerArray(n);
        Parallel.Job<Exception>[] jobs = jobs(n);
        try (Scope outer = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
            for (int i = 0; i < n; i++) {
                int at = i;
                jobs[i] = () -> {
                    seen.set(at, Scope.current());
                    gradOn.set(at, Autograd.isEnabled() ? 1 : 0);
                    ran.set(at, 1);
                };
            }
            Parallel.concurrently(jobs);
            assertSame(outer, Scope.current(), "the caller's scope is back");
            assertFalse(Autograd.isEnabled(), "the caller's mode is back");
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, ran.get(i), "job " + i + " ran");
            assertNull(seen.get(i), "job " + i + " saw a scope");
            assertEquals(1, gradOn.get(i), "job " + i + " had autograd on");
        }
    }

    /**
     * Job 0 fails late and job 1 early; the others sleep and then finish. concurrently returns only after all have
     * ended and rethrows job 0's exception itself (the first in job order, not in time).
     */
    static void checkFailuresComeBackInJobOrderAfterEveryJobEnded() {
        int n = Parallel.threads() + 2;
        AtomicIntegerArray finished = new AtomicIntegerArray(n);
        Parallel.Job<Exception>[] jobs = jobs(n);
        jobs[0] = () -> {
            Thread.sleep(60);
            throw new IOException("job 0 failed");
        };
        jobs[1] = () -> {
            throw new IllegalStateException("job 1 failed");
        };
        for (int i = 2; i < n; i++) {
            int at = i;
            jobs[i] = () -> {
                Thread.sleep(30);
                finished.set(at, 1);
            };
        }
        IOException thrown = assertThrows(IOException.class, () -> Parallel.concurrently(jobs));
        assertEquals("job 0 failed", thrown.getMessage());
        for (int i = 2; i < n; i++) assertEquals(1, finished.get(i), "job " + i + " ran to its end before the failure was rethrown");
    }

    /** 4T + 3 jobs, more than the pool holds at once: each runs once, none is lost or repeated. */
    static void checkEveryJobRunsExactlyOnce() throws Exception {
        int n = 4 * Parallel.threads() + 3;
        AtomicIntegerArray runs = new AtomicIntegerArray(n);
        Parallel.Job<Exception>[] jobs = jobs(n);
        for (int i = 0; i < n; i++) {
            int at = i;
            jobs[i] = () -> runs.incrementAndGet(at);
        }
        Parallel.concurrently(jobs);
        List<Integer> wrong = new ArrayList<>();
        for (int i = 0; i < n; i++) if (runs.get(i) != 1) wrong.add(i);
        assertTrue(wrong.isEmpty(), "jobs that did not run exactly once: " + wrong);
    }
}

package org.racro4j.core.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;

/**
 * The CPU backend's threads (one per core, or {@code -Dracro4j.threads=N}): a parallel for ({@link #range}, run by
 * its caller and {@link RangeHelpers}) and {@link #concurrently} for independent jobs (on a fork-join pool). A range
 * inside a range, or in a job while every pool worker is busy, runs serially, so kernels may nest, and jobs may run
 * side by side, without oversubscribing the cores.
 */
public final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("racro4j.threads", Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = new ForkJoinPool(THREADS, pool -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("racro4j-cpu-" + t.getPoolIndex());
        t.setDaemon(true);
        return t;
    }, null, false);
    /** The threads that share a range with its caller (the caller is the other one). */
    private static final RangeHelpers HELPERS = new RangeHelpers(THREADS - 1);

    private Parallel() {}

    public static int threads() {
        return THREADS;
    }

    /** Body of a parallel loop over [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /**
     * Runs body over [0, n) split into at most a few chunks per thread, none smaller than {@code grain}
     * iterations (except the last), on the calling thread and {@link RangeHelpers}. Serial when the work is small,
     * when another range is running (a kernel inside a kernel), or when we are on a pool thread and every worker
     * is busy (a job of {@link #concurrently} while the others still run); a job whose partners have ended splits
     * its large kernels again.
     */
    public static void range(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        if (THREADS == 1 || n <= g || ForkJoinTask.inForkJoinPool() && Thread.currentThread() instanceof ForkJoinWorkerThread w
                && w.getPool() == POOL && POOL.getActiveThreadCount() >= THREADS) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min((n + g - 1) / g, THREADS * 4);
        if (chunks <= 1 || !HELPERS.tryRun(n, chunks, body)) body.run(0, n);
    }

    /** Runs exactly {@code parts} tasks (one per thread, typically), each given its index. */
    public static void parts(int parts, java.util.function.IntConsumer body) {
        range(parts, 1, (s, e) -> {
            for (int i = s; i < e; i++) body.accept(i);
        });
    }

    /** A job for {@link #concurrently}. */
    @FunctionalInterface
    public interface Job<E extends Exception> {
        void run() throws E;
    }

    /**
     * Runs independent jobs at the same time, one pool worker each (as many at once as there are threads), and
     * returns when every job has ended. While the jobs fill the pool, each one's kernels run serially on its own
     * worker ({@link #range}), so two jobs keep two cores busy without a fork-join round trip per kernel: for work
     * made of kernels too small to split well, such as a small model's training step, this is where a second core
     * pays (on a 2-core VM, two single-threaded train steps side by side each took 193 ms where one step on both
     * threads took 138). Results do not depend on it: every CPU kernel computes the same bits on any number of
     * threads.
     *
     * <p>Each job starts with no {@link Scope} open and autograd enabled, whichever thread runs it (a worker
     * waiting on a join may run a job inside another job's scope). A job that throws does not stop the others;
     * once all have ended, the first failure (in job order) is rethrown.
     */
    @SafeVarargs
    public static <E extends Exception> void concurrently(Job<? extends E>... jobs) throws E {
        Throwable[] failures = new Throwable[jobs.length];
        List<ForkJoinTask<?>> started = new ArrayList<>(jobs.length);
        boolean inPool = Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL;
        if (THREADS == 1) {
            for (int i = 0; i < jobs.length; i++) failures[i] = runIsolated(jobs[i]);
        } else {
            // A pool worker forks the other jobs and runs the first itself; any other thread hands all to the pool
            // (so that their kernels run serially) and waits.
            for (int i = inPool ? 1 : 0; i < jobs.length; i++) {
                int at = i;
                ForkJoinTask<?> t = ForkJoinTask.adapt(() -> failures[at] = runIsolated(jobs[at]));
                started.add(inPool ? t.fork() : POOL.submit(t));
            }
            if (inPool) failures[0] = runIsolated(jobs[0]);
            for (ForkJoinTask<?> t : started) t.join();   // the bodies catch everything: join only waits
        }
        for (Throwable f : failures) {
            if (f != null) throw Parallel.<E>rethrow(f);
        }
    }

    private static Throwable runIsolated(Job<?> job) {
        return Scope.unscoped(() -> {
            try (Autograd.Mode on = Autograd.enableGrad()) {
                job.run();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
    }

    /** Throws t as it is (a job's checked exception is of type E, or unchecked). */
    @SuppressWarnings("unchecked")
    private static <E extends Exception> E rethrow(Throwable t) throws E {
        if (t instanceof Error e) throw e;
        throw (E) t;
    }
}

package org.racro4j.core.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;

/**
 * The CPU backend's fork-join pool (one worker per core, or {@code -Dracro4j.threads=N}) and a parallel for.
 * Calls from inside the pool run serially, so kernels may nest without oversubscribing the cores.
 */
public final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("racro4j.threads", Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = new ForkJoinPool(THREADS, pool -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("racro4j-cpu-" + t.getPoolIndex());
        t.setDaemon(true);
        return t;
    }, null, false);

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
     * iterations (except the last). Serial when the work is small or we are already on a pool thread.
     */
    public static void range(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        if (THREADS == 1 || n <= g || ForkJoinTask.inForkJoinPool() && Thread.currentThread() instanceof ForkJoinWorkerThread w
                && w.getPool() == POOL) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min((n + g - 1) / g, THREADS * 4);
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        List<RecursiveAction> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int start = (int) ((long) n * c / chunks);
            int end = (int) ((long) n * (c + 1) / chunks);
            tasks.add(new RecursiveAction() {
                @Override
                protected void compute() {
                    body.run(start, end);
                }
            });
        }
        POOL.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                invokeAll(tasks);
            }
        });
    }

    /** Runs exactly {@code parts} tasks (one per thread, typically), each given its index. */
    public static void parts(int parts, java.util.function.IntConsumer body) {
        range(parts, 1, (s, e) -> {
            for (int i = s; i < e; i++) body.accept(i);
        });
    }
}

package org.racro4j.core.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that share a {@link Parallel#range} with its caller. One region runs at a time: its caller takes
 * chunks itself and the helpers take the rest, each claiming the next chunk from a counter, so the caller never
 * waits for a helper to wake up, only for chunks a helper has already started.
 *
 * <p>Why not the fork-join pool: on this project's 2-core VMs a parked thread takes 50-100 us to wake, and a
 * fork-join region paid it every time (two 70 us halves took as long as one 140 us serial run). A helper here
 * spins for a short while after each region before it parks, since a model's kernels follow each other within
 * microseconds.
 */
final class RangeHelpers {
    /** How long an idle helper polls for the next region before parking. */
    private static final long SPIN_NANOS = 1_000_000;

    private final AtomicReference<Region> current = new AtomicReference<>();
    private final Helper[] helpers;

    RangeHelpers(int count) {
        helpers = new Helper[count];
        for (int i = 0; i < count; i++) {
            helpers[i] = new Helper();
            helpers[i].setName("racro4j-range-" + i);
            helpers[i].setDaemon(true);
            helpers[i].start();
        }
    }

    /**
     * Runs body over [0, n) in the given chunks, on the calling thread and the helpers. Returns false, having run
     * nothing, when another region is in flight (the caller then runs serially: a kernel inside a kernel).
     */
    boolean tryRun(int n, int chunks, Parallel.RangeBody body) {
        Region r = new Region(n, chunks, body);
        if (!current.compareAndSet(null, r)) return false;
        try {
            for (Helper h : helpers) {
                if (h.parked) LockSupport.unpark(h);
            }
            r.work();
            while (r.done.get() < chunks) Thread.onSpinWait();   // chunks a helper has started: they are running now
        } finally {
            current.set(null);
        }
        Throwable failure = r.failure;
        if (failure instanceof RuntimeException e) throw e;
        if (failure instanceof Error e) throw e;
        if (failure != null) throw new IllegalStateException(failure);
        return true;
    }

    private static final class Region {
        final int n;
        final int chunks;
        final Parallel.RangeBody body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Region(int n, int chunks, Parallel.RangeBody body) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
        }

        /** Runs unclaimed chunks until none is left. */
        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private final class Helper extends Thread {
        volatile boolean parked;

        @Override
        public void run() {
            Region last = null;
            long idleSince = System.nanoTime();
            while (true) {
                Region r = current.get();
                if (r != null && r != last) {
                    r.work();
                    last = r;
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    Region now = current.get();   // re-read after announcing: a caller that missed the flag published first
                    if (now == null || now == last) LockSupport.park(this);
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}

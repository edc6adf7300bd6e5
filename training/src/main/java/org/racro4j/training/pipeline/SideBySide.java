package org.racro4j.training.pipeline;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;

import org.racro4j.core.cpu.Parallel;

/**
 * Two independent parts of a run at the same time on the CPU (one after the other elsewhere). If one fails, the other
 * stops at its next step, keeping its last checkpoint for --resume; the failure that stopped them both is the one
 * rethrown, not the other's "stopped because a stage alongside failed", which would bury the reason (a full disk
 * say) under a stack trace.
 */
final class SideBySide {
    private SideBySide() {}

    static void run(boolean concurrently, StageRunner runner, Parallel.Job<IOException> a, Parallel.Job<IOException> b) throws IOException {
        if (!concurrently) {
            a.run();
            b.run();
            return;
        }
        AtomicReference<Throwable> first = new AtomicReference<>();
        try {
            Parallel.concurrently(stopOthersOnFailure(a, runner, first), stopOthersOnFailure(b, runner, first));
        } catch (IOException | RuntimeException | Error e) {
            Throwable cause = first.get();
            if (cause == null || cause == e) throw e;
            cause.addSuppressed(e);
            if (cause instanceof IOException io) throw io;
            if (cause instanceof RuntimeException r) throw r;
            throw (Error) cause;
        }
    }

    private static Parallel.Job<IOException> stopOthersOnFailure(Parallel.Job<IOException> job, StageRunner runner, AtomicReference<Throwable> first) {
        return () -> {
            try {
                job.run();
            } catch (IOException | RuntimeException | Error e) {
                if (first.compareAndSet(null, e)) runner.abort("a stage running alongside failed: " + e);
                throw e;
            }
        };
    }
}

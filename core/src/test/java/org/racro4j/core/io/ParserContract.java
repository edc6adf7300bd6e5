package org.racro4j.core.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a parser of user files promises, whatever the bytes: it returns a result, or it throws its own kind of
 * error — an IOException (or UncheckedIOException) or IllegalArgumentException whose message names the file — and it
 * does so within a few seconds. Any other exception (a NullPointerException, an index out of bounds, an
 * OutOfMemoryError from a size read out of the file) is a bug the fuzz tests report with the input that caused it.
 */
public final class ParserContract {
    private static final ExecutorService RUNNER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "parser-under-fuzz");
        t.setDaemon(true);
        return t;
    });
    static final long SECONDS = 10;

    private ParserContract() {}

    /** Runs {@code parse} on {@code file}; returns its result, or null when it refused the file properly. */
    public static <T> T check(Path file, Callable<T> parse) {
        Future<T> f = RUNNER.submit(parse);
        try {
            return f.get(SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return fail("the parser took over " + SECONDS + " s on " + file);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AssertionError a) throw a;   // a check on what the parser returned
            boolean own = cause instanceof IOException || cause instanceof UncheckedIOException || cause instanceof IllegalArgumentException;
            if (!own) throw new AssertionError("the parser threw " + cause + " instead of a clear error", cause);
            String message = String.valueOf(cause.getMessage());
            assertTrue(message.contains(file.getFileName().toString()), "the message names the file: " + message);
            return null;
        }
    }
}

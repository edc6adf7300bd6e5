package org.racro4j.tools;

import java.io.IOException;
import java.io.UncheckedIOException;

import picocli.CommandLine;

import org.racro4j.core.BackendUnavailableException;

/**
 * Turns the exceptions a user's mistake produces (bad files, bad shapes, unavailable devices) into one clear
 * line on stderr and exit code 2. Anything else is a bug in racro4j and keeps its stack trace (exit code 1).
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (isUserError(e)) {
            cmd.getErr().println("racro4j " + cmd.getCommandName() + ": " + message(e));
            return 2;
        }
        e.printStackTrace(cmd.getErr());
        return 1;
    }

    static boolean isUserError(Throwable e) {
        return e instanceof IOException || e instanceof UncheckedIOException || e instanceof IllegalArgumentException
                || e instanceof BackendUnavailableException || e instanceof IndexOutOfBoundsException;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied: " + m;
        return m == null ? e.getClass().getSimpleName() : m;
    }
}

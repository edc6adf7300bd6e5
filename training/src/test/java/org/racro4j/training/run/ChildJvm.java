package org.racro4j.training.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A second real process for tests of what two processes do to one run folder: a JVM on the test class path running
 * a test's main class, with its output in a log file. Closing it kills the process.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static ChildJvm start(Class<?> main, String... args) throws IOException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true", "-Dracro4j.threads=1", "-cp", classPath, main.getName()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("child-jvm", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ChildJvm(p, log);
    }

    public long pid() {
        return process.pid();
    }

    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** The last line of its output (the JVM itself may print warnings before it). */
    public String lastLine() throws IOException {
        return output().strip().lines().reduce((a, b) -> b).orElse("");
    }

    /** The output so far, or "" if it cannot be read. */
    public String outputQuietly() {
        try {
            return output();
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until {@code condition} holds; fails with the child's output if it dies or 60 s pass first. */
    public void awaitUntil(BooleanSupplier condition, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (!process.isAlive()) throw new AssertionError("the child process ended before " + what + ":\n" + output());
            if (System.nanoTime() > deadline) throw new AssertionError("no " + what + " within 60 s:\n" + output());
            Thread.sleep(20);
        }
    }

    /** Waits for the process to end by itself; returns its exit code. */
    public int awaitExit() throws IOException, InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("the child process did not end within 60 s:\n" + output());
        return process.exitValue();
    }

    /** Kills the process (as `kill -9` would) and waits for it to be gone. */
    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(log);
    }
}

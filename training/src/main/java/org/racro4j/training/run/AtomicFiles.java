package org.racro4j.training.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes that either happen completely or not at all: a temporary sibling, then an atomic rename. A write that fails
 * (a full disk) is one line naming the file, and leaves the previous version of the file as it was.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the content of a new file (or directory) at the path it is given. */
    @FunctionalInterface
    public interface Content {
        void writeTo(Path path) throws IOException;
    }

    /** Performs every write of this class; tests replace it to simulate a full disk. */
    @FunctionalInterface
    interface Writer {
        void write(Path path, Content content) throws IOException;
    }

    static volatile Writer writer = (path, content) -> content.writeTo(path);

    /**
     * Writes {@code path} through {@code content}, which must create it; a failure names the file. Not atomic by
     * itself: for files written into a staging directory that is renamed into place afterwards.
     */
    public static void write(Path path, Content content) throws IOException {
        write(path, path, content);
    }

    public static void writeString(Path path, String content) throws IOException {
        replace(path, p -> Files.writeString(p, content, StandardCharsets.UTF_8));
    }

    /** Writes {@code path} whole through {@code content}, or leaves it as it was: a temporary sibling, then a rename. */
    public static void replace(Path path, Content content) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        try {
            write(tmp, path, content);
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code file}; an error names {@code shown}, the file the user knows (not a temporary name). */
    private static void write(Path file, Path shown, Content content) throws IOException {
        try {
            writer.write(file, content);
        } catch (IOException e) {
            throw new IOException("cannot write " + shown + ": " + reason(e), e);
        }
    }

    /** What went wrong, without the path a FileSystemException repeats. */
    static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        if (e instanceof FileSystemException f) return e.getClass().getSimpleName() + " " + f.getFile();
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip().replace('\n', ' ');
    }

    /** Replaces directory {@code target} by the fully written {@code staged} one; the old one is removed after. */
    public static void replaceDirectory(Path staged, Path target) throws IOException {
        Path old = target.resolveSibling(target.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(target)) Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}

package org.racro4j.training.pipeline;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.racro4j.training.run.AtomicFiles;
import org.racro4j.training.run.RunLock;

/**
 * Whether a folder may take a new run. It may if it does not exist, is empty, or holds a run that stopped before its
 * first checkpoint (a failed start: nothing there could be resumed that the new run would not redo), whose files are
 * then removed. A run with a checkpoint or a saved model is only ever continued (--resume), and a folder holding
 * anything else is left alone.
 */
final class NewRunFolder {
    /** What a run writes before its first checkpoint: the lock, its config, metrics, and staging directories. */
    private static final Set<String> FAILED_START = Set.of(RunLock.FILE, "config.yaml", "metrics.jsonl", "checkpoints", "models");

    private NewRunFolder() {}

    /** Before the folder is locked (so before anything is created): refuses a folder that is not a run's. */
    static void check(Path out) throws IOException {
        if (!Files.exists(out)) return;
        if (!Files.isDirectory(out)) throw new IOException(out + " is a file, not a folder; choose another --out");
        List<String> entries = entries(out);
        entries.remove(RunLock.FILE);
        if (!entries.isEmpty() && !entries.contains("config.yaml")) throw notARun(out);
    }

    /**
     * With the folder locked: refuses a run that has made progress, and clears a failed start, saying so on
     * {@code console}.
     */
    static void prepare(Path out, PrintWriter console) throws IOException {
        List<String> entries = entries(out);
        entries.remove(RunLock.FILE);
        if (entries.isEmpty()) return;
        if (!entries.contains("config.yaml")) throw notARun(out);
        if (!FAILED_START.containsAll(entries) || hasFinished(out.resolve("checkpoints")) || hasFinished(out.resolve("models"))) {
            throw new IOException(out + " already holds a run; continue it with --resume or choose another --out");
        }
        console.println(out + " holds a run that stopped before its first checkpoint; starting afresh");
        console.flush();
        for (String name : entries) AtomicFiles.deleteTree(out.resolve(name));
    }

    /** Whether a checkpoints/ or models/ folder holds anything but staging directories of an interrupted save. */
    private static boolean hasFinished(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return Files.exists(dir);
        for (String name : entries(dir)) if (!name.endsWith(".tmp")) return true;
        return false;
    }

    private static List<String> entries(Path dir) throws IOException {
        try (var list = Files.list(dir)) {
            return new ArrayList<>(list.map(p -> p.getFileName().toString()).toList());
        }
    }

    private static IOException notARun(Path out) {
        return new IOException(out + " is not empty and holds no run; choose another --out");
    }
}

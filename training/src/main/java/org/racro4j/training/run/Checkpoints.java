package org.racro4j.training.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;

/**
 * Checkpoints of a run: {@code checkpoints/<stage>-<step>/} holding model.safetensors, optimizer.safetensors and
 * state.json (step, RNG offsets, data position, anything the stage needs to continue exactly), per stage (stages may
 * run at the same time). Each is written into a ".tmp" directory and renamed into place before the stage's oldest one
 * is deleted, and the last {@value #KEEP} of each stage are kept: a run killed at any instant leaves a whole checkpoint
 * of every stage that had one, and if the newest turns out damaged anyway (a disk that filled up or lost power before
 * it reached the disk), the stage resumes from the one before it.
 */
public final class Checkpoints {
    /** Checkpoints kept per stage. */
    public static final int KEEP = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path root;

    public Checkpoints(Path runDir) {
        this.root = runDir.resolve("checkpoints");
    }

    public Path root() {
        return root;
    }

    /** A checkpoint read back whole; closing it frees its tensors. */
    public record Loaded(Path dir, String stage, long step, ObjectNode state, Map<String, Tensor> model, Map<String, Tensor> optimizer)
            implements AutoCloseable {
        @Override
        public void close() {
            model.values().forEach(Tensor::close);
            optimizer.values().forEach(Tensor::close);
        }
    }

    /** Puts a loaded checkpoint into the stage's model and optimizer; fails if it does not fit them. */
    @FunctionalInterface
    public interface Restore {
        void apply(Loaded checkpoint) throws IOException;
    }

    public Path save(String stage, long step, Map<String, Tensor> model, Map<String, Tensor> optimizer, ObjectNode state) throws IOException {
        Files.createDirectories(root);
        String name = stage + "-" + String.format("%06d", step);
        Path staged = root.resolve(name + ".tmp");
        AtomicFiles.deleteTree(staged);
        Files.createDirectories(staged);
        boolean withOptimizer = optimizer != null && !optimizer.isEmpty();
        ObjectNode s = state.deepCopy();
        s.put("stage", stage);
        s.put("step", step);
        s.put("optimizer_tensors", withOptimizer ? optimizer.size() : 0);
        String stateJson = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s);
        try {
            AtomicFiles.write(staged.resolve("model.safetensors"),
                    p -> Safetensors.write(p, model, Map.of("stage", stage, "step", Long.toString(step))));
            if (withOptimizer) AtomicFiles.write(staged.resolve("optimizer.safetensors"), p -> Safetensors.write(p, optimizer, Map.of()));
            AtomicFiles.write(staged.resolve("state.json"), p -> Files.writeString(p, stateJson));
        } catch (IOException e) {
            try {
                AtomicFiles.deleteTree(staged);   // give the space back; the staging directory is never read
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            List<Path> kept = newestFirst(stage);
            throw new IOException(e.getMessage() + " (checkpoint " + name + " not saved; "
                    + (kept.isEmpty() ? "the stage has no earlier one" : kept.get(0).getFileName() + " is kept") + ")", e);
        }
        Path target = root.resolve(name);
        AtomicFiles.replaceDirectory(staged, target);
        List<Path> all = newestFirst(stage);
        for (Path older : all.subList(Math.min(KEEP, all.size()), all.size())) AtomicFiles.deleteTree(older);
        return target;
    }

    /** The newest checkpoint of {@code stage}, read whole, if it has one; a damaged one is an error naming the file. */
    public Optional<Loaded> latest(String stage) throws IOException {
        List<Path> dirs = newestFirst(stage);
        return dirs.isEmpty() ? Optional.empty() : Optional.of(read(dirs.get(0)));
    }

    /**
     * Restores the newest checkpoint of {@code stage} that can be read, newest first; a damaged one is skipped with a
     * warning naming the file. Returns the step restored, or -1 when the stage has no checkpoint. Fails, naming every
     * damaged file, when it has checkpoints but none can be read, and when the one read does not fit the stage (that
     * is no damage a step back would mend, and the stage may be partly restored by then).
     */
    public long restore(String stage, Restore restore, Consumer<String> warn) throws IOException {
        List<String> damaged = new ArrayList<>();
        for (Path dir : newestFirst(stage)) {
            Loaded c;
            try {
                c = read(dir);
            } catch (IOException | IllegalArgumentException e) {
                damaged.add(oneLine(e));
                continue;
            }
            try (c) {
                restore.apply(c);
            } catch (IllegalArgumentException e) {
                throw new IOException(dir + " does not fit " + stage + ": " + oneLine(e), e);
            }
            if (!damaged.isEmpty()) {
                warn.accept(String.join("; ", damaged) + "; resuming " + stage + " from its step-" + c.step() + " checkpoint (" + dir + ")");
            }
            return c.step();
        }
        if (damaged.isEmpty()) return -1;
        throw new IOException("no checkpoint of " + stage + " can be read: " + String.join("; ", damaged)
                + "; move " + root.resolve(stage + "-*") + " aside to train " + stage + " again from its first step");
    }

    /** Reads a checkpoint directory whole: state.json, the model and the optimizer, each checked. */
    public Loaded read(Path dir) throws IOException {
        String name = dir.getFileName().toString();
        int dash = name.lastIndexOf('-');
        String stage = name.substring(0, dash);
        long step = Long.parseLong(name.substring(dash + 1));
        Path stateFile = dir.resolve("state.json");
        if (!Files.isRegularFile(stateFile)) throw new IOException(stateFile + ": missing");
        JsonNode s = JsonFiles.read(stateFile);
        if (!s.isObject()) throw new IOException(stateFile + ": not a JSON object");
        checkWhole(s, "step", step, stateFile);
        if (s.has("optimizer_tensors")) checkWhole(s, "optimizer_tensors", -1, stateFile);
        if (!s.path("stage").asText().equals(stage)) throw new IOException(stateFile + ": \"stage\" must be \"" + stage + "\", got " + s.get("stage"));

        Path modelFile = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(modelFile)) throw new IOException(modelFile + ": missing");
        Map<String, Tensor> model = Safetensors.read(modelFile);
        try {
            Path optFile = dir.resolve("optimizer.safetensors");
            // Checkpoints written before "optimizer_tensors" was recorded have the file whenever the optimizer had state.
            long expected = s.has("optimizer_tensors") ? s.get("optimizer_tensors").asLong() : Files.exists(optFile) ? -1 : 0;
            Map<String, Tensor> opt = expected == 0 ? Map.of() : readOptimizer(optFile, expected);
            return new Loaded(dir, stage, step, (ObjectNode) s, model, opt);
        } catch (IOException | RuntimeException e) {
            model.values().forEach(Tensor::close);
            throw e;
        }
    }

    private static Map<String, Tensor> readOptimizer(Path file, long expected) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": missing, but state.json records " + expected + " optimizer tensors");
        Map<String, Tensor> opt = Safetensors.read(file);
        if (expected >= 0 && opt.size() != expected) {
            opt.values().forEach(Tensor::close);
            throw new IOException(file + ": holds " + opt.size() + " tensors, but state.json records " + expected);
        }
        return opt;
    }

    /** A whole number >= 0 under {@code key}, equal to {@code want} unless that is -1. */
    private static void checkWhole(JsonNode s, String key, long want, Path file) throws IOException {
        JsonNode v = s.get(key);
        if (v == null || !v.isIntegralNumber() || v.asLong() < 0) throw new IOException(file + ": \"" + key + "\" must be a whole number >= 0, got " + v);
        if (want >= 0 && v.asLong() != want) throw new IOException(file + ": \"" + key + "\" is " + v + " in the checkpoint of step " + want);
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    /** The finished checkpoint directories of a stage, newest first ({@code <stage>-<6+ digits>}; staging ".tmp" ones are not). */
    public List<Path> newestFirst(String stage) throws IOException {
        List<Path> dirs = new ArrayList<>();
        if (!Files.isDirectory(root)) return dirs;
        Pattern name = Pattern.compile(Pattern.quote(stage) + "-\\d{6,}");
        try (var entries = Files.list(root)) {
            entries.filter(d -> Files.isDirectory(d) && name.matcher(d.getFileName().toString()).matches()).forEach(dirs::add);
        }
        dirs.sort(Comparator.comparingLong((Path d) -> Long.parseLong(d.getFileName().toString().substring(stage.length() + 1))).reversed());
        return dirs;
    }
}

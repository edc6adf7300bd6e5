package org.racro4j.training.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;

/**
 * Checkpoints of a run: {@code checkpoints/<stage>-<step>/} holding model.safetensors, optimizer.safetensors and
 * state.json (step, RNG offsets, data position, anything the stage needs to continue exactly), one per stage (stages
 * may run at the same time). Each is written into a ".tmp" directory and renamed into place before the stage's older
 * one is deleted, so a run killed at any instant leaves a whole checkpoint of every stage that had one; a stage
 * resumes from its highest step.
 */
public final class Checkpoints {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path root;

    public Checkpoints(Path runDir) {
        this.root = runDir.resolve("checkpoints");
    }

    public Path root() {
        return root;
    }

    /** What a checkpoint holds, as read back. */
    public record Loaded(Path dir, String stage, long step, ObjectNode state) {
        public Map<String, Tensor> model() throws IOException {
            return Safetensors.read(dir.resolve("model.safetensors"));
        }

        public Map<String, Tensor> optimizer() throws IOException {
            Path p = dir.resolve("optimizer.safetensors");
            return Files.exists(p) ? Safetensors.read(p) : Map.of();
        }
    }

    public Path save(String stage, long step, Map<String, Tensor> model, Map<String, Tensor> optimizer, ObjectNode state) throws IOException {
        Files.createDirectories(root);
        String name = stage + "-" + String.format("%06d", step);
        Path staged = root.resolve(name + ".tmp");
        AtomicFiles.deleteTree(staged);
        Files.createDirectories(staged);
        Safetensors.write(staged.resolve("model.safetensors"), model, Map.of("stage", stage, "step", Long.toString(step)));
        if (optimizer != null && !optimizer.isEmpty()) Safetensors.write(staged.resolve("optimizer.safetensors"), optimizer, Map.of());
        ObjectNode s = state.deepCopy();
        s.put("stage", stage);
        s.put("step", step);
        Files.writeString(staged.resolve("state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
        Path target = root.resolve(name);
        AtomicFiles.replaceDirectory(staged, target);
        for (Path older : stepsOf(stage)) {
            if (!older.equals(target)) AtomicFiles.deleteTree(older);   // keep one checkpoint per stage
        }
        return target;
    }

    /** The checkpoint of {@code stage} with the highest step, if it has one. */
    public Optional<Loaded> latest(String stage) throws IOException {
        Path best = null;
        long bestStep = -1;
        for (Path dir : stepsOf(stage)) {
            long step = Long.parseLong(dir.getFileName().toString().substring(stage.length() + 1));
            if (step > bestStep) {
                best = dir;
                bestStep = step;
            }
        }
        if (best == null) return Optional.empty();
        Path state = best.resolve("state.json");
        if (!Files.isRegularFile(state)) throw new IOException(best + " is a checkpoint directory without state.json");
        ObjectNode s = (ObjectNode) JSON.readTree(Files.readString(state));
        return Optional.of(new Loaded(best, s.path("stage").asText(), s.path("step").asLong(), s));
    }

    /** The finished checkpoint directories of a stage, {@code <stage>-<6 digits>} (staging ".tmp" ones are not). */
    private List<Path> stepsOf(String stage) throws IOException {
        List<Path> dirs = new ArrayList<>();
        if (!Files.isDirectory(root)) return dirs;
        Pattern name = Pattern.compile(Pattern.quote(stage) + "-\\d{6,}");
        try (var entries = Files.list(root)) {
            entries.filter(d -> Files.isDirectory(d) && name.matcher(d.getFileName().toString()).matches()).forEach(dirs::add);
        }
        return dirs;
    }
}

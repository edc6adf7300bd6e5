package org.racro4j.training.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;

/**
 * Checkpoints of a run: {@code checkpoints/<stage>-<step>/} holding model.safetensors, optimizer.safetensors and
 * state.json (step, RNG offsets, data position, anything the stage needs to continue exactly). Each is written
 * into a ".tmp" directory and renamed into place, then {@code checkpoints/latest} (a one-line file naming it) is
 * replaced atomically — so a run killed at any instant leaves either the old or the new checkpoint, whole.
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
        String previous = Files.exists(root.resolve("latest")) ? Files.readString(root.resolve("latest")).strip() : null;
        AtomicFiles.writeString(root.resolve("latest"), name + "\n");
        if (previous != null && !previous.equals(name) && previous.startsWith(stage + "-")) {
            AtomicFiles.deleteTree(root.resolve(previous));   // keep one checkpoint per stage
        }
        return target;
    }

    public Optional<Loaded> latest() throws IOException {
        Path pointer = root.resolve("latest");
        if (!Files.exists(pointer)) return Optional.empty();
        String name = Files.readString(pointer).strip();
        Path dir = root.resolve(name);
        Path state = dir.resolve("state.json");
        if (!Files.isRegularFile(state)) throw new IOException(pointer + " names " + name + ", which has no state.json");
        ObjectNode s = (ObjectNode) JSON.readTree(Files.readString(state));
        return Optional.of(new Loaded(dir, s.path("stage").asText(), s.path("step").asLong(), s));
    }
}

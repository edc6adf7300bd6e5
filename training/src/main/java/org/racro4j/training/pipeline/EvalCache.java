package org.racro4j.training.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import org.racro4j.training.eval.Evaluator;
import org.racro4j.training.run.AtomicFiles;
import org.racro4j.training.run.JsonFiles;

/**
 * A run's evaluations, kept in {@code <run>/eval/}: each result and each model's greedy captions is computed once
 * and read back on resume. A damaged file is computed again, with a warning naming it.
 */
final class EvalCache {
    /** Computes a value that is not cached yet. */
    interface Compute<T> {
        T get() throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final Consumer<String> warn;

    EvalCache(Path runDir, Consumer<String> warn) {
        this.dir = runDir.resolve("eval");
        this.warn = warn;
    }

    /** eval/captions_{model}.json: one caption per test item. */
    List<String> captions(String model, int items, Compute<List<String>> compute) throws IOException {
        Path p = dir.resolve("captions_" + model + ".json");
        JsonNode cached = read(p);
        if (cached != null && cached.isArray() && cached.size() == items) {
            List<String> c = new ArrayList<>(items);
            cached.forEach(n -> c.add(n.asText()));
            return c;
        }
        List<String> captions = compute.get();
        ArrayNode arr = JSON.createArrayNode();
        captions.forEach(arr::add);
        AtomicFiles.writeString(p, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
        return captions;
    }

    /** eval/{name}.json: one evaluation. */
    Evaluator.Result result(String name, Compute<Evaluator.Result> compute) throws IOException {
        Path p = dir.resolve(name + ".json");
        JsonNode cached = read(p);
        if (cached != null) {
            try {
                return JSON.treeToValue(cached, Evaluator.Result.class);
            } catch (JsonProcessingException e) {
                warn.accept(p + ": not an evaluation result (" + e.getOriginalMessage().lines().findFirst().orElse("") + "); evaluating again");
            }
        }
        Evaluator.Result r = compute.get();
        AtomicFiles.writeString(p, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        return r;
    }

    /** A cache file, or null when there is none or it is damaged (it is then computed again, with a warning). */
    private JsonNode read(Path p) {
        if (!Files.isRegularFile(p)) return null;
        try {
            return JsonFiles.read(p);
        } catch (IOException e) {
            warn.accept(e.getMessage() + "; computing it again");
            return null;
        }
    }
}

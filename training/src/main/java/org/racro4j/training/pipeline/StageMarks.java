package org.racro4j.training.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import org.racro4j.training.run.AtomicFiles;
import org.racro4j.training.run.JsonFiles;

/** stages.json: the stages of a run folder that have finished, in the order they did; what --resume skips. */
final class StageMarks {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StageMarks() {}

    /** The finished stages (none when the file is absent); a name not among {@code stages} is an error naming the file. */
    static List<String> read(Path file, List<String> stages) throws IOException {
        List<String> done = new ArrayList<>();
        if (!Files.isRegularFile(file)) return done;
        JsonNode arr = JsonFiles.read(file);
        if (!arr.isArray()) throw new IOException(file + ": must be a JSON array of stage names");
        for (JsonNode n : arr) {
            if (!n.isTextual() || !stages.contains(n.asText())) throw new IOException(file + ": " + n + " is not a stage; stages: " + stages);
            done.add(n.asText());
        }
        return done;
    }

    /** Adds {@code stage} to {@code done} and rewrites the file (atomically) when it was not there yet. */
    static void add(Path file, List<String> done, String stage) throws IOException {
        if (done.contains(stage)) return;
        done.add(stage);
        ArrayNode arr = JSON.createArrayNode();
        done.forEach(arr::add);
        AtomicFiles.writeString(file, arr.toString() + "\n");
    }
}

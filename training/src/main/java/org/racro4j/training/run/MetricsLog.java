package org.racro4j.training.run;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * metrics.jsonl: one JSON object per logged step, {"stage": .., "step": .., name: value, ...}, flushed line by
 * line so a killed run loses nothing it logged. On resume, lines past the checkpoint's step are dropped so the
 * continued run writes them again exactly once.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path path;
    private final BufferedWriter out;

    public MetricsLog(Path path) throws IOException {
        this.path = path;
        this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    public Path path() {
        return path;
    }

    /** Appends one record. Non-finite numbers are written as strings ("NaN") so the file stays valid JSON. */
    public synchronized void log(String stage, long step, Map<String, ?> values) throws IOException {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("stage", stage);
        rec.put("step", step);
        for (var e : values.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Double d && !Double.isFinite(d)) v = d.toString();
            if (v instanceof Float f && !Float.isFinite(f)) v = f.toString();
            rec.put(e.getKey(), v);
        }
        out.write(JSON.writeValueAsString(rec));
        out.write('\n');
        out.flush();
    }

    /** Reads every record of a metrics file. A torn last line (the process died mid-write) is skipped. */
    public static List<JsonNode> read(Path path) throws IOException {
        List<JsonNode> records = new ArrayList<>();
        if (!Files.exists(path)) return records;
        List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            try {
                records.add(JSON.readTree(line));
            } catch (IOException e) {
                if (i < lines.size() - 1) throw new IOException(path + ":" + (i + 1) + ": not a JSON record: " + e.getMessage());
            }
        }
        return records;
    }

    /**
     * Keeps the records that a resumed run has already produced: for each stage in {@code lastKept}, its records up
     * to that step (-1: none, the stage starts over); records of other stages (finished ones) all stay. Rewrites the
     * file atomically.
     */
    public static void truncate(Path path, Map<String, Long> lastKept) throws IOException {
        if (!Files.exists(path)) return;
        StringBuilder kept = new StringBuilder();
        for (JsonNode r : read(path)) {
            Long last = lastKept.get(r.path("stage").asText());
            if (last == null || r.path("step").asLong() <= last) kept.append(JSON.writeValueAsString(r)).append('\n');
        }
        AtomicFiles.writeString(path, kept.toString());
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}

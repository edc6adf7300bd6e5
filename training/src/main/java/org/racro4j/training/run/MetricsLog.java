package org.racro4j.training.run;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
 * line so a killed run loses nothing it logged. When a stage resumes from a checkpoint, its lines past the
 * checkpoint's step are dropped ({@link #dropAfter}) so the continued run writes them again exactly once.
 *
 * <p>Each line goes to the file in one write, unbuffered: if a write fails (a full disk), at most the end of that
 * line is missing, the log refuses every later line, and the torn last line is skipped on reading.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path path;
    private OutputStream out;
    private IOException failed;

    public MetricsLog(Path path) throws IOException {
        this.path = path;
        dropTornLastLine(path);
        this.out = open(path);
    }

    /** A line a killed run left half written would otherwise end up in the middle of the file, followed by new lines. */
    private static void dropTornLastLine(Path path) throws IOException {
        if (!Files.exists(path)) return;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long end = ch.size();
            ByteBuffer one = ByteBuffer.allocate(1);
            while (end > 0) {
                one.clear();
                ch.read(one, end - 1);
                if (one.get(0) == '\n') break;
                end--;
            }
            if (end < ch.size()) ch.truncate(end);
        }
    }

    private static OutputStream open(Path path) throws IOException {
        return Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
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
        if (failed != null) throw new IOException("metrics are no longer written after: " + failed.getMessage(), failed);
        try {
            out.write((JSON.writeValueAsString(rec) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            failed = new IOException("cannot write " + path + ": " + AtomicFiles.reason(e), e);
            throw failed;
        }
    }

    /**
     * Drops {@code stage}'s lines past {@code lastKept} (-1: all of them), for a stage that continues from its
     * checkpoint at that step (or starts over): the lines after it were logged by a run that stopped, and the
     * continued run logs those steps again.
     */
    public synchronized void dropAfter(String stage, long lastKept) throws IOException {
        boolean any = false;
        for (JsonNode r : read(path)) any |= r.path("stage").asText().equals(stage) && r.path("step").asLong() > lastKept;
        if (!any) return;
        out.close();
        truncate(path, Map.of(stage, lastKept));
        out = open(path);
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

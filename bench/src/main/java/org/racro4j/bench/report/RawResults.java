package org.racro4j.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The raw results: every JSON line of one or more files, in order. A line {@code {"bench":"command","cmd":...}}
 * (written by bench/run-cpu-report.sh before each command) names the command that printed the lines after it; each
 * row remembers it, so the report can say which command measured which number. Lines that are not JSON objects
 * (a stray log line) are skipped and counted.
 */
public final class RawResults {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One result line, the command that printed it (null if none was recorded) and the file it came from. */
    public record Row(JsonNode json, String command, String file) {
        public String str(String field) {
            JsonNode v = json.get(field);
            return v == null || v.isNull() ? null : v.asText();
        }

        public Double num(String field) {
            JsonNode v = json.get(field);
            return v == null || !v.isNumber() ? null : v.asDouble();
        }

        public boolean is(String bench) {
            return bench.equals(str("bench"));
        }

        /** racro4j's own rows say impl "racro4j"; the peers say what they are ("pytorch 1.13.0", ...). */
        public boolean ours() {
            return "racro4j".equals(str("impl"));
        }
    }

    private final List<Row> rows;
    private final List<String> files;
    private final int skipped;

    private RawResults(List<Row> rows, List<String> files, int skipped) {
        this.rows = List.copyOf(rows);
        this.files = List.copyOf(files);
        this.skipped = skipped;
    }

    public static RawResults read(List<Path> paths) throws IOException {
        List<String> texts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Path p : paths) {
            texts.add(Files.readString(p));
            names.add(p.toString());
        }
        return parse(texts, names);
    }

    /** Parses file contents; {@code names} label them in the report. */
    public static RawResults parse(List<String> texts, List<String> names) {
        List<Row> rows = new ArrayList<>();
        int skipped = 0;
        for (int f = 0; f < texts.size(); f++) {
            String command = null;
            for (String line : texts.get(f).split("\n")) {
                line = line.strip();
                if (line.isEmpty()) continue;
                JsonNode node = null;
                if (line.startsWith("{")) {
                    try {
                        node = JSON.readTree(line);
                    } catch (IOException e) {
                        node = null;
                    }
                }
                if (!(node instanceof ObjectNode)) {
                    skipped++;
                    continue;
                }
                Row row = new Row(node, command, names.get(f));
                if (row.is("command")) command = row.str("cmd");
                rows.add(row);
            }
        }
        return new RawResults(rows, names, skipped);
    }

    public List<Row> rows() {
        return rows;
    }

    public List<Row> rows(Predicate<Row> which) {
        return rows.stream().filter(which).toList();
    }

    public List<Row> bench(String bench) {
        return rows(r -> r.is(bench));
    }

    /** The machine description of the given scope ("cpu" or "gpu"), the last one if several; null if none. */
    public Row machine(String scope) {
        Row found = null;
        for (Row r : bench("machine")) if (Objects.equals(scope, r.str("scope"))) found = r;
        return found;
    }

    public List<String> files() {
        return files;
    }

    /** Lines that were not JSON objects. */
    public int skippedLines() {
        return skipped;
    }
}

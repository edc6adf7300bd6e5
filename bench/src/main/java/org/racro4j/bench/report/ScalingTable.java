package org.racro4j.bench.report;

import java.util.List;

import org.racro4j.bench.report.RawResults.Row;

/** The scaling sweep's rows ({@code "bench":"scaling"}, see {@link org.racro4j.bench.ScalingBench}) as a Markdown table. */
final class ScalingTable {
    static final List<String> AXES = List.of("seq", "batch", "model");

    private ScalingTable() {}

    /** What each axis varies, as plotted: the sequence length, the batch, or the parameter count in millions. */
    static double x(String axis, Row r) {
        return switch (axis) {
            case "seq" -> r.num("seq");
            case "batch" -> r.num("batch");
            default -> r.num("params") / 1e6;
        };
    }

    static String xTitle(String axis) {
        return switch (axis) {
            case "seq" -> "sequence length";
            case "batch" -> "batch";
            default -> "parameters (millions)";
        };
    }

    static String render(List<Row> rows) {
        StringBuilder md = new StringBuilder();
        md.append("| varies | layers | dim | heads/kv | vocab | seq | batch | params | ms/step | tokens/s | peak MiB |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (String axis : AXES) {
            for (Row r : rows) {
                if (!axis.equals(r.str("axis"))) continue;
                md.append("| ").append(axis).append(" | ").append(r.str("layers")).append(" | ").append(r.str("dim"))
                        .append(" | ").append(r.str("heads")).append("/").append(r.str("kv_heads")).append(" | ").append(r.str("vocab"))
                        .append(" | ").append(r.str("seq")).append(" | ").append(r.str("batch")).append(" | ").append(r.str("params"))
                        .append(" | ").append(Fmt.num(r.num("ms_per_step"))).append(" | ").append(Fmt.num(r.num("tokens_per_s")))
                        .append(" | ").append(Fmt.mib(r.num("peak_bytes"))).append(" |\n");
            }
        }
        return md.toString();
    }
}

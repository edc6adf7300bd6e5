package org.racro4j.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

import org.racro4j.bench.report.RawResults.Row;

/**
 * racro4j against its peer on the CPU, one row per benchmark, shape and metric: the two throughputs from the same raw
 * file and their ratio, ours / peer, so a ratio above 1 means racro4j is faster. Rows are paired by the fields that
 * define the work (the matrix size; the model shape, sequence and batch); where one side is missing the ratio is
 * absent rather than guessed. When a key was measured more than once, the last line counts.
 */
public final class Comparison {
    /** One compared quantity; ours or peer is null when that side was not measured. */
    public record Entry(String benchmark, String shape, String metric, Double ours, Double peer, String peerImpl, String note,
                        String ourCommand, String peerCommand, String chartLabel) {
        public Double ratio() {
            return ours == null || peer == null || peer == 0 ? null : ours / peer;
        }
    }

    private Comparison() {}

    public static List<Entry> cpu(RawResults raw) {
        List<Entry> out = new ArrayList<>();
        out.addAll(matmul(raw));
        out.addAll(trainStep(raw));
        out.addAll(rollout(raw));
        return out;
    }

    static List<Entry> matmul(RawResults raw) {
        Map<String, Row[]> pairs = pair(raw.rows(r -> r.json().has("n") && ("matmul".equals(r.str("op")) || "matmul_numpy".equals(r.str("op")))),
                r -> "n=" + r.str("n"), r -> "matmul".equals(r.str("op")));
        List<Entry> out = new ArrayList<>();
        for (var e : pairs.entrySet()) {
            Row ours = e.getValue()[0], peer = e.getValue()[1];
            String threads = ours != null ? ours.str("threads") : peer.str("threads");
            out.add(new Entry("matmul F32", e.getKey(), "GFLOP/s", num(ours, "gflops"), num(peer, "gflops"), "numpy", "threads " + threads,
                    cmd(ours), cmd(peer), "matmul " + e.getKey()));
        }
        return out;
    }

    static List<Entry> trainStep(RawResults raw) {
        Map<String, Row[]> pairs = pair(raw.rows(r -> r.is("train_step") && "cpu".equals(r.str("device"))),
                r -> model(r) + " seq " + r.str("seq") + " batch " + r.str("batch"), Row::ours);
        List<Entry> out = new ArrayList<>();
        for (var e : pairs.entrySet()) {
            Row ours = e.getValue()[0], peer = e.getValue()[1];
            Row any = ours != null ? ours : peer;
            String note = "ms/step " + Fmt.num(num(ours, "ms_per_step")) + " vs " + Fmt.num(num(peer, "ms_per_step"));
            out.add(new Entry("train step", e.getKey(), "tokens/s", num(ours, "tokens_per_s"), num(peer, "tokens_per_s"), impl(peer), note,
                    cmd(ours), cmd(peer), "train " + compact(any) + " s" + any.str("seq") + " b" + any.str("batch")));
        }
        return out;
    }

    static List<Entry> rollout(RawResults raw) {
        Map<String, Row[]> pairs = pair(raw.rows(r -> r.is("rollout") && "cpu".equals(r.str("device"))),
                r -> model(r) + " batch " + r.str("batch") + " prompt " + r.str("prompt_len") + " new " + r.str("new_tokens"), Row::ours);
        List<Entry> out = new ArrayList<>();
        for (var e : pairs.entrySet()) {
            Row ours = e.getValue()[0], peer = e.getValue()[1];
            String label = "rollout " + compact(ours != null ? ours : peer) + " b" + (ours != null ? ours : peer).str("batch");
            out.add(new Entry("rollout", e.getKey(), "prefill tokens/s", num(ours, "prefill_tokens_per_s"), num(peer, "prefill_tokens_per_s"),
                    impl(peer), "", cmd(ours), cmd(peer), label + " prefill"));
            out.add(new Entry("rollout", e.getKey(), "decode tokens/s", num(ours, "decode_tokens_per_s"), num(peer, "decode_tokens_per_s"),
                    impl(peer), "", cmd(ours), cmd(peer), label + " decode"));
        }
        return out;
    }

    /** "layers 2 dim 128 heads 4/2 vocab 512". */
    static String model(Row r) {
        return "layers " + r.str("layers") + " dim " + r.str("dim") + " heads " + r.str("heads") + "/" + r.str("kv_heads") + " vocab "
                + r.str("vocab");
    }

    /** "L2 d128" for chart labels. */
    private static String compact(Row r) {
        return "L" + r.str("layers") + " d" + r.str("dim");
    }

    /** Key -> {ours, peer}, in the order keys first appear; later lines replace earlier ones. */
    private static Map<String, Row[]> pair(List<Row> rows, Function<Row, String> key, Predicate<Row> isOurs) {
        Map<String, Row[]> m = new LinkedHashMap<>();
        for (Row r : rows) m.computeIfAbsent(key.apply(r), k -> new Row[2])[isOurs.test(r) ? 0 : 1] = r;
        return m;
    }

    private static Double num(Row r, String field) {
        return r == null ? null : r.num(field);
    }

    private static String cmd(Row r) {
        return r == null ? null : r.command();
    }

    private static String impl(Row peer) {
        return peer == null ? "—" : peer.str("impl");
    }
}

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
 * absent rather than guessed. Each side counts at its best: when a key was measured more than once (at several thread
 * counts, as bench/run-cpu-report.sh does), every metric takes each side's highest throughput, and the note names the
 * thread counts that gave them, so neither side is compared at a thread count that does not suit it. A benchmark with
 * several peers (rollout: PyTorch and llama.cpp) gets one row per peer.
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
        Map<String, Sides> pairs = pair(raw.rows(r -> r.json().has("n") && ("matmul".equals(r.str("op")) || "matmul_numpy".equals(r.str("op")))),
                r -> "n=" + r.str("n"), r -> "matmul".equals(r.str("op")));
        List<Entry> out = new ArrayList<>();
        for (var e : pairs.entrySet()) {
            Row ours = e.getValue().best(true, "gflops"), peer = e.getValue().best(false, "gflops");
            out.add(new Entry("matmul F32", e.getKey(), "GFLOP/s", num(ours, "gflops"), num(peer, "gflops"), "numpy", threads(ours, peer),
                    cmd(ours), cmd(peer), "matmul " + e.getKey()));
        }
        return out;
    }

    static List<Entry> trainStep(RawResults raw) {
        Map<String, Sides> pairs = pair(raw.rows(r -> r.is("train_step") && "cpu".equals(r.str("device"))),
                r -> model(r) + " seq " + r.str("seq") + " batch " + r.str("batch"), Row::ours);
        List<Entry> out = new ArrayList<>();
        for (var e : pairs.entrySet()) {
            Row ours = e.getValue().best(true, "tokens_per_s"), peer = e.getValue().best(false, "tokens_per_s");
            Row any = ours != null ? ours : peer;
            String note = "ms/step " + Fmt.num(num(ours, "ms_per_step")) + " vs " + Fmt.num(num(peer, "ms_per_step")) + "; "
                    + threads(ours, peer);
            out.add(new Entry("train step", e.getKey(), "tokens/s", num(ours, "tokens_per_s"), num(peer, "tokens_per_s"), impl(peer), note,
                    cmd(ours), cmd(peer), "train " + compact(any) + " s" + any.str("seq") + " b" + any.str("batch")));
        }
        return out;
    }

    /**
     * Rollout rows have two peers, PyTorch and llama.cpp (bench/llamacpp): racro4j is compared with each separately
     * (one row per peer, in the order the peers first appear), each side at its own best thread count.
     */
    static List<Entry> rollout(RawResults raw) {
        Map<String, Sides> pairs = pair(raw.rows(r -> r.is("rollout") && "cpu".equals(r.str("device"))),
                r -> model(r) + " batch " + r.str("batch") + (r.json().has("group") ? " group " + r.str("group") : "")
                        + " prompt " + r.str("prompt_len") + " new " + r.str("new_tokens")
                        + (r.json().has("stop_spread") ? " spread " + r.str("stop_spread") + " requests " + r.str("requests") : ""),
                Row::ours);
        List<Entry> out = new ArrayList<>();
        for (var e : pairs.entrySet()) {
            Sides all = e.getValue();
            Row any = all.any();
            if (any.json().has("stop_spread")) {
                out.addAll(spreadRollout(e.getKey(), all));
                continue;
            }
            String label = "rollout " + compact(any) + " b" + any.str("batch") + (any.json().has("group") ? " g" + any.str("group") : "");
            List<String> peers = all.peerFamilies();
            for (String family : peers.isEmpty() ? java.util.Collections.singletonList((String) null) : peers) {
                Sides sides = family == null ? all : all.against(family);
                String vs = family != null && !family.equals(peers.get(0)) ? " vs " + family : "";
                for (String[] metric : new String[][] {{"prefill tokens/s", "prefill_tokens_per_s", " prefill"},
                        {"decode tokens/s", "decode_tokens_per_s", " decode"}}) {
                    Row ours = sides.best(true, metric[1]), peer = sides.best(false, metric[1]);
                    out.add(new Entry("rollout", e.getKey(), metric[0], num(ours, metric[1]), num(peer, metric[1]), impl(peer),
                            threads(ours, peer) + groupNote(ours) + llamaCppNote(peer), cmd(ours), cmd(peer), label + vs + metric[2]));
                }
            }
        }
        return out;
    }

    /**
     * Rollouts of spread lengths (--stop-spread): useful tokens/s (each sequence's own new tokens), racro4j with
     * continuous batching against the peer's batches run until their longest, and racro4j's own plain path (the same
     * way as the peer's) against the peer.
     */
    private static List<Entry> spreadRollout(String key, Sides sides) {
        Row any = sides.any();
        String label = "rollout " + compact(any) + " b" + any.str("batch") + " spread " + any.str("stop_spread");
        Row ours = sides.best(true, "useful_tokens_per_s"), peer = sides.best(false, "useful_tokens_per_s");
        Row oursPlain = sides.best(true, "plain_useful_tokens_per_s");
        String speedup = ours == null ? "" : String.format(java.util.Locale.ROOT, "; continuous vs plain batches %.2fx",
                ours.num("continuous_speedup"));
        return List.of(
                new Entry("rollout", key, "useful tokens/s, continuous batching", num(ours, "useful_tokens_per_s"),
                        num(peer, "useful_tokens_per_s"), impl(peer), threads(ours, peer) + speedup, cmd(ours), cmd(peer),
                        label + " continuous"),
                new Entry("rollout", key, "useful tokens/s, batches until the longest", num(oursPlain, "plain_useful_tokens_per_s"),
                        num(peer, "useful_tokens_per_s"), impl(peer), threads(oursPlain, peer), cmd(oursPlain), cmd(peer),
                        label + " plain"));
    }

    /** The first word of a peer's impl: "pytorch 2.1.0" → "pytorch", "llama.cpp (node-llama-cpp 3.22.1, ...)" → "llama.cpp". */
    static String family(Row peer) {
        String impl = peer.str("impl");
        if (impl == null) return "?";
        int space = impl.indexOf(' ');
        return space < 0 ? impl : impl.substring(0, space);
    }

    /** How llama.cpp ran: the types of its matrices and KV cache, and whether its flash attention was on. */
    private static String llamaCppNote(Row peer) {
        if (peer == null || !peer.json().has("kv_type")) return "";
        return "; llama.cpp matrices " + peer.str("dtype") + ", KV cache " + peer.str("kv_type") + ", flash attention "
                + peer.str("flash_attn");
    }

    /**
     * For a grouped rollout: how much faster racro4j's shared prefill and generation were than its own plain path, the
     * two paths' generation and prefill times (the generations differ by their prefills and by what the decode steps
     * read: the steps compute the same), and what its fork took (the copy of each prompt's cache into its samples'
     * rows, within the shared prefill). Results from before these were timed or printed leave them out.
     */
    private static String groupNote(Row ours) {
        if (ours == null || !ours.json().has("group_prefill_speedup")) return "";
        String note = String.format(java.util.Locale.ROOT, "; shared prefix vs repeated prompts: prefill %.2fx, generation %.2fx",
                ours.num("group_prefill_speedup"), ours.num("group_generation_speedup"));
        double prefill = ours.num("batch") * ours.num("prompt_len") / ours.num("prefill_tokens_per_s");
        if (ours.json().has("seconds") && ours.json().has("plain_seconds") && ours.json().has("plain_prefill_seconds")) {
            note += String.format(java.util.Locale.ROOT, " (%.1f vs %.1f ms; prefill alone %.1f vs %.1f ms)", ours.num("seconds") * 1e3,
                    ours.num("plain_seconds") * 1e3, prefill * 1e3, ours.num("plain_prefill_seconds") * 1e3);
        }
        if (!ours.json().has("fork_seconds")) return note;
        return note + String.format(java.util.Locale.ROOT, "; fork %.2f of %.2f ms shared prefill", ours.num("fork_seconds") * 1e3, prefill * 1e3);
    }

    /** "threads 1 vs 2": the thread counts of the two rows compared. */
    private static String threads(Row ours, Row peer) {
        return "threads " + threadsOf(ours) + " vs " + threadsOf(peer);
    }

    private static String threadsOf(Row r) {
        return r == null ? "—" : r.json().has("threads") ? r.str("threads") : "?";
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

    /** Every measurement of one key, racro4j's and the peer's. */
    private record Sides(List<Row> ours, List<Row> peer) {
        /** The side's row with the highest {@code metric}, or null if the side was not measured. */
        Row best(boolean oursSide, String metric) {
            Row best = null;
            for (Row r : oursSide ? ours : peer) {
                Double v = r.num(metric);
                if (v != null && (best == null || v > best.num(metric))) best = r;
            }
            return best;
        }

        Row any() {
            return ours.isEmpty() ? peer.get(0) : ours.get(0);
        }

        /** The peers' families, in the order they first appear. */
        List<String> peerFamilies() {
            return peer.stream().map(Comparison::family).distinct().toList();
        }

        /** Our rows against one family's rows only. */
        Sides against(String family) {
            return new Sides(ours, peer.stream().filter(r -> family(r).equals(family)).toList());
        }
    }

    /** Key -> its measurements on each side, in the order keys first appear. */
    private static Map<String, Sides> pair(List<Row> rows, Function<Row, String> key, Predicate<Row> isOurs) {
        Map<String, Sides> m = new LinkedHashMap<>();
        for (Row r : rows) {
            Sides s = m.computeIfAbsent(key.apply(r), k -> new Sides(new ArrayList<>(), new ArrayList<>()));
            (isOurs.test(r) ? s.ours() : s.peer()).add(r);
        }
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

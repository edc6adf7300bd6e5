package org.racro4j.training.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.training.eval.Evaluator;
import org.racro4j.training.run.AtomicFiles;

/**
 * report.json and report.md of a run: held-out accuracy of the blind reasoner, the warm-start (SFT) captioner,
 * the RL captioner and the oracle (gold description); the perception gap before and after RL; the same captions
 * read by a second reasoner (swap); a per-category table; example captions; stage times.
 */
final class Report {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final double ROUNDING = 1e-9;

    /** One reasoner's four accuracies. */
    record Row(Evaluator.Result blind, Evaluator.Result sft, Evaluator.Result rl, Evaluator.Result oracle) {
        ObjectNode json() {
            ObjectNode n = JSON.createObjectNode();
            n.put("reasoner", blind.reader());
            n.put("blind", blind.accuracy());
            n.put("sft_captioner", sft.accuracy());
            n.put("rl_captioner", rl.accuracy());
            n.put("oracle", oracle.accuracy());
            return n;
        }
    }

    static ObjectNode build(RunConfig cfg, Row main, Row swap, int testItems, Map<String, Double> stageSeconds, int samples) {
        ObjectNode r = JSON.createObjectNode();
        ObjectNode acc = r.putObject("accuracy");
        acc.put("blind", main.blind().accuracy());
        acc.put("sft_captioner", main.sft().accuracy());
        acc.put("rl_captioner", main.rl().accuracy());
        acc.put("oracle", main.oracle().accuracy());
        ObjectNode gap = r.putObject("perception_gap");
        double before = main.oracle().accuracy() - main.sft().accuracy();
        double after = main.oracle().accuracy() - main.rl().accuracy();
        gap.put("before", before);
        gap.put("after", after);
        ObjectNode goal = r.putObject("goal");
        double gain = main.rl().accuracy() - main.sft().accuracy();
        double closed = before > 0 ? (before - after) / before : Double.NaN;
        goal.put("rl_gain_points", 100 * gain);
        goal.put("gap_closed_fraction", closed);
        // Accuracies are counts out of the same n items, so exactly 15 points (7/20 − 4/20) or exactly half the gap can
        // come out a rounding error short in double arithmetic; the thresholds allow for that (real differences are >= 1/n).
        goal.put("met", gain >= 0.15 - ROUNDING && closed >= 0.5 - ROUNDING);
        goal.put("criterion", "RL raises held-out accuracy by >= 15 points over the SFT captioner and closes >= half of the gap to the oracle");
        if (swap != null) r.set("reasoner_swap", swap.json());
        r.put("reasoner", main.blind().reader());
        r.put("test_items", testItems);
        r.put("algorithm", cfg.rl().algorithm());
        Map<String, Evaluator.Result> columns = new LinkedHashMap<>();
        columns.put("blind", main.blind());
        columns.put("sft_captioner", main.sft());
        columns.put("rl_captioner", main.rl());
        columns.put("oracle", main.oracle());
        r.set("per_category", perCategory(columns));
        var ex = r.putArray("examples");
        for (int i = 0; i < Math.min(samples, main.rl().items().size()); i++) {
            ObjectNode e = ex.addObject();
            Evaluator.ItemResult s = main.sft().items().get(i);
            Evaluator.ItemResult l = main.rl().items().get(i);
            e.put("id", l.id());
            e.put("category", l.category());
            e.put("expected", l.expected());
            e.put("sft_caption", s.description());
            e.put("sft_answer", s.answer());
            e.put("rl_caption", l.description());
            e.put("rl_answer", l.answer());
        }
        ObjectNode times = r.putObject("stage_seconds");
        stageSeconds.forEach(times::put);
        return r;
    }

    /**
     * The policy's own held-out accuracy before and after RL, for the algorithms whose policy answers (PRCO: Observer
     * caption, then its Solver; outcome-only GRPO: directly from the image).
     */
    static void addPolicyAnswers(ObjectNode report, Evaluator.Result sft, Evaluator.Result rl) {
        ObjectNode p = report.putObject("policy_answers");
        p.put("answers", sft.reader());
        p.put("sft", sft.accuracy());
        p.put("rl", rl.accuracy());
    }

    /** Accuracy per category of results over the same items: the category's item count, then one entry per column. */
    static ObjectNode perCategory(Map<String, Evaluator.Result> columns) {
        ObjectNode per = JSON.createObjectNode();
        Evaluator.Result any = columns.values().iterator().next();
        for (var cat : any.perCategory().entrySet()) {
            ObjectNode c = per.putObject(cat.getKey());
            c.put("items", cat.getValue()[1]);
            columns.forEach((name, result) -> c.put(name, result.categoryAccuracy(cat.getKey())));
        }
        return per;
    }

    static void write(Path runDir, ObjectNode report) throws IOException {
        AtomicFiles.writeString(runDir.resolve("report.json"), JSON.writeValueAsString(report) + "\n");
        AtomicFiles.writeString(runDir.resolve("report.md"), markdown(report));
    }

    /** The results table printed at the end of a run and written as report.md. */
    static String markdown(ObjectNode r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# racro4j run report (%s)%n%n", r.path("algorithm").asText()));
        sb.append(String.format(Locale.ROOT, "Held-out accuracy on %d test items.%n%n", r.path("test_items").asInt()));
        sb.append("| reasoner | blind (question only) | SFT captioner | RL captioner | oracle (gold description) |\n");
        sb.append("|---|---|---|---|---|\n");
        var a = r.path("accuracy");
        sb.append(row(r.path("reasoner").asText(), a));
        if (r.has("reasoner_swap")) sb.append(row(r.path("reasoner_swap").path("reasoner").asText() + " (swapped in, not trained with)", r.path("reasoner_swap")));
        var g = r.path("perception_gap");
        var goal = r.path("goal");
        double closed = goal.path("gap_closed_fraction").asDouble(Double.NaN);   // none when there was no gap (the oracle no better)
        sb.append(String.format(Locale.ROOT, "%nPerception gap (oracle − captioner): %.3f before RL, %.3f after; RL gain %+.1f points, "
                        + "%s. Goal (>= 15 points and >= half the gap): %s.%n",
                g.path("before").asDouble(), g.path("after").asDouble(), goal.path("rl_gain_points").asDouble(),
                Double.isNaN(closed) ? "no gap to close" : String.format(Locale.ROOT, "%.0f%% of the gap closed", 100 * closed),
                goal.path("met").asBoolean() ? "met" : "NOT met"));
        if (r.has("policy_answers")) {
            var p = r.path("policy_answers");
            sb.append(String.format(Locale.ROOT, "%nThe policy's own answers (%s): %.3f after the warm start, %.3f after RL.%n", p.path("answers").asText(),
                    p.path("sft").asDouble(), p.path("rl").asDouble()));
        }
        sb.append('\n').append(categoryTable(r.path("per_category"), List.of("blind", "sft_captioner", "rl_captioner", "oracle"),
                List.of("blind", "SFT captioner", "RL captioner", "oracle")));
        sb.append("\nExamples (SFT caption → RL caption):\n\n");
        for (var e : r.path("examples")) {
            sb.append(String.format(Locale.ROOT, "- %s (%s), answer %s%n  - SFT: \"%s\" → %s%n  - RL: \"%s\" → %s%n", e.path("id").asText(),
                    e.path("category").asText(), e.path("expected").asText(), e.path("sft_caption").asText(), e.path("sft_answer").asText(),
                    e.path("rl_caption").asText(), e.path("rl_answer").asText()));
        }
        sb.append("\nStage times (s): ");
        List<String> t = new ArrayList<>();
        r.path("stage_seconds").fields().forEachRemaining(e -> t.add(String.format(Locale.ROOT, "%s %.0f", e.getKey(), e.getValue().asDouble())));
        sb.append(String.join(", ", t)).append('\n');
        return sb.toString();
    }

    /** The per-category table: category, items, then the given entries of each category under the given headers. */
    static String categoryTable(JsonNode perCategory, List<String> keys, List<String> headers) {
        StringBuilder sb = new StringBuilder("| category | items | " + String.join(" | ", headers) + " |\n|---|---|");
        sb.append("---|".repeat(keys.size())).append('\n');
        for (var it = perCategory.fields(); it.hasNext(); ) {
            var e = it.next();
            sb.append(String.format(Locale.ROOT, "| %s | %d |", e.getKey(), e.getValue().path("items").asInt()));
            for (String k : keys) sb.append(String.format(Locale.ROOT, " %.2f |", e.getValue().path(k).asDouble()));
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String row(String name, JsonNode a) {
        return String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f |%n", name, a.path("blind").asDouble(),
                a.path("sft_captioner").asDouble(), a.path("rl_captioner").asDouble(), a.path("oracle").asDouble());
    }
}

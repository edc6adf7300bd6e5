package org.racro4j.training.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.training.eval.Evaluator;
import org.racro4j.training.eval.UnknownWords;

/**
 * The result of evaluating one captioner with one reasoner after a run (`racro4j eval`): accuracy of the reasoner
 * blind (question only), reading the captioner's captions, and reading the gold descriptions (oracle); the
 * perception gap oracle − captioner; a per-category table (shared with {@link Report}); example captions. Keys
 * of "accuracy" and "per_category": blind, captioner, oracle. "unknown_words" counts the items whose question or gold
 * description has words the models read as {@code <unk>} (evaluated only when the user allowed it).
 */
public final class EvalReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The distinct unknown words a report lists (their number is unbounded in a large dataset). */
    private static final int UNKNOWN_WORDS_LISTED = 20;

    private EvalReport() {}

    /** {@code oracle} is null when the items have no gold descriptions (an external dataset without them). */
    static ObjectNode build(RunFolder run, String tasks, RunFolder.ModelRef captioner, String device, Evaluator.Result blind,
                            Evaluator.Result captioned, Evaluator.Result oracle, int samples) {
        return build(run, tasks, captioner, device, blind, captioned, oracle, UnknownWords.NONE, samples);
    }

    /** {@code unknown}: the items whose words the models read as {@code <unk>} (evaluated because the user allowed it). */
    static ObjectNode build(RunFolder run, String tasks, RunFolder.ModelRef captioner, String device, Evaluator.Result blind,
                            Evaluator.Result captioned, Evaluator.Result oracle, UnknownWords unknown, int samples) {
        ObjectNode r = JSON.createObjectNode();
        r.put("run", run.dir().toString());
        r.put("tasks", tasks);
        r.put("test_items", blind.items().size());
        r.put("device", device);
        r.put("captioner", captioner.name());
        r.put("captioner_dir", captioner.dir().toString());
        r.put("reasoner", blind.reader());
        ObjectNode unk = r.putObject("unknown_words");
        unk.put("items", unknown.items().size());
        unk.put("occurrences", unknown.occurrences());
        unk.put("distinct", unknown.words().size());
        var words = unk.putArray("words");
        for (String w : unknown.words().subList(0, Math.min(UNKNOWN_WORDS_LISTED, unknown.words().size()))) words.add(w);
        ObjectNode acc = r.putObject("accuracy");
        acc.put("blind", blind.accuracy());
        acc.put("captioner", captioned.accuracy());
        if (oracle == null) {
            acc.putNull("oracle");
            r.putNull("perception_gap");
        } else {
            acc.put("oracle", oracle.accuracy());
            r.put("perception_gap", oracle.accuracy() - captioned.accuracy());
        }
        Map<String, Evaluator.Result> columns = new LinkedHashMap<>();
        columns.put("blind", blind);
        columns.put("captioner", captioned);
        if (oracle != null) columns.put("oracle", oracle);
        r.set("per_category", Report.perCategory(columns));
        var ex = r.putArray("examples");
        for (int i = 0; i < Math.min(samples, captioned.items().size()); i++) {
            Evaluator.ItemResult it = captioned.items().get(i);
            ObjectNode e = ex.addObject();
            e.put("id", it.id());
            e.put("category", it.category());
            e.put("expected", it.expected());
            e.put("caption", it.description());
            e.put("answer", it.answer());
        }
        return r;
    }

    /** The table `racro4j eval` prints. */
    public static String markdown(ObjectNode r) {
        String cap = r.path("captioner").asText();
        boolean hasOracle = !r.path("accuracy").path("oracle").isNull();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# racro4j eval of %s%n%n", r.path("run").asText()));
        sb.append(String.format(Locale.ROOT, "%d items (%s) on %s; captioner %s (%s).%n%n", r.path("test_items").asInt(),
                r.path("tasks").asText(), r.path("device").asText(), cap, r.path("captioner_dir").asText()));
        sb.append("| reasoner | blind (question only) | ").append(cap).append(" → reasoner | oracle (gold description) | "
                + "perception gap (oracle − captioner) |\n|---|---|---|---|---|\n");
        JsonNode a = r.path("accuracy");
        sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %s | %s |%n", r.path("reasoner").asText(), a.path("blind").asDouble(),
                a.path("captioner").asDouble(), number(a.path("oracle")), number(r.path("perception_gap"))));
        if (!hasOracle) sb.append("\nNo oracle: the items have no gold descriptions.\n");
        JsonNode unk = r.path("unknown_words");
        if (unk.path("items").asInt() > 0) {
            List<String> words = new ArrayList<>();
            for (JsonNode w : unk.path("words")) words.add("'" + w.asText() + "'");
            int n = unk.path("items").asInt();
            sb.append(String.format(Locale.ROOT, "%n%d of %d items %s words the models do not know, read as <unk> (%d in all: %s%s); "
                            + "their scores are not those of the dataset's questions.%n", n, r.path("test_items").asInt(), n == 1 ? "has" : "have",
                    unk.path("occurrences").asInt(), String.join(", ", words), unk.path("distinct").asInt() > words.size() ? ", ..." : ""));
        }
        List<String> keys = new ArrayList<>(List.of("blind", "captioner"));
        List<String> headers = new ArrayList<>(List.of("blind", cap));
        if (hasOracle) {
            keys.add("oracle");
            headers.add("oracle");
        }
        sb.append('\n').append(Report.categoryTable(r.path("per_category"), keys, headers));
        if (r.path("examples").size() > 0) sb.append("\nExamples (caption → answer):\n\n");
        for (JsonNode e : r.path("examples")) {
            sb.append(String.format(Locale.ROOT, "- %s (%s), answer %s: \"%s\" → %s%n", e.path("id").asText(), e.path("category").asText(),
                    e.path("expected").asText(), e.path("caption").asText(), e.path("answer").asText()));
        }
        return sb.toString();
    }

    private static String number(JsonNode n) {
        return n.isNull() || n.isMissingNode() ? "—" : String.format(Locale.ROOT, "%.3f", n.asDouble());
    }
}

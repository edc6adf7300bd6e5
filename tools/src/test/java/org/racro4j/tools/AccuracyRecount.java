package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.racro4j.training.pipeline.ConfigLoader;
import org.racro4j.training.pipeline.RunTasks;
import org.racro4j.training.tasks.TaskItem;

/**
 * Held-out accuracy counted by the tests themselves, independently of the Evaluator: each reasoner answer is compared
 * with the gold answer of its item by the tests' own check, and the right answers are counted overall and per
 * category. The items are the run's held-out split generated afresh from its config.yaml.
 */
record AccuracyRecount(double overall, Map<String, Integer> items, Map<String, Double> perCategory) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The tests' answer check: the reasoner's answer, trimmed, is the gold answer, ignoring case. The toy reasoners answer
     * with one word or one digit, the form the gold answers have, so no more normalisation is needed.
     */
    static boolean sameAnswer(String answer, String gold) {
        return answer.strip().equalsIgnoreCase(gold.strip());
    }

    /** Counts one answer per item of the split. */
    static AccuracyRecount of(List<TaskItem> split, List<String> answers) {
        assertEquals(split.size(), answers.size(), "one answer per item");
        Map<String, Integer> items = new TreeMap<>();
        Map<String, Integer> right = new TreeMap<>();
        int correct = 0;
        for (int i = 0; i < split.size(); i++) {
            String category = split.get(i).category();
            items.merge(category, 1, Integer::sum);
            right.merge(category, 0, Integer::sum);
            if (sameAnswer(answers.get(i), split.get(i).answer())) {
                correct++;
                right.merge(category, 1, Integer::sum);
            }
        }
        Map<String, Double> perCategory = new TreeMap<>();
        for (String c : items.keySet()) perCategory.put(c, right.get(c) / (double) items.get(c));
        return new AccuracyRecount(correct / (double) split.size(), items, perCategory);
    }

    /** The run's held-out items, generated afresh from its config.yaml: their ids, categories and gold answers. */
    static List<TaskItem> heldOut(Path run) throws IOException {
        return RunTasks.of(ConfigLoader.load(run.resolve("config.yaml"))).test();
    }

    /**
     * The answers of one of a run's per-item files (eval/NAME.json, written by the run's evaluations), after checking
     * that its items are the split's, in order, with the split's categories and gold answers.
     */
    static List<String> answersOf(Path run, String name, List<TaskItem> split) throws IOException {
        JsonNode items = JSON.readTree(Files.readString(run.resolve("eval").resolve(name + ".json"))).get("items");
        assertEquals(split.size(), items.size(), name);
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < split.size(); i++) {
            JsonNode it = items.get(i);
            assertEquals(split.get(i).id(), it.get("id").asText(), name + " item " + i);
            assertEquals(split.get(i).category(), it.get("category").asText(), name + " item " + i);
            assertEquals(split.get(i).answer(), it.get("expected").asText(), name + " item " + i);
            answers.add(it.get("answer").asText());
        }
        return answers;
    }

    /**
     * This recount equals a reported overall accuracy and, when {@code perCategory} is given, the reported per-category
     * item counts and {@code column} accuracies.
     */
    void assertReported(double reportedOverall, JsonNode perCategory, String column) {
        assertEquals(overall, reportedOverall, 1e-12, column + " overall");
        if (perCategory == null) return;
        List<String> reported = new ArrayList<>();
        perCategory.fieldNames().forEachRemaining(reported::add);
        assertEquals(new ArrayList<>(items.keySet()), reported, column + " categories");
        for (String c : items.keySet()) {
            assertEquals(items.get(c).intValue(), perCategory.get(c).get("items").asInt(), column + " items of " + c);
            assertEquals(this.perCategory.get(c), perCategory.get(c).get(column).asDouble(), 1e-12, column + " accuracy of " + c);
        }
    }

    /** report.json's four columns and its swap row, each recounted from the run's per-item files. */
    static void assertReportRecounted(Path run, JsonNode report) throws IOException {
        List<TaskItem> split = heldOut(run);
        for (String column : List.of("blind", "sft_captioner", "rl_captioner", "oracle")) {
            of(split, answersOf(run, column, split)).assertReported(report.get("accuracy").get(column).asDouble(), report.get("per_category"), column);
            if (report.has("reasoner_swap")) {
                of(split, answersOf(run, "swap_" + column, split)).assertReported(report.get("reasoner_swap").get(column).asDouble(), null,
                        "swap " + column);
            }
        }
    }
}

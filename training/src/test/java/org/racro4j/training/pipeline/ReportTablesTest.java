package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.training.eval.Evaluator;

/**
 * The per-category table shared by report.json and `racro4j eval`, and EvalReport's gap and columns, on hand-made
 * results whose per-category accuracies and gap are worked out by hand in each test.
 */
class ReportTablesTest {
    @TempDir
    Path tmp;

    static Evaluator.Result result(String what, Map<String, int[]> perCategory, List<Evaluator.ItemResult> items) {
        int right = 0;
        int n = 0;
        for (int[] c : perCategory.values()) {
            right += c[0];
            n += c[1];
        }
        return new Evaluator.Result("reasoner", what, right / (double) n, perCategory, items);
    }

    static Map<String, int[]> counts(Object... categoryRightTotal) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (int i = 0; i < categoryRightTotal.length; i += 3) {
            m.put((String) categoryRightTotal[i], new int[] {(int) categoryRightTotal[i + 1], (int) categoryRightTotal[i + 2]});
        }
        return m;
    }

    /** Categories come from the first column; one another column lacks, or that has no items, has no accuracy (NaN). */
    @Test
    void perCategoryAccuracyIsRightOverItemsInEachColumn() {
        Map<String, Evaluator.Result> columns = new LinkedHashMap<>();
        columns.put("blind", result("blind", counts("attribute", 1, 4, "count", 0, 3, "empty", 0, 0), List.of()));
        columns.put("captioner", result("c", counts("attribute", 3, 4, "count", 2, 3), List.of()));
        ObjectNode per = Report.perCategory(columns);

        assertEquals(List.of("attribute", "count", "empty"), names(per));
        assertEquals(4, per.path("attribute").path("items").asInt());
        assertEquals(0.25, per.path("attribute").path("blind").asDouble(), 0.0);
        assertEquals(0.75, per.path("attribute").path("captioner").asDouble(), 0.0);
        assertEquals(3, per.path("count").path("items").asInt());
        assertEquals(0.0, per.path("count").path("blind").asDouble(), 0.0);
        assertEquals(2 / 3.0, per.path("count").path("captioner").asDouble(), 1e-15);
        assertEquals(0, per.path("empty").path("items").asInt());
        assertTrue(Double.isNaN(per.path("empty").path("blind").asDouble()));
        assertTrue(Double.isNaN(per.path("empty").path("captioner").asDouble()));

        String table = Report.categoryTable(per, List.of("blind", "captioner"), List.of("blind", "my captioner"));
        assertEquals("""
                | category | items | blind | my captioner |
                |---|---|---|---|
                | attribute | 4 | 0.25 | 0.75 |
                | count | 3 | 0.00 | 0.67 |
                | empty | 0 | NaN | NaN |
                """, table);
    }

    private static List<String> names(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private RunFolder run() throws IOException {
        Files.writeString(tmp.resolve("config.yaml"), ConfigLoader.toYaml(ConfigLoader.load(null)));
        return RunFolder.open(tmp);
    }

    private static List<Evaluator.ItemResult> items(int n) {
        List<Evaluator.ItemResult> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Evaluator.ItemResult("t" + i, "count", "caption " + i, "a" + i, "e" + i, i % 3 == 0));
        return out;
    }

    /** 8 items: oracle 5 right, captioner 2, blind 1 → gap 5/8 − 2/8 = 0.375; the first 3 captions are the examples. */
    @Test
    void evalReportGapIsOracleMinusCaptionerAndExamplesAreTheFirstCaptions() throws IOException {
        List<Evaluator.ItemResult> items = items(8);
        Evaluator.Result blind = result("blind", counts("attribute", 0, 3, "count", 1, 5), items);
        Evaluator.Result captioned = result("captioner_rl", counts("attribute", 1, 3, "count", 1, 5), items);
        Evaluator.Result oracle = result("oracle", counts("attribute", 3, 3, "count", 2, 5), items);
        ObjectNode r = EvalReport.build(run(), "tasks", new RunFolder.ModelRef("captioner_rl", tmp), "cpu", blind, captioned, oracle, 3);

        assertEquals(0.375, r.path("perception_gap").asDouble(), 1e-15);
        assertEquals(0.125, r.path("accuracy").path("blind").asDouble(), 0.0);
        assertEquals(0.25, r.path("accuracy").path("captioner").asDouble(), 0.0);
        assertEquals(0.625, r.path("accuracy").path("oracle").asDouble(), 0.0);
        assertEquals(8, r.path("test_items").asInt());
        assertEquals(1.0, r.path("per_category").path("attribute").path("oracle").asDouble(), 0.0);
        assertEquals(0.2, r.path("per_category").path("count").path("captioner").asDouble(), 1e-15);
        assertEquals(3, r.path("examples").size());
        for (int i = 0; i < 3; i++) {
            assertEquals("caption " + i, r.path("examples").get(i).path("caption").asText());
            assertEquals("a" + i, r.path("examples").get(i).path("answer").asText());
            assertEquals("e" + i, r.path("examples").get(i).path("expected").asText());
        }
        String md = EvalReport.markdown(r);
        assertTrue(md.contains("| reasoner | 0.125 | 0.250 | 0.625 | 0.375 |"), md);
        assertTrue(md.contains("| category | items | blind | captioner_rl | oracle |\n|---|---|---|---|---|\n| attribute | 3 | 0.00 | 0.33 | 1.00 |\n"), md);
        assertTrue(md.contains("Examples (caption → answer):\n\n- t0 (count), answer e0: \"caption 0\" → a0\n"), md);
    }

    /** The swap reasoner's row and the stage times, in report.json and report.md (values by hand). */
    @Test
    void reportHasTheSwapRowAndStageTimes() throws IOException {
        Evaluator.Result zero = result("x", counts("count", 0, 8), List.of());
        Report.Row main = new Report.Row(zero, zero, result("rl", counts("count", 4, 8), items(8)), result("o", counts("count", 8, 8), List.of()));
        Report.Row swap = new Report.Row(result("b", counts("count", 1, 8), List.of()), result("s", counts("count", 2, 8), List.of()),
                result("r", counts("count", 3, 8), List.of()), result("o", counts("count", 6, 8), List.of()));
        Map<String, Double> times = new LinkedHashMap<>();
        times.put("tasks", 0.4);
        times.put("reasoner_sft", 12.6);
        ObjectNode r = Report.build(ConfigLoader.load(null), main, swap, 8, times, 0);
        assertEquals(0.125, r.path("reasoner_swap").path("blind").asDouble(), 0.0);
        assertEquals(0.25, r.path("reasoner_swap").path("sft_captioner").asDouble(), 0.0);
        assertEquals(0.375, r.path("reasoner_swap").path("rl_captioner").asDouble(), 0.0);
        assertEquals(0.75, r.path("reasoner_swap").path("oracle").asDouble(), 0.0);
        assertEquals(12.6, r.path("stage_seconds").path("reasoner_sft").asDouble(), 0.0);
        String md = Report.markdown(r);
        assertTrue(md.contains("| reasoner | 0.000 | 0.000 | 0.500 | 1.000 |\n"
                + "| reasoner (swapped in, not trained with) | 0.125 | 0.250 | 0.375 | 0.750 |\n"), md);
        assertTrue(md.contains("Stage times (s): tasks 0, reasoner_sft 13\n"), md);
    }

    @Test
    void withoutGoldDescriptionsThereIsNoOracleAndNoGap() throws IOException {
        List<Evaluator.ItemResult> items = items(4);
        Evaluator.Result blind = result("blind", counts("count", 1, 4), items);
        Evaluator.Result captioned = result("captioner_sft", counts("count", 3, 4), items);
        ObjectNode r = EvalReport.build(run(), "jsonl:x", new RunFolder.ModelRef("captioner_sft", tmp), "cpu", blind, captioned, null, 10);

        assertTrue(r.path("perception_gap").isNull());
        assertTrue(r.path("accuracy").path("oracle").isNull());
        assertFalse(r.path("per_category").path("count").has("oracle"));
        assertEquals(0.75, r.path("per_category").path("count").path("captioner").asDouble(), 0.0);
        assertEquals(4, r.path("examples").size());
        String md = EvalReport.markdown(r);
        assertTrue(md.contains("| reasoner | 0.250 | 0.750 | — | — |"), md);
        assertTrue(md.contains("No oracle"), md);
    }

    /** With eval_samples 0 the report holds no examples, and its markdown no examples heading. */
    @Test
    void noExamplesNoExamplesHeading() throws IOException {
        List<Evaluator.ItemResult> items = items(4);
        Evaluator.Result blind = result("blind", counts("count", 1, 4), items);
        ObjectNode r = EvalReport.build(run(), "tasks", new RunFolder.ModelRef("captioner_sft", tmp), "cpu", blind, blind, blind, 0);
        assertEquals(0, r.path("examples").size());
        assertFalse(EvalReport.markdown(r).contains("Examples"), EvalReport.markdown(r));
    }
}

package org.racro4j.training.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.racro4j.training.study.StudyReport.ArmSeed;

/** Means and sample standard deviations below are worked out by hand (and checked with Python's statistics module). */
class StudyReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Long> SEEDS = List.of(11L, 12L, 13L);
    private static final double EPS = 1e-12;

    /**
     * Four arms in an order that is not alphabetical: sft writes no captions; outcome_grpo scores NaN at one seed;
     * prco has every perception value; racro a gap at every seed but no score at one. clock_hour is missing from
     * sft's held-out set at the second seed.
     */
    private static Map<String, List<ArmSeed>> arms() {
        Map<String, List<ArmSeed>> arms = new LinkedHashMap<>();
        arms.put("sft", List.of(
                new ArmSeed(0.61, Map.of("spatial", 1.0, "count_color", 0.5, "clock_hour", 0.3), null, null),
                new ArmSeed(0.47, Map.of("spatial", 0.0, "count_color", 0.25), null, null),
                new ArmSeed(0.535, Map.of("spatial", 0.75, "count_color", 0.8, "clock_hour", 0.9), null, null)));
        arms.put("outcome_grpo", List.of(
                new ArmSeed(0.5, Map.of("count_color", 0.5), 0.0, 0.2),
                new ArmSeed(0.5, Map.of("count_color", 0.5), 0.0, Double.NaN),
                new ArmSeed(0.5, Map.of("count_color", 0.5), 0.0, 0.2)));
        arms.put("prco", List.of(
                new ArmSeed(0.7, Map.of("count_color", 0.9, "spatial", 0.2), 0.1, 0.3),
                new ArmSeed(0.72, Map.of("count_color", 0.6, "spatial", 0.4), -0.05, 0.45),
                new ArmSeed(0.655, Map.of("count_color", 0.7, "spatial", 1.0 / 3), 0.02, 0.41)));
        arms.put("racro", List.of(
                new ArmSeed(0.64, Map.of("count_color", 0.4), 0.07, 0.5),
                new ArmSeed(0.58, Map.of("count_color", 0.4), 0.11, null),
                new ArmSeed(0.69, Map.of("count_color", 0.4), -0.02, 0.5)));
        return arms;
    }

    private static ObjectNode protocol() {
        ObjectNode protocol = JSON.createObjectNode();
        protocol.put("steps", 300);
        protocol.put("eval_items", 400);
        protocol.put("mix", "count_color=1,spatial=1");
        protocol.put("lr", 0.0005);
        return protocol;
    }

    private static ObjectNode study() {
        return StudyReport.build("prco", SEEDS, arms(), protocol());
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asDouble();
        return out;
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void buildSummarisesEachArmOverTheSeeds() {
        ObjectNode study = study();
        assertEquals(List.of("study", "seeds", "protocol", "arms"), names(study));
        assertEquals("prco", study.get("study").asText());
        assertEquals("[11,12,13]", study.get("seeds").toString());
        assertEquals(protocol(), study.get("protocol"));
        assertEquals(List.of("sft", "outcome_grpo", "prco", "racro"), names(study.get("arms")));

        JsonNode sft = study.get("arms").get("sft");
        assertEquals(List.of("accuracy", "accuracy_std", "accuracy_min", "accuracy_max", "per_seed", "per_category",
                "per_category_std"), names(sft));
        // (0.61 + 0.47 + 0.535) / 3; deviations 0.071667, -0.068333, -0.003333: sqrt(0.0098167 / 2)
        assertEquals(0.5383333333333333, sft.get("accuracy").asDouble(), EPS);
        assertEquals(0.07005949852327902, sft.get("accuracy_std").asDouble(), EPS);
        assertEquals(0.47, sft.get("accuracy_min").asDouble(), 0);
        assertEquals(0.61, sft.get("accuracy_max").asDouble(), 0);
        assertArrayEquals(new double[] {0.61, 0.47, 0.535}, doubles(sft.get("per_seed")), 0);

        assertEquals(List.of("clock_hour", "count_color", "spatial"), names(sft.get("per_category")));
        assertEquals(List.of("clock_hour", "count_color", "spatial"), names(sft.get("per_category_std")));
        // clock_hour at two seeds only: 0.3 and 0.9, std sqrt(0.18)
        assertEquals(0.6, sft.get("per_category").get("clock_hour").asDouble(), EPS);
        assertEquals(Math.sqrt(0.18), sft.get("per_category_std").get("clock_hour").asDouble(), EPS);
        assertEquals(0.5166666666666667, sft.get("per_category").get("count_color").asDouble(), EPS);
        assertEquals(0.2753785273643051, sft.get("per_category_std").get("count_color").asDouble(), EPS);
        assertEquals(0.5833333333333334, sft.get("per_category").get("spatial").asDouble(), EPS);
        assertEquals(0.5204164998665332, sft.get("per_category_std").get("spatial").asDouble(), EPS);

        JsonNode prco = study.get("arms").get("prco");
        assertEquals(0.6916666666666667, prco.get("accuracy").asDouble(), EPS);
        assertEquals(0.033291640592396934, prco.get("accuracy_std").asDouble(), EPS);
        assertEquals(0.3111111111111111, prco.get("per_category").get("spatial").asDouble(), EPS);
        assertEquals(0.10183501544346311, prco.get("per_category_std").get("spatial").asDouble(), EPS);
        assertEquals(0.023333333333333334, prco.get("perception_gap").asDouble(), EPS);
        assertArrayEquals(new double[] {0.1, -0.05, 0.02}, doubles(prco.get("perception_gap_per_seed")), 0);
        assertEquals(0.38666666666666666, prco.get("perception_score").asDouble(), EPS);
        assertArrayEquals(new double[] {0.3, 0.45, 0.41}, doubles(prco.get("perception_score_per_seed")), 0);

        // identical values at every seed: no spread
        JsonNode outcome = study.get("arms").get("outcome_grpo");
        assertEquals(0.5, outcome.get("accuracy").asDouble(), 0);
        assertEquals(0, outcome.get("accuracy_std").asDouble(), 0);
        assertEquals(0, outcome.get("per_category_std").get("count_color").asDouble(), 0);
    }

    @Test
    void perceptionKeysOnlyWhereEverySeedHasAValue() {
        JsonNode arms = study().get("arms");
        for (String key : List.of("perception_gap", "perception_gap_per_seed", "perception_score", "perception_score_per_seed")) {
            assertFalse(arms.get("sft").has(key), "sft " + key);
            assertTrue(arms.get("prco").has(key), "prco " + key);
        }
        assertTrue(arms.get("outcome_grpo").has("perception_gap"));
        assertFalse(arms.get("outcome_grpo").has("perception_score"), "NaN at one seed");
        assertFalse(arms.get("outcome_grpo").has("perception_score_per_seed"));
        assertEquals(0.05333333333333334, arms.get("racro").get("perception_gap").asDouble(), EPS);
        assertFalse(arms.get("racro").has("perception_score"), "null at one seed");
        assertFalse(arms.get("racro").has("perception_score_per_seed"));
    }

    @Test
    void oneSeedHasNoSpread() {
        ObjectNode study = StudyReport.build("one", List.of(5L),
                Map.of("sft", List.of(new ArmSeed(0.25, Map.of("a", 0.125), null, -0.5))), JSON.createObjectNode());
        JsonNode sft = study.get("arms").get("sft");
        assertEquals(0.25, sft.get("accuracy").asDouble(), 0);
        assertEquals(0, sft.get("accuracy_std").asDouble(), 0);
        assertEquals(0.25, sft.get("accuracy_min").asDouble(), 0);
        assertEquals(0.25, sft.get("accuracy_max").asDouble(), 0);
        assertEquals(0, sft.get("per_category_std").get("a").asDouble(), 0);
        assertEquals(-0.5, sft.get("perception_score").asDouble(), 0);
        assertTrue(StudyReport.markdown(study).contains("| sft | 0.250 ± 0.000 (0.250–0.250) | – | -0.500 ± 0.000 (-0.500–-0.500) |"),
                StudyReport.markdown(study));
    }

    @Test
    void buildRejectsMisalignedOrBrokenResults() {
        Map<String, List<ArmSeed>> arms = arms();
        arms.put("prco", arms.get("prco").subList(0, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StudyReport.build("prco", SEEDS, arms, protocol()));
        assertTrue(e.getMessage().contains("prco") && e.getMessage().contains("2 results for 3 seeds"), e.getMessage());

        Map<String, List<ArmSeed>> nan = Map.of("sft", List.of(new ArmSeed(Double.NaN, Map.of(), null, null)));
        e = assertThrows(IllegalArgumentException.class, () -> StudyReport.build("s", List.of(4L), nan, protocol()));
        assertTrue(e.getMessage().contains("sft") && e.getMessage().contains("seed 4"), e.getMessage());

        assertThrows(IllegalArgumentException.class, () -> StudyReport.build("s", List.of(), Map.of(), protocol()));
    }

    @Test
    void theProtocolIsCopied() {
        ObjectNode protocol = protocol();
        ObjectNode study = StudyReport.build("prco", SEEDS, arms(), protocol);
        protocol.put("steps", 1);
        assertEquals(300, study.get("protocol").get("steps").asInt());
    }

    @Test
    void markdownHasTheProtocolAndBothTables() {
        String md = StudyReport.markdown(study());
        assertTrue(md.startsWith("# Study prco\n"), md);
        assertTrue(md.contains("Protocol: steps: 300, eval_items: 400, mix: count_color=1,spatial=1, lr: 5.0E-4\n"), md);
        assertTrue(md.contains("Seeds: 11, 12, 13."), md);
        assertTrue(md.contains("| arm | accuracy | perception gap | perception score |\n|---|---|---|---|\n"
                + "| sft | 0.538 ± 0.070 (0.470–0.610) | – | – |\n"
                + "| outcome_grpo | 0.500 ± 0.000 (0.500–0.500) | 0.000 ± 0.000 (0.000–0.000) | – |\n"
                + "| prco | 0.692 ± 0.033 (0.655–0.720) | 0.023 ± 0.075 (-0.050–0.100) | 0.387 ± 0.078 (0.300–0.450) |\n"
                + "| racro | 0.637 ± 0.055 (0.580–0.690) | 0.053 ± 0.067 (-0.020–0.110) | – |\n"), md);
        assertTrue(md.contains("| category | sft | outcome_grpo | prco | racro |\n|---|---|---|---|---|\n"
                + "| clock_hour | 0.600 ± 0.424 | – | – | – |\n"
                + "| count_color | 0.517 ± 0.275 | 0.500 ± 0.000 | 0.733 ± 0.153 | 0.400 ± 0.000 |\n"
                + "| spatial | 0.583 ± 0.520 | – | 0.311 ± 0.102 | – |\n"), md);
    }

    @Test
    void writeCreatesJsonMarkdownAndChart(@TempDir Path tmp) throws Exception {
        ObjectNode study = study();
        Path dir = tmp.resolve("studies/prco");
        StudyReport.write(dir, study);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("study.json", "study.md", "study_per_category.png"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary file is left");
        }

        JsonNode back = JSON.readTree(Files.readString(dir.resolve("study.json")));
        assertTrue(study.equals(SAME_NUMBER, back), back.toPrettyString());
        assertTrue(Files.readString(dir.resolve("study.json")).contains("\n  \"seeds\""), "pretty-printed");
        assertEquals(StudyReport.markdown(study), Files.readString(dir.resolve("study.md")));

        byte[] png = Files.readAllBytes(dir.resolve("study_per_category.png"));
        byte[] signature = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        assertArrayEquals(signature, Arrays.copyOf(png, 8));
        BufferedImage image = ImageIO.read(dir.resolve("study_per_category.png").toFile());
        assertEquals(1200, image.getWidth());
        assertEquals(500, image.getHeight());
    }

    @Test
    void aChartNeedsACategory(@TempDir Path tmp) {
        ObjectNode study = StudyReport.build("empty", List.of(1L), Map.of("sft", List.of(new ArmSeed(0.5, Map.of(), null, null))),
                JSON.createObjectNode());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StudyReport.writeChart(study, tmp.resolve("c.png")));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("c.png")));
    }

    /** Numbers equal by value: the file's 300 reads back as an int, the built seed 11 is a long. */
    private static final Comparator<JsonNode> SAME_NUMBER = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            if (a.isIntegralNumber() && b.isIntegralNumber()) return a.bigIntegerValue().compareTo(b.bigIntegerValue());
            return Double.compare(a.doubleValue(), b.doubleValue());
        }
        return a.equals(b) ? 0 : 1;
    };
}

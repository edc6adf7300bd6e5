package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.training.run.JsonFiles;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.tasks.TaskCategory;

/**
 * `racro4j study rewards` at toy size with three designs (two side by side, one alone): its files, every number of
 * study.json recomputed from the seeds' evaluation files item by item, every design trained with the same budget from
 * the seed's one warm start, and a study killed in the middle of a design's RL and resumed ends exactly as an
 * uninterrupted one. The designs' reward formulas are RewardDesignsTest's.
 */
class RewardStudyTest {
    private static final String DESIGNS = "evidence_utility,only_accuracy,caption_utility";

    @TempDir
    Path tmp;

    @TempDir
    static Path shared;
    private static ObjectNode whole;

    @AfterEach
    void resetHook() {
        StageRunner.resetTestHook();
    }

    private RunConfig config() throws IOException {
        Path f = tmp.resolve("tiny.yaml");
        Files.writeString(f, PipelineTest.TINY_WITHOUT_SWAP.replace("test_items: 24", "test_items: 60"));
        return RewardStudy.config(f, null);
    }

    private static ObjectNode run(RunConfig cfg, Path out, String designs, boolean resume) throws IOException {
        return RewardStudy.run(out, cfg, designs, 2, resume, null, new PrintWriter(new StringWriter()));
    }

    private ObjectNode uninterrupted() throws IOException {
        if (whole == null) whole = run(config(), shared.resolve("whole"), DESIGNS, false);
        return whole;
    }

    @Test
    void everyNumberOfTheStudyIsTheSeedsOwnEvaluations() throws IOException {
        ObjectNode study = uninterrupted();
        Path dir = shared.resolve("whole");
        for (String f : List.of("study.json", "study.md", "study_heatmap.png", "config.yaml", "designs.json")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        // the study's order, not the order asked in
        assertEquals(List.of("only_accuracy", "caption_utility", "evidence_utility"), names(study.get("designs")));
        Map<String, String> evalFile = Map.of("only_accuracy", "only_accuracy_answer", "caption_utility", "caption_utility_caption_reader",
                "evidence_utility", "evidence_utility_describe");
        Map<String, String> warmFile = Map.of("only_accuracy", "warm_start_answer", "caption_utility", "warm_start_caption_reader",
                "evidence_utility", "warm_start_describe");
        for (int s = 1; s <= 2; s++) {
            Path eval = dir.resolve("seed-" + s).resolve("eval");
            JsonNode seedPerception = study.get("perception").get("per_seed").get(s - 1);
            assertEquals(accuracy(eval.resolve("warm_start_answer.json")), seedPerception.get("image").asDouble(), 1e-12);
            assertEquals(accuracy(eval.resolve("warm_start_reader_gold.json")), seedPerception.get("description").asDouble(), 1e-12);
            for (String design : evalFile.keySet()) {
                Map<String, Double> after = perFamily(eval.resolve(evalFile.get(design) + ".json"));
                Map<String, Double> before = perFamily(eval.resolve(warmFile.get(design) + ".json"));
                JsonNode perSeed = study.get("designs").get(design).get("per_seed").get(s - 1);
                double in = 0;
                int nIn = 0;
                for (String f : after.keySet()) {
                    double change = after.get(f) - before.get(f);
                    assertEquals(change, perSeed.get("per_family").get(f).asDouble(), 1e-12, design + " seed " + s + " " + f);
                    if (RewardStudy.IN_DOMAIN.contains(f)) {
                        in += change;
                        nIn++;
                    }
                }
                assertEquals(in / nIn, perSeed.get("in_domain").asDouble(), 1e-12, design + " in-domain, seed " + s);
            }
        }
        // the Reader read the gold description of the whole puzzle, the image arm saw no description
        JsonNode gold = JsonFiles.read(dir.resolve("seed-1/eval/warm_start_reader_gold.json")).get("items").get(0);
        assertTrue(gold.get("description").asText().endsWith(" ."), gold.toString());
    }

    @Test
    void everyDesignTrainsFromTheSeedsWarmStartWithTheSameBudget() throws IOException {
        uninterrupted();
        Path seed = shared.resolve("whole").resolve("seed-1");
        List<JsonNode> log = MetricsLog.read(seed.resolve("metrics.jsonl"));
        Map<String, Tensor> sft = Safetensors.read(seed.resolve("models/policy_sft/model.safetensors"));
        for (String design : List.of("only_accuracy", "caption_utility", "evidence_utility")) {
            assertEquals(5, log.stream().filter(r -> r.get("stage").asText().equals("rl_" + design)).count(), design);
            Map<String, Tensor> after = Safetensors.read(seed.resolve("models/policy_" + design + "/model.safetensors"));
            assertTrue(sft.keySet().stream().anyMatch(k -> !java.util.Arrays.equals(sft.get(k).toFloatArray(), after.get(k).toFloatArray())),
                    design + " changed the warm start");
        }
    }

    @Test
    void aKilledAndResumedStudyEndsExactlyAsAnUninterruptedOne() throws IOException {
        RunConfig cfg = config();
        ObjectNode a = uninterrupted();
        Path killed = tmp.resolve("killed");
        StageRunner.stopStage = "rl_caption_utility";   // seed 1; only_accuracy trains alongside and stops too
        StageRunner.stopStep = 3;
        assertThrows(StageRunner.Interrupted.class, () -> run(cfg, killed, DESIGNS, false));
        StageRunner.resetTestHook();
        assertFalse(Files.exists(killed.resolve("study.json")));
        IllegalArgumentException otherDesigns = assertThrows(IllegalArgumentException.class, () -> run(null, killed, "vanilla", true));
        assertTrue(otherDesigns.getMessage().contains("drop --designs"), otherDesigns.getMessage());
        ObjectNode b = run(null, killed, null, true);
        assertEquals(a.get("designs"), b.get("designs"));
        assertEquals(a.get("perception"), b.get("perception"));
        for (String model : List.of("policy_sft", "policy_only_accuracy", "policy_caption_utility", "policy_evidence_utility")) {
            for (int s = 1; s <= 2; s++) {
                Map<String, Tensor> x = Safetensors.read(shared.resolve("whole/seed-" + s + "/models/" + model + "/model.safetensors"));
                Map<String, Tensor> y = Safetensors.read(killed.resolve("seed-" + s + "/models/" + model + "/model.safetensors"));
                for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, model + " " + k);
            }
        }
    }

    @Test
    void anUnknownDesignIsOneLineNamingTheDesigns() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RewardStudy.designs("mixture,guessing"));
        assertEquals("--designs: no design named 'guessing'; the designs are only_accuracy, vanilla, mixture, caption_utility, "
                + "perception_verified, evidence_utility", e.getMessage());
    }

    /** Held-out accuracy per family, counted from an evaluation file's items. */
    private static Map<String, Double> perFamily(Path evalJson) throws IOException {
        Map<String, int[]> n = new HashMap<>();
        for (JsonNode item : JsonFiles.read(evalJson).get("items")) {
            int[] c = n.computeIfAbsent(TaskCategory.fromId(item.get("category").asText()).family().id(), k -> new int[2]);
            if (item.get("correct").asBoolean()) c[0]++;
            c[1]++;
        }
        Map<String, Double> out = new HashMap<>();
        n.forEach((f, c) -> out.put(f, c[0] / (double) c[1]));
        return out;
    }

    private static double accuracy(Path evalJson) throws IOException {
        JsonNode items = JsonFiles.read(evalJson).get("items");
        int correct = 0;
        for (JsonNode i : items) if (i.get("correct").asBoolean()) correct++;
        return correct / (double) items.size();
    }

    private static List<String> names(JsonNode n) {
        List<String> out = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}

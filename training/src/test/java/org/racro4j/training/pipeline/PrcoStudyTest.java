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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.training.eval.Evaluator;
import org.racro4j.training.run.JsonFiles;
import org.racro4j.training.run.MetricsLog;

/**
 * `racro4j study prco` at toy size: the study's files and their agreement with each seed's evaluations; every RL arm
 * starting from the seed's one warm start with the same budget; a study killed in the middle of an RL arm and resumed
 * ends exactly as an uninterrupted one.
 */
class PrcoStudyTest {
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
        Files.writeString(f, PipelineTest.TINY_WITHOUT_SWAP);
        return PrcoStudy.config(f, null);
    }

    private static ObjectNode run(RunConfig cfg, Path out, boolean resume) throws IOException {
        return PrcoStudy.run(out, cfg, 2, resume, null, new PrintWriter(new StringWriter()));
    }

    private ObjectNode uninterrupted() throws IOException {
        if (whole == null) whole = run(config(), shared.resolve("whole"), false);
        return whole;
    }

    @Test
    void theStudyWritesEveryArmAtEverySeedFromItsOwnEvaluations() throws IOException {
        ObjectNode study = uninterrupted();
        Path dir = shared.resolve("whole");
        for (String f : List.of("study.json", "study.md", "study_per_category.png", "config.yaml")) assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        assertEquals(study.get("arms"), JsonFiles.read(dir.resolve("study.json")).get("arms"));
        assertEquals(List.of("sft", "outcome_grpo", "prco", "racro"), fieldNames(study.get("arms")));
        assertEquals("[1,2]", study.get("seeds").toString());
        // each arm's per-seed accuracy is that seed's evaluation file, read back independently
        Map<String, String> evalFile = Map.of("sft", "sft_direct", "outcome_grpo", "outcome_grpo_direct", "prco", "prco_solver", "racro", "racro_reasoner");
        for (String arm : evalFile.keySet()) {
            JsonNode a = study.get("arms").get(arm);
            double sum = 0;
            for (int s = 1; s <= 2; s++) {
                double acc = accuracyOf(dir.resolve("seed-" + s).resolve("eval").resolve(evalFile.get(arm) + ".json"));
                assertEquals(acc, a.get("per_seed").get(s - 1).asDouble(), 1e-12, arm + " seed " + s);
                sum += acc;
            }
            assertEquals(sum / 2, a.get("accuracy").asDouble(), 1e-12, arm);
            boolean captions = arm.equals("prco") || arm.equals("racro");
            assertEquals(captions, a.has("perception_gap"), arm + " perception gap");
        }
        // the perception gap is the reasoner's gold-evidence accuracy minus its accuracy on the arm's captions
        for (int s = 1; s <= 2; s++) {
            Path eval = dir.resolve("seed-" + s).resolve("eval");
            double gap = accuracyOf(eval.resolve("reasoner_gold.json")) - accuracyOf(eval.resolve("racro_reasoner.json"));
            assertEquals(gap, study.get("arms").get("racro").get("perception_gap_per_seed").get(s - 1).asDouble(), 1e-12);
        }
    }

    @Test
    void everyRlArmStartsFromTheSeedsWarmStartWithTheSameBudget() throws IOException {
        uninterrupted();
        Path seed = shared.resolve("whole").resolve("seed-1");
        List<JsonNode> log = MetricsLog.read(seed.resolve("metrics.jsonl"));
        for (String arm : List.of("prco", "racro", "outcome_grpo")) {
            long steps = log.stream().filter(r -> r.get("stage").asText().equals("rl_" + arm)).count();
            assertEquals(5, steps, arm + ": every step of the shared budget is logged once");
        }
        // the arms moved away from the one warm start, each its own way
        Map<String, Tensor> sft = Safetensors.read(seed.resolve("models/policy_sft/model.safetensors"));
        for (String arm : List.of("prco", "racro", "outcome_grpo")) {
            Map<String, Tensor> after = Safetensors.read(seed.resolve("models/policy_" + arm + "/model.safetensors"));
            assertEquals(sft.keySet(), after.keySet());
            assertTrue(sft.keySet().stream().anyMatch(k -> !java.util.Arrays.equals(sft.get(k).toFloatArray(), after.get(k).toFloatArray())),
                    arm + " changed the warm start");
        }
    }

    @Test
    void aKilledAndResumedStudyEndsExactlyAsAnUninterruptedOne() throws IOException {
        RunConfig cfg = config();
        ObjectNode a = uninterrupted();
        Path killed = tmp.resolve("killed");
        StageRunner.stopStage = "rl_prco";   // of seed 1; RACRO's arm trains alongside and stops too
        StageRunner.stopStep = 2;
        assertThrows(StageRunner.Interrupted.class, () -> run(cfg, killed, false));
        StageRunner.resetTestHook();
        assertFalse(Files.exists(killed.resolve("study.json")));
        IOException notResume = assertThrows(IOException.class, () -> run(cfg, killed, false));
        assertTrue(notResume.getMessage().contains("--resume"), notResume.getMessage());
        ObjectNode b = run(null, killed, true);

        assertEquals(a.get("arms"), b.get("arms"));
        assertEquals(a.get("references"), b.get("references"));
        for (String model : List.of("reasoner", "policy_sft", "policy_prco", "policy_racro", "policy_outcome_grpo")) {
            for (int s = 1; s <= 2; s++) {
                Map<String, Tensor> x = Safetensors.read(shared.resolve("whole/seed-" + s + "/models/" + model + "/model.safetensors"));
                Map<String, Tensor> y = Safetensors.read(killed.resolve("seed-" + s + "/models/" + model + "/model.safetensors"));
                for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, model + " " + k);
            }
        }
    }

    private static double accuracyOf(Path evalJson) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().treeToValue(JsonFiles.read(evalJson), Evaluator.Result.class).accuracy();
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}

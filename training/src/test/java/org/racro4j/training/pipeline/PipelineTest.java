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
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.training.run.MetricsLog;

/** Whole runs at toy size: resume after a kill reproduces the uninterrupted run exactly; PRCO runs end to end. */
class PipelineTest {
    @TempDir
    Path tmp;

    /** Runs several tests compare with, made once: the uninterrupted toy run, and one killed after RL step 3. */
    @TempDir
    static Path shared;
    private static ObjectNode wholeReport;
    private static Path killedAfterRl3;

    static final String TINY = """
            tasks: {train_items: 120, test_items: 24}
            reasoner:
              model: {hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
              sft: {steps: 6, batch: 8, warmup: 1}
            swap_reasoner:
              model: {architecture: qwen2, hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
              sft: {steps: 4, batch: 8, warmup: 1}
            captioner:
              vision: {hidden: 16, layers: 1, heads: 2}
              vision_warm_start: {steps: 3, batch: 4}
              model: {hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
              sft: {steps: 6, batch: 4, warmup: 1}
              max_caption_tokens: 12
            rl: {steps: 5, warmup_steps: 1, prompts_per_step: 3, minibatch: 4, answer_samples: 2, answer_temperature: 1.0}
            logging: {checkpoint_every: 2, eval_samples: 2}
            """;
    /** TINY with the swap reasoner switched off (in place: a second swap_reasoner key would be a duplicate, an error). */
    static final String TINY_WITHOUT_SWAP = TINY.replaceAll("swap_reasoner:\n(  .*\n)+", "swap_reasoner: null\n");

    @AfterEach
    void resetHook() {
        StageRunner.resetTestHook();
    }

    private RunConfig config(String extra) throws IOException {
        Path f = tmp.resolve("c" + extra.hashCode() + ".yaml");
        Files.writeString(f, TINY + extra);
        return ConfigLoader.load(f);
    }

    /** The toy run without interruption (in {@code shared}/whole). */
    private ObjectNode uninterrupted() throws IOException {
        if (wholeReport == null) wholeReport = run(config(""), shared.resolve("whole"), false);
        return wholeReport;
    }

    /** A copy, at {@code to}, of the toy run killed after RL step 3 (its RL checkpoints are after steps 1 and 3). */
    private void killedAfterRlStep3(Path to) throws IOException {
        if (killedAfterRl3 == null) {
            Path killed = shared.resolve("killed-rl-3");
            StageRunner.stopStage = "rl";
            StageRunner.stopStep = 3;
            try {
                assertThrows(StageRunner.Interrupted.class, () -> run(config(""), killed, false));
            } finally {
                StageRunner.resetTestHook();
            }
            killedAfterRl3 = killed;
        }
        try (var walk = Files.walk(killedAfterRl3)) {
            for (Path p : walk.toList()) Files.copy(p, to.resolve(killedAfterRl3.relativize(p).toString()));
        }
    }

    private static ObjectNode run(RunConfig cfg, Path out, boolean resume) throws IOException {
        return Pipeline.run(cfg, out, resume, new PrintWriter(new StringWriter()));
    }

    /**
     * Kills a run after a given step of one stage (the stage running alongside stops at its next step, wherever that
     * is), resumes it, and checks that it ends exactly as an uninterrupted run.
     */
    @ParameterizedTest(name = "killed after {0} step {1}")
    @CsvSource({
            "rl, 2",             // the last RL checkpoint is after step 1; the swap reasoner trains alongside
            "reasoner_sft, 2",   // the captioner's warm start runs alongside
            "captioner_sft, 3"})
    void aKilledAndResumedRunEndsExactlyAsAnUninterruptedRun(String stage, long step) throws IOException {
        RunConfig cfg = config("");
        Path whole = shared.resolve("whole");
        ObjectNode a = uninterrupted();

        Path killed = tmp.resolve("killed");
        StageRunner.stopStage = stage;
        StageRunner.stopStep = step;
        assertThrows(StageRunner.Interrupted.class, () -> run(cfg, killed, false));
        StageRunner.resetTestHook();
        assertFalse(Files.exists(killed.resolve("report.json")));
        IOException notResume = assertThrows(IOException.class, () -> run(cfg, killed, false));
        assertTrue(notResume.getMessage().contains("--resume"), notResume.getMessage());
        ObjectNode b = run(cfg, killed, true);

        assertEquals(a.get("accuracy"), b.get("accuracy"));
        assertEquals(a.get("examples"), b.get("examples"));
        for (String model : List.of("reasoner", "swap_reasoner", "captioner_vision", "captioner_sft", "captioner_rl")) {
            Map<String, Tensor> x = Safetensors.read(whole.resolve("models").resolve(model).resolve("model.safetensors"));
            Map<String, Tensor> y = Safetensors.read(killed.resolve("models").resolve(model).resolve("model.safetensors"));
            assertEquals(x.keySet(), y.keySet());
            for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, model + " " + k);
        }
        // every step logged exactly once, with the same values except wall-clock ones (stages that ran side by side
        // interleave their lines in whatever order they finished steps, so records are compared by stage and step)
        Map<String, JsonNode> ma = byStageAndStep(MetricsLog.read(whole.resolve("metrics.jsonl")));
        Map<String, JsonNode> mb = byStageAndStep(MetricsLog.read(killed.resolve("metrics.jsonl")));
        assertEquals(ma.keySet(), mb.keySet());
        for (String key : ma.keySet()) {
            for (String f : List.of("loss", "reward", "accuracy", "kl")) {
                if (ma.get(key).has(f)) assertEquals(ma.get(key).get(f).asDouble(), mb.get(key).get(f).asDouble(), 0.0, key + " " + f);
            }
        }
        try (var dirs = Files.list(killed.resolve("checkpoints"))) {
            List<String> names = dirs.map(d -> d.getFileName().toString()).sorted().toList();
            assertEquals(List.of("captioner_sft-000003", "captioner_sft-000005", "reasoner_sft-000003", "reasoner_sft-000005", "rl-000003",
                    "rl-000004", "swap_reasoner_sft-000001", "swap_reasoner_sft-000003", "vision_warm_start-000001", "vision_warm_start-000002"),
                    names, "the last two whole checkpoints of each stage");
        }
        assertTrue(Files.isRegularFile(killed.resolve("report.md")));
        assertTrue(Files.list(killed.resolve("plots")).anyMatch(p -> p.toString().endsWith("rl_reward.png")));
    }

    /**
     * A damaged newest checkpoint (a truncated file: a disk that filled up, a machine that lost power) is skipped with
     * a warning naming it, and the stage resumes from the checkpoint before it: the run still ends exactly as the
     * uninterrupted one. RL is killed after step 3, so its checkpoints are those after steps 1 and 3.
     */
    @ParameterizedTest(name = "{0} of the newest checkpoint truncated")
    @CsvSource({"model.safetensors", "optimizer.safetensors", "state.json"})
    void aResumeFallsBackToTheCheckpointBeforeADamagedNewestOne(String file) throws IOException {
        RunConfig cfg = config("");
        Path whole = shared.resolve("whole");
        ObjectNode a = uninterrupted();

        Path killed = tmp.resolve("killed");
        killedAfterRlStep3(killed);
        Path damaged = killed.resolve("checkpoints/rl-000003").resolve(file);
        truncateToHalf(damaged);

        StringWriter console = new StringWriter();
        ObjectNode b = Pipeline.run(cfg, killed, true, new PrintWriter(console));
        String warning = console.toString().lines().filter(l -> l.startsWith("warning:")).findFirst().orElse("no warning in:\n" + console);
        assertTrue(warning.contains(damaged.toString()) && warning.contains("resuming rl from its step-1 checkpoint"), warning);
        assertEquals(a.get("accuracy"), b.get("accuracy"));
        Map<String, Tensor> x = Safetensors.read(whole.resolve("models/captioner_rl/model.safetensors"));
        Map<String, Tensor> y = Safetensors.read(killed.resolve("models/captioner_rl/model.safetensors"));
        for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, k);
        Map<String, JsonNode> ma = byStageAndStep(MetricsLog.read(whole.resolve("metrics.jsonl")));
        Map<String, JsonNode> mb = byStageAndStep(MetricsLog.read(killed.resolve("metrics.jsonl")));
        assertEquals(ma.keySet(), mb.keySet());
        for (String key : ma.keySet()) {
            if (ma.get(key).has("reward")) assertEquals(ma.get(key).get("reward").asDouble(), mb.get(key).get("reward").asDouble(), 0.0, key);
        }
    }

    /**
     * When no checkpoint of a stage can be read the resume fails with one line naming the damaged file, and leaves
     * metrics.jsonl as it was (the lines after the checkpoint are dropped only once a checkpoint has loaded).
     */
    @Test
    void aResumeWithNoReadableCheckpointFailsAndKeepsTheMetrics() throws IOException {
        Path f = tmp.resolve("without-swap.yaml");
        Files.writeString(f, TINY_WITHOUT_SWAP);
        RunConfig cfg = ConfigLoader.load(f);
        Path killed = tmp.resolve("killed");
        StageRunner.stopStage = "rl";
        StageRunner.stopStep = 2;   // RL's one checkpoint is after step 1; step 2 is logged after it
        assertThrows(StageRunner.Interrupted.class, () -> run(cfg, killed, false));
        StageRunner.resetTestHook();
        Path damaged = killed.resolve("checkpoints/rl-000001/model.safetensors");
        truncateToHalf(damaged);
        byte[] before = Files.readAllBytes(killed.resolve("metrics.jsonl"));

        IOException e = assertThrows(IOException.class, () -> run(cfg, killed, true));
        assertTrue(e.getMessage().contains(damaged.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(killed.resolve("metrics.jsonl")), "metrics.jsonl is unchanged");
    }

    private static void truncateToHalf(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    }

    /** Records by "stage:step"; fails if a step was logged twice. */
    private static Map<String, JsonNode> byStageAndStep(List<JsonNode> records) {
        Map<String, JsonNode> m = new TreeMap<>();
        List<String> keys = keys(records);
        for (int i = 0; i < records.size(); i++) {
            assertTrue(m.put(keys.get(i), records.get(i)) == null, "logged twice: " + keys.get(i));
        }
        return m;
    }

    private static List<String> keys(List<JsonNode> records) {
        List<String> k = new ArrayList<>();
        for (JsonNode r : records) k.add(r.get("stage").asText() + ":" + r.get("step").asLong());
        return k;
    }

    /**
     * PRCO end to end on bar charts (whose values even a toy Solver sometimes writes, so accuracy is not 0), with
     * reward weights chosen so that each logged metric can be checked against the others by hand, with P = 3 tasks
     * per step, G = 8 captions per task and k = 2 Solver answers per caption:
     * <ul>
     * <li>accuracy is a mean of per-caption fractions of k answers, so accuracy · P·G·k is a whole number;</li>
     * <li>the Observer's reward is 1.7 · utility (= accuracy) − 0.3 · (fraction of leaking captions), so
     * (1.7 · accuracy − reward) / 0.3 · P·G is a whole number of captions;</li>
     * <li>the Solver's reward is accuracy (the same answers scored one by one) + 0.2 · (fraction well formed), so
     * (solver_reward − accuracy) / 0.2 · P·G·k is a whole number of answers;</li>
     * <li>every task group is kept or dropped for zero variance; the update takes one optimizer step per minibatch of
     * 4 over the kept rollouts (groups_kept · G captions + solver_groups_kept · k answers);</li>
     * <li>the saved RL captioner differs from the SFT one in both the vision tower and the language model.</li>
     * </ul>
     */
    @Test
    void prcoTrainsOneSharedPolicyAsObserverAndSolver() throws IOException {
        int p = 3, g = 8, k = 2, minibatch = 4;
        Path f = tmp.resolve("prco.yaml");
        Files.writeString(f, TINY_WITHOUT_SWAP.replace("test_items: 24}", "test_items: 24, mix: \"chart_value=1\"}")
                .replaceAll("rl: \\{.*\\}", "rl: {algorithm: prco, steps: 3, warmup_steps: 1, prompts_per_step: " + p + ", group_size: " + g
                        + ", minibatch: " + minibatch + ", answer_samples: " + k + ", answer_temperature: 1.0, "
                        + "rewards: {caption_utility: 1.7, leakage: 0.3}, solver_rewards: {accuracy: 1.0, format: 0.2}}"));
        Path out = tmp.resolve("prco");
        ObjectNode report = run(ConfigLoader.load(f), out, false);
        assertEquals("prco", report.get("algorithm").asText());
        assertFalse(report.has("reasoner_swap"));
        List<JsonNode> rl = new ArrayList<>();
        for (JsonNode r : MetricsLog.read(out.resolve("metrics.jsonl"))) if (r.get("stage").asText().equals("rl")) rl.add(r);
        assertEquals(3, rl.size());
        double accuracySum = 0;
        for (JsonNode r : rl) {
            double acc = r.get("accuracy").asDouble();
            accuracySum += acc;
            assertWhole(acc * p * g * k, "correct answers", r);
            double leaking = assertWhole((1.7 * acc - r.get("reward").asDouble()) / 0.3 * p * g, "leaking captions", r);
            assertTrue(leaking >= 0 && leaking <= p * g, r.toString());
            double wellFormed = assertWhole((r.get("solver_reward").asDouble() - acc) / 0.2 * p * g * k, "well-formed answers", r);
            assertTrue(wellFormed >= 0 && wellFormed <= p * g * k, r.toString());

            int kept = r.get("groups_kept").asInt();
            int solverKept = r.get("solver_groups_kept").asInt();
            assertEquals(0, r.get("groups_nan").asInt(), r.toString());
            assertEquals(p, kept + r.get("groups_zero_variance").asInt(), r.toString());
            assertTrue(solverKept >= 0 && solverKept <= p * g, r.toString());
            int rollouts = kept * g + solverKept * k;
            int steps = (rollouts + minibatch - 1) / minibatch;
            assertEquals(steps, r.path("optimizer_steps").asInt(0), "one optimizer step per minibatch of kept rollouts: " + r);
        }
        assertTrue(accuracySum > 0, "the checks above need some correct answers");

        // the warm start taught every role (PolicySft), and the report gives the policy's own Observer → Solver accuracy
        assertTrue(MetricsLog.read(out.resolve("metrics.jsonl")).stream().anyMatch(r -> r.get("stage").asText().equals("policy_sft")),
                "the policy's warm start ran");
        JsonNode answers = report.get("policy_answers");
        for (String when : List.of("sft", "rl")) {
            JsonNode eval = org.racro4j.training.run.JsonFiles.read(out.resolve("eval/policy_captioner_" + when + ".json"));
            assertEquals(eval.get("accuracy").asDouble(), answers.get(when).asDouble(), 0, when);
            // the Solver answered from the same captions the reasoner read
            JsonNode read = org.racro4j.training.run.JsonFiles.read(out.resolve("eval/" + when + "_captioner.json"));
            for (int i = 0; i < 24; i++) {
                assertEquals(read.get("items").get(i).get("description"), eval.get("items").get(i).get("description"), when + " item " + i);
            }
        }
        assertTrue(Files.readString(out.resolve("report.md")).contains("The policy's own answers"), "report.md shows them");

        Map<String, Tensor> sft = Safetensors.read(out.resolve("models/captioner_sft/model.safetensors"));
        Map<String, Tensor> trained = Safetensors.read(out.resolve("models/captioner_rl/model.safetensors"));
        assertEquals(sft.keySet(), trained.keySet());
        int visionChanged = 0, languageChanged = 0;
        for (String name : sft.keySet()) {
            if (java.util.Arrays.equals(sft.get(name).toFloatArray(), trained.get(name).toFloatArray())) continue;
            if (name.startsWith("vision_tower.")) visionChanged++;
            if (name.startsWith("language_model.")) languageChanged++;
        }
        assertTrue(visionChanged > 0 && languageChanged > 0, "changed tensors: vision " + visionChanged + ", language " + languageChanged);
    }

    /** x, which must be a whole number (up to rounding); returns it. */
    private static double assertWhole(double x, String what, JsonNode record) {
        assertEquals(Math.rint(x), x, 1e-6, what + " is not a whole number: " + record);
        return x;
    }
}

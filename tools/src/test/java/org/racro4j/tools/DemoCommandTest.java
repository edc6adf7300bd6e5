package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.training.tasks.TaskItem;

/**
 * `racro4j demo`. The demo takes no config: it runs the built-in defaults (about 12 minutes), and with --resume it
 * continues the run in --out with that run's own config.yaml. So the whole demo is run here on a tiny config by
 * resuming a folder that holds only a config.yaml, as a demo killed before its first checkpoint leaves it. Which config
 * a new demo starts from (the defaults) is checked in RunFolderCommandsTest, on a demo running in another process.
 */
class DemoCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /**
     * Every stage runs a few steps; sizes are awkward (33 test items, 3 RL steps of 3 questions). With seed 3 the four
     * accuracies of the main reasoner all differ, so a column printed or reported in another's place shows.
     */
    static final String TINY = """
            seed: 3
            tasks: {train_items: 150, test_items: 33, mix: "count_color=1,attribute=1"}
            reasoner:
              model: {hidden: 32, layers: 1, heads: 2, kv_heads: 1, intermediate: 64}
              sft: {steps: 120, batch: 16, lr: 0.01, warmup: 5}
            swap_reasoner:
              model: {architecture: llama, hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
              sft: {steps: 60, batch: 16, lr: 0.01, warmup: 5}
            captioner:
              vision: {hidden: 16, layers: 1, heads: 2}
              vision_warm_start: {steps: 3, batch: 4}
              model: {hidden: 32, layers: 1, heads: 2, kv_heads: 1, intermediate: 64}
              sft: {steps: 30, batch: 8, lr: 0.01, warmup: 2}
              max_caption_tokens: 10
            rl: {steps: 3, warmup_steps: 1, prompts_per_step: 3, group_size: 4, minibatch: 12, lr: 0.01, std_normalize: true}
            logging: {checkpoint_every: 100, eval_samples: 3}
            """;

    /**
     * demo --resume on a folder holding only a tiny config.yaml runs every stage: each stage logs exactly the steps the
     * config asks for, each model is saved, and the results table it prints and report.json hold the accuracies the
     * test recounts from the run's per-item answers (the gap, the gain and the goal computed here from them).
     */
    @Test
    void aDemoResumedFromATinyConfigRunsEveryStageAndReportsWhatItsAnswersGive() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("tiny-demo"));
        Files.writeString(out.resolve("config.yaml"), TINY);
        CommandLineTest.Run r = CommandLineTest.run("demo", "--out", out.toString(), "--resume");
        assertEquals(0, r.exit(), r.out() + r.err());

        List<String> stages = new ArrayList<>();
        JSON.readTree(out.resolve("stages.json").toFile()).forEach(s -> stages.add(s.asText()));
        assertEquals(List.of("captioner_sft", "eval_after", "eval_before", "reasoner_sft", "rl", "swap_reasoner_sft", "vision_warm_start"),
                stages.stream().sorted().toList());
        Map<String, Integer> steps = Map.of("reasoner_sft", 120, "swap_reasoner_sft", 60, "vision_warm_start", 3, "captioner_sft", 30, "rl", 3);
        Map<String, List<Integer>> logged = new TreeMap<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode m = JSON.readTree(line);
            logged.computeIfAbsent(m.get("stage").asText(), k -> new ArrayList<>()).add(m.get("step").asInt());
        }
        assertEquals(new TreeMap<>(steps).keySet(), logged.keySet());
        for (var e : steps.entrySet()) {
            List<Integer> want = new ArrayList<>();
            for (int i = 0; i < e.getValue(); i++) want.add(i);
            assertEquals(want, logged.get(e.getKey()).stream().sorted().toList(), "steps of " + e.getKey());
        }
        for (String model : List.of("reasoner", "swap_reasoner", "captioner_vision", "captioner_sft", "captioner_rl")) {
            for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
                assertTrue(Files.size(out.resolve("models").resolve(model).resolve(f)) > 0, model + "/" + f);
            }
        }
        assertNotNull(ImageIO.read(out.resolve("plots").resolve("reasoner_sft_loss.png").toFile()), "loss plot");

        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        AccuracyRecount.assertReportRecounted(out, report);

        // the printed table, formatted here from the recounted accuracies
        List<TaskItem> split = AccuracyRecount.heldOut(out);
        assertEquals(33, split.size());
        Map<String, AccuracyRecount> main = new TreeMap<>();
        for (String column : List.of("blind", "sft_captioner", "rl_captioner", "oracle")) {
            main.put(column, AccuracyRecount.of(split, AccuracyRecount.answersOf(out, column, split)));
        }
        String row = String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f |", report.get("reasoner").asText(),
                main.get("blind").overall(), main.get("sft_captioner").overall(), main.get("rl_captioner").overall(), main.get("oracle").overall());
        assertTrue(r.out().contains(row), "printed:\n" + r.out() + "\nwanted: " + row);
        for (String category : main.get("blind").items().keySet()) {
            String cat = String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.2f |", category, main.get("blind").items().get(category),
                    main.get("blind").perCategory().get(category), main.get("sft_captioner").perCategory().get(category),
                    main.get("rl_captioner").perCategory().get(category), main.get("oracle").perCategory().get(category));
            assertTrue(r.out().contains(cat), "printed:\n" + r.out() + "\nwanted: " + cat);
        }

        // perception gap, RL gain and the goal, from the recounted accuracies
        double sft = main.get("sft_captioner").overall(), rl = main.get("rl_captioner").overall(), oracle = main.get("oracle").overall();
        assertEquals(oracle - sft, report.get("perception_gap").get("before").asDouble(), 1e-12);
        assertEquals(oracle - rl, report.get("perception_gap").get("after").asDouble(), 1e-12);
        assertEquals(100 * (rl - sft), report.get("goal").get("rl_gain_points").asDouble(), 1e-9);
        boolean met = rl - sft >= 0.15 && oracle - sft > 0 && (rl - sft) / (oracle - sft) >= 0.5;
        assertEquals(met, report.get("goal").get("met").asBoolean());
        // the tiny run tells its columns apart, so a column reported in another's place shows
        assertEquals(4, main.values().stream().map(AccuracyRecount::overall).distinct().count(), report.toString());
    }
}

package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.hf.ReferenceDecoding;
import org.racro4j.training.hf.RandomChatCheckpoint;
import org.racro4j.training.hf.RandomChatCheckpoint.Family;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.CaptionerPrompt;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.tasks.TaskItem;

/**
 * Every role from a Hugging Face checkpoint: the captioner's decoder starts from a ChatML Qwen2 (its vision encoder and
 * projector new), the frozen reasoner is a Llama 3 in BF16 with another tokenizer. The captioner is asked with RACRO's
 * captioner prompt through its chat template, writes captions in its own tokenizer, and the reasoner reads them as
 * text; the captions are checked against an independent greedy loop over the saved captioner.
 */
class PretrainedCaptionerPipelineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CAPTION_TOKENS = 10;

    @TempDir
    static Path tmp;
    static Path qwen;
    static Path llama;
    static Path run;
    static ObjectNode report;

    static String config(Path captioner, Path reasoner, String algorithm) {
        return """
                tasks: {train_items: 120, test_items: 10}
                reasoner: {pretrained: %s, max_answer_tokens: 4}
                swap_reasoner: null
                captioner:
                  vision: {hidden: 16, layers: 1, heads: 2}
                  vision_warm_start: {steps: 2, batch: 4}
                  pretrained: %s
                  sft: {steps: 3, batch: 4, warmup: 1}
                  max_caption_tokens: %d
                rl: {algorithm: %s, steps: 2, warmup_steps: 1, prompts_per_step: 2, group_size: 2, minibatch: 4}
                logging: {checkpoint_every: 2, eval_samples: 2}
                """.formatted(reasoner, captioner, CAPTION_TOKENS, algorithm);
    }

    @BeforeAll
    static void runWithCheckpoints() throws IOException {
        List<String> corpus = RandomChatCheckpoint.tasksCorpus();
        qwen = tmp.resolve("qwen");
        RandomChatCheckpoint.write(qwen, Family.QWEN2, new RandomChatCheckpoint.Shape(16, 32, 1, 2, 1, 80, 0.3f), DType.F32, 31, corpus);
        llama = tmp.resolve("llama");
        RandomChatCheckpoint.write(llama, Family.LLAMA3, new RandomChatCheckpoint.Shape(16, 32, 1, 2, 1, 30, 0.3f), DType.BF16, 32, corpus);
        Path cfgFile = tmp.resolve("run.yaml");
        Files.writeString(cfgFile, config(qwen, llama, "racro"));
        run = tmp.resolve("run");
        report = Pipeline.run(ConfigLoader.load(cfgFile), run, false, new PrintWriter(new StringWriter()));
    }

    @Test
    void theCaptionerIsSavedWithItsDecodersTokenizerAndTemplate() throws IOException {
        for (String model : List.of("captioner_vision", "captioner_sft", "captioner_rl")) {
            Path dir = run.resolve("models").resolve(model);
            assertEquals(Files.readString(qwen.resolve("tokenizer.json")), Files.readString(dir.resolve("tokenizer.json")), model);
            assertEquals(Files.readString(qwen.resolve("tokenizer_config.json")), Files.readString(dir.resolve("tokenizer_config.json")), model);
        }
        long rl = MetricsLog.read(run.resolve("metrics.jsonl")).stream().filter(m -> m.path("stage").asText().equals("rl")).count();
        assertEquals(2, rl);
        double acc = report.path("accuracy").path("rl_captioner").asDouble(Double.NaN);
        assertTrue(report.toString().contains("rl"), report.toString());
        assertTrue(Double.isNaN(acc) || (acc >= 0 && acc <= 1), report.toString());
    }

    @Test
    void captionsAreTheGreedyRepliesToThePapersCaptionerPromptInTheDecodersChatFormat() throws IOException {
        RunConfig cfg = ConfigLoader.load(run.resolve("config.yaml"));
        List<TaskItem> test = RunTasks.of(cfg).test();
        JsonNode captions = JSON.readTree(run.resolve("eval/captions_captioner_rl.json").toFile());
        Path dir = run.resolve("models/captioner_rl");
        Tokenizer tok = Tokenizers.load(dir.resolve("tokenizer.json"));
        Set<Integer> stops = Set.of(tok.specialTokens().id("<|im_end|>"), tok.specialTokens().id("<|endoftext|>"));
        Set<String> distinct = new HashSet<>();
        try (Captioner cap = Captioner.load(dir, DType.F32, Device.CPU)) {
            for (int i = 0; i < 5; i++) {
                TaskItem item = test.get(i);
                String prompt = "<|im_start|>system\nYou are given an image and a relevant question. Based on the query, please describe the image in "
                        + "detail. Do not try to answer the question.<|im_end|>\n<|im_start|>user\nQuestion: " + item.question()
                        + "\nPlease describe the image. DO NOT try to answer the question!<|im_end|>\n<|im_start|>assistant\n";
                int[] out;
                try (Autograd.Mode off = Autograd.noGrad()) {
                    Tensor image = cap.embedImages(cap.processor().patches(List.of(item.image())));
                    out = ReferenceDecoding.greedyAfter(cap.languageModel(), image, tok.encode(prompt), stops, CAPTION_TOKENS);
                }
                String expected = tok.decode(out, true).strip();
                assertEquals(expected, captions.get(i).asText(), "item " + i);
                distinct.add(expected);
            }
        }
        assertTrue(distinct.size() >= 2, "captions that depend on the image and question: " + distinct);
    }

    @Test
    void theCaptionTargetIsTheDescriptionThenTheEndOfTheTurn() throws IOException {
        Tokenizer tok = Tokenizers.load(qwen.resolve("tokenizer.json"));
        try (Captioner cap = Captioner.load(run.resolve("models/captioner_sft"), DType.F32, Device.CPU)) {
            CaptionPolicy policy = new CaptionPolicy(cap, CaptionerPrompt.forModel(qwen, tok, null), CAPTION_TOKENS, 4);
            assertEquals("two red circles .<|im_end|>", tok.decode(policy.captionTarget("two red circles .")));
            int[] generated = policy.captionTarget("a blue square");
            assertEquals("a blue square", policy.captionText(generated));
        }
    }

    @Test
    void evalReadsTheRunsCaptionerWithItsOwnPrompt() throws IOException {
        StringWriter progress = new StringWriter();
        ObjectNode r = RunEvaluation.evaluate(new RunEvaluation.Request(run, null, null, null, 4, null), new PrintWriter(progress));
        assertTrue(progress.toString().contains("prompt racro-captioner (the checkpoint's chat template)"), progress.toString());
        double a = r.path("accuracy").path("captioner").asDouble(Double.NaN);
        assertTrue(a >= 0 && a <= 1, r.toString());
    }

    @Test
    void aDatasetOfFreeFormTextIsEvaluatedWithoutUnknownWords() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        BufferedImage img = new BufferedImage(64, 40, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 64; x++) for (int y = 0; y < 40; y++) img.setRGB(x, y, (x * 4) << 16 | (y * 6) << 8 | 90);
        ImageIO.write(img, "png", data.resolve("figure.png").toFile());
        String lines = """
                {"image": "figure.png", "question": "What is the area of the shaded trapezoid, in cm²?", "answer": "12.5", "description": "A trapezoid with parallel sides 3 cm and 2 cm, height 5 cm."}
                {"image": "figure.png", "question": "Which quadrant is brightest?", "choices": ["top-left", "bottom-right", "centre"], "answer": "bottom-right"}
                {"image": "figure.png", "question": "Is the gradient's hue closer to violet than to amber?", "answer": "yes", "category": "colour"}
                """;
        Path file = data.resolve("set.jsonl");
        Files.writeString(file, lines);
        ObjectNode r = RunEvaluation.evaluate(new RunEvaluation.Request(run, null, null, file, null, null), new PrintWriter(new StringWriter()));
        assertEquals(3, r.path("test_items").asInt(), r.toString());
        assertEquals(0, r.path("unknown_words").path("items").asInt(), r.toString());
        double a = r.path("accuracy").path("captioner").asDouble(Double.NaN);
        assertTrue(a >= 0 && a <= 1, r.toString());
    }

    /** A JSONL dataset of {@code n} items of free-form text, each with its own image (a gradient of a colour of its own). */
    private static Path dataset(Path dir, String name, int n, long seed) throws IOException {
        Files.createDirectories(dir);
        java.util.Random r = new java.util.Random(seed);
        String[] colours = {"crimson", "teal", "amber", "violet"};
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(colours.length);
            BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
            int rgb = new int[] {0xDC143C, 0x008080, 0xFFBF00, 0x8F00FF}[c];
            for (int x = 0; x < 40; x++) for (int y = 0; y < 40; y++) img.setRGB(x, y, x < 10 + r.nextInt(20) ? rgb : 0xFFFFFF);
            String image = name + "-" + i + ".png";
            ImageIO.write(img, "png", dir.resolve(image).toFile());
            lines.append("{\"image\": \"").append(image).append("\", \"question\": \"Which hue fills the left part of the picture?\", ")
                    .append("\"answer\": \"").append(colours[c]).append("\", \"description\": \"A ").append(colours[c])
                    .append(" band on the left, white elsewhere.\", \"category\": \"hue\"}\n");
        }
        Path file = dir.resolve(name + ".jsonl");
        Files.writeString(file, lines);
        return file;
    }

    @Test
    void aDatasetInJsonlTrainsAndEvaluatesEndToEnd() throws IOException {
        Path data = tmp.resolve("dataset");
        dataset(data, "train", 16, 1);
        dataset(data, "test", 6, 2);
        String tasks = "tasks: {train_jsonl: dataset/train.jsonl, test_jsonl: dataset/test.jsonl, train_items: 100, test_items: 100}\n";
        String cfgText = config(qwen, llama, "racro").replace("tasks: {train_items: 120, test_items: 10}\n", tasks)
                .replace("vision_warm_start: {steps: 2, batch: 4}", "vision_warm_start: {steps: 0}");
        Path cfgFile = tmp.resolve("dataset.yaml");
        Files.writeString(cfgFile, cfgText);
        Path out = tmp.resolve("run-dataset");
        ObjectNode r = Pipeline.run(ConfigLoader.load(cfgFile), out, false, new PrintWriter(new StringWriter()));
        assertEquals(6, r.path("test_items").asInt(), r.toString());
        assertTrue(r.path("per_category").has("hue"), r.toString());
        JsonNode captions = JSON.readTree(out.resolve("eval/captions_captioner_rl.json").toFile());
        assertEquals(6, captions.size());
        ObjectNode e = RunEvaluation.evaluate(new RunEvaluation.Request(out, null, null, null, null, null), new PrintWriter(new StringWriter()));
        assertEquals(6, e.path("test_items").asInt(), e.toString());
        assertEquals(r.path("accuracy").path("rl_captioner").asDouble(), e.path("accuracy").path("captioner").asDouble(), 0.0, e.toString());

        // models trained from scratch know only the tasks' words: refused before the run folder is made
        Files.writeString(cfgFile, tasks + "captioner: {vision_warm_start: {steps: 0}}\n");
        Path words = tmp.resolve("run-words");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> Pipeline.run(ConfigLoader.load(cfgFile), words, false, new PrintWriter(new StringWriter())));
        assertTrue(refused.getMessage().contains("do not know") && refused.getMessage().contains("hue"), refused.getMessage());
        assertTrue(!Files.exists(words.resolve("config.yaml")));
        Files.writeString(cfgFile, tasks);
        IOException warmStart = assertThrows(IOException.class, () -> ConfigLoader.load(cfgFile));
        assertTrue(warmStart.getMessage().contains("vision_warm_start.steps: 0"), warmStart.getMessage());
    }

    @Test
    void aRunKilledDuringRlResumesToTheSameCaptionerAndReport() throws IOException {
        Path killed = tmp.resolve("killed");
        RunConfig cfg = ConfigLoader.load(run.resolve("config.yaml"));
        StageRunner.stopStage = "rl";
        StageRunner.stopStep = 1;
        try {
            assertThrows(StageRunner.Interrupted.class, () -> Pipeline.run(cfg, killed, false, new PrintWriter(new StringWriter())));
        } finally {
            StageRunner.resetTestHook();
        }
        ObjectNode resumed = Pipeline.run(null, killed, true, new PrintWriter(new StringWriter()));
        assertEquals(report.get("accuracy"), resumed.get("accuracy"));
        var a = Safetensors.read(run.resolve("models/captioner_rl/model.safetensors"));
        var b = Safetensors.read(killed.resolve("models/captioner_rl/model.safetensors"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
    }

    @Test
    void aPretrainedCaptionerDecoderNeedsRacro() throws IOException {
        Path cfgFile = tmp.resolve("prco.yaml");
        Files.writeString(cfgFile, config(qwen, llama, "prco"));
        IOException e = assertThrows(IOException.class, () -> ConfigLoader.load(cfgFile));
        assertTrue(e.getMessage().contains("captioner.pretrained needs rl.algorithm racro"), e.getMessage());
    }
}

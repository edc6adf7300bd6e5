package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.models.vision.VisionConfig;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.TaskTokenizer;

/**
 * The evaluation written by a run (eval/*.json, report.json) and `racro4j eval` (RunEvaluation), on a run folder
 * whose training stages are marked done and whose reasoner is built by hand to answer "2" to everything: its
 * attention and MLP weights are zero, so its output depends only on the last token, and its embeddings and head make
 * that "2", then end. So, independently of the verifier, an item is answered correctly exactly when its answer is 2,
 * and each accuracy is (items whose answer is 2) / items, overall and per category.
 */
class RunEvaluationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> COLUMNS = List.of("blind", "sft_captioner", "rl_captioner", "oracle");

    @TempDir
    static Path tmp;
    static Path runDir;
    static RunConfig cfg;
    static ObjectNode report;

    @BeforeAll
    static void evaluateARunWithAReasonerThatAlwaysSaysTwo() throws IOException {
        Path yaml = tmp.resolve("c.yaml");
        Files.writeString(yaml, PipelineTest.TINY_WITHOUT_SWAP.replace("train_items: 120", "train_items: 30"));
        cfg = ConfigLoader.load(yaml);
        runDir = tmp.resolve("run");
        Files.createDirectories(runDir.resolve("models"));
        Files.writeString(runDir.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
        Files.writeString(runDir.resolve("stages.json"), "[\"reasoner_sft\", \"vision_warm_start\", \"captioner_sft\", \"rl\"]\n");
        WordLevelTokenizer tok = TaskTokenizer.create();
        saveTwoSayer(tok, runDir.resolve("models/reasoner"));
        for (String name : List.of("captioner_sft", "captioner_rl")) {
            Path dir = runDir.resolve("models").resolve(name);
            Files.createDirectories(dir);
            try (Captioner cap = Captioner.create(VisionConfig.small(48, 16, 16, 1, 2), Pipeline.decoderConfig(cfg.captioner().model(), tok, 96),
                    name.hashCode(), DType.F32, Device.CPU)) {
                cap.save(dir, Map.of());
            }
            tok.save(dir.resolve("tokenizer.json"));
        }
        report = Pipeline.run(cfg, runDir, true, new PrintWriter(new StringWriter()));
    }

    /** A decoder whose greedy answer to any prompt is "2" and then the end token. */
    static void saveTwoSayer(WordLevelTokenizer tok, Path dir) throws IOException {
        int d = 16;
        int two = tok.encode("2")[0];
        int eos = tok.specialTokens().eos();
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, tok.vocabSize(), d, 32, 1, 2, 1, 8, 160, 10000.0, 1e-6, false, true,
                tok.specialTokens().bos(), List.of(eos));
        try (CausalLM lm = CausalLM.create(c, 1, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad()) {
            for (var e : lm.stateDict().entrySet()) {
                Tensor t = e.getValue();
                float[] v = new float[t.toFloatArray().length];
                if (e.getKey().contains("norm")) java.util.Arrays.fill(v, 1f);
                if (e.getKey().contains("embed_tokens")) {
                    for (int id = 0; id < tok.vocabSize(); id++) v[id * d + (id == two ? 1 : 0)] = 1f;   // "2" along axis 1, the rest along 0
                }
                if (e.getKey().contains("lm_head")) {
                    v[two * d] = 10f;      // after anything but "2": say "2"
                    v[eos * d + 1] = 10f;    // after "2": stop
                }
                t.copyFrom(Tensor.of(v, t.shape()));
            }
            Files.createDirectories(dir);
            lm.save(dir, Map.of());
        }
        tok.save(dir.resolve("tokenizer.json"));
    }

    @Test
    void reportAccuraciesAreRecomputedFromTheWrittenPredictions() throws IOException {
        List<TaskItem> test = RunTasks.of(cfg).test();
        int twos = 0;
        for (TaskItem t : test) if (t.answer().equals("2")) twos++;
        assertTrue(twos > 0 && twos < test.size(), "some answers are 2, not all: " + twos + " of " + test.size());

        for (String column : COLUMNS) {
            JsonNode written = JSON.readTree(Files.readString(runDir.resolve("eval").resolve(column + ".json")));
            int right = 0;
            Map<String, int[]> perCategory = new TreeMap<>();
            assertEquals(test.size(), written.path("items").size());
            for (int i = 0; i < test.size(); i++) {
                JsonNode it = written.path("items").get(i);
                assertEquals(test.get(i).id(), it.path("id").asText());
                assertEquals("2", it.path("answer").asText(), column + " " + it);
                boolean correct = it.path("expected").asText().equals("2");
                assertEquals(correct, it.path("correct").asBoolean(), column + " " + it);
                int[] c = perCategory.computeIfAbsent(it.path("category").asText(), k -> new int[2]);
                if (correct) {
                    right++;
                    c[0]++;
                }
                c[1]++;
            }
            assertEquals(twos / (double) test.size(), right / (double) test.size(), 0.0);
            assertEquals(right / (double) test.size(), report.path("accuracy").path(column).asDouble(), 0.0, column);
            JsonNode per = report.path("per_category");
            assertEquals(perCategory.keySet(), names(per));
            for (var e : perCategory.entrySet()) {
                assertEquals(e.getValue()[1], per.path(e.getKey()).path("items").asInt());
                assertEquals(e.getValue()[0] / (double) e.getValue()[1], per.path(e.getKey()).path(column).asDouble(), 0.0, column + " " + e.getKey());
            }
        }
        assertEquals(0.0, report.path("perception_gap").path("before").asDouble(), 0.0);
        // compared as text: a NaN is written as the string "NaN"
        assertEquals(report.toString(), JSON.readTree(Files.readString(runDir.resolve("report.json"))).toString(), "report.json holds the report");
        assertEquals(Report.markdown(report), Files.readString(runDir.resolve("report.md")));
    }

    /** `racro4j eval` on the run's own models reproduces report.json; more test items extend the same held-out split. */
    @Test
    void runEvaluationReproducesTheReport() throws IOException {
        ObjectNode rl = RunEvaluation.evaluate(new RunEvaluation.Request(runDir, null, null, null, null, null), new PrintWriter(new StringWriter()));
        assertEquals("captioner_rl", rl.path("captioner").asText());
        assertEquals(report.path("accuracy").path("rl_captioner").asDouble(), rl.path("accuracy").path("captioner").asDouble(), 0.0);
        assertEquals(report.path("accuracy").path("blind").asDouble(), rl.path("accuracy").path("blind").asDouble(), 0.0);
        assertEquals(report.path("accuracy").path("oracle").asDouble(), rl.path("accuracy").path("oracle").asDouble(), 0.0);
        for (String category : names(report.path("per_category"))) {
            JsonNode a = report.path("per_category").path(category);
            JsonNode b = rl.path("per_category").path(category);
            assertEquals(a.path("items").asInt(), b.path("items").asInt(), category);
            assertEquals(a.path("rl_captioner").asDouble(), b.path("captioner").asDouble(), 0.0, category);
            assertEquals(a.path("oracle").asDouble(), b.path("oracle").asDouble(), 0.0, category);
        }

        int more = cfg.tasks().testItems() + 13;
        ObjectNode sft = RunEvaluation.evaluate(new RunEvaluation.Request(runDir, "captioner_sft", "reasoner", null, more, null),
                new PrintWriter(new StringWriter()));
        List<TaskItem> extended = RunTasks.of(cfg, more).test();
        int twos = 0;
        for (TaskItem t : extended) if (t.answer().equals("2")) twos++;
        assertEquals(more, sft.path("test_items").asInt());
        assertEquals(twos / (double) more, sft.path("accuracy").path("captioner").asDouble(), 0.0);
        List<TaskItem> own = RunTasks.of(cfg).test();
        assertEquals(own.stream().map(TaskItem::id).toList(), extended.subList(0, own.size()).stream().map(TaskItem::id).toList());
    }

    private static String line(String question, String answer, String description) {
        ObjectNode n = JSON.createObjectNode();
        n.put("image", "x.png");
        n.put("question", question);
        n.put("answer", answer);
        n.put("description", description);
        return n.toString();
    }

    /**
     * An external question with words outside the run's 108-word vocabulary would be read with {@code <unk>} in their
     * place and scored as if it were the dataset's question: it is refused, naming file, line and words; allowed, it
     * is evaluated and the words are counted in the report.
     */
    @Test
    void externalQuestionsWithWordsTheModelsDoNotKnowAreRefusedOrCounted() throws IOException {
        Path data = tmp.resolve("unknown-words");
        Files.createDirectories(data);
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(48, 48, java.awt.image.BufferedImage.TYPE_INT_RGB), "png",
                data.resolve("x.png").toFile());
        Path file = data.resolve("set.jsonl");
        Files.writeString(file, String.join("\n",
                line("how many red shapes are there ?", "2", "red circle at top left ."),
                line("how many purple hexagons are there ?", "2", ""),
                line("what color is the shape ?", "red", "a teal star at top left ."), ""));
        PrintWriter quiet = new PrintWriter(new StringWriter());

        IOException refused = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> RunEvaluation.evaluate(new RunEvaluation.Request(runDir, null, null, file, null, null), quiet));
        assertEquals(file + ":2: words the run's models do not know (they would read <unk>): 'purple', 'hexagons' (question); 2 of 3 items "
                + "have such words (lines 2, 3). Reword them in the models' vocabulary, or pass --allow-unknown-words to evaluate anyway "
                + "and count them", refused.getMessage());

        ObjectNode r = RunEvaluation.evaluate(new RunEvaluation.Request(runDir, null, null, file, null, null, true, null, null), quiet);
        assertEquals(3, r.path("test_items").asInt());
        JsonNode unknown = r.path("unknown_words");
        assertEquals(2, unknown.path("items").asInt());
        assertEquals(4, unknown.path("occurrences").asInt());
        assertEquals("[\"purple\",\"hexagons\",\"teal\",\"star\"]", unknown.path("words").toString());
        // the reasoner that always says "2" still gets the two items whose answer is 2: nothing else changes
        assertEquals(2 / 3.0, r.path("accuracy").path("blind").asDouble(), 0.0);
        assertTrue(EvalReport.markdown(r).contains("\n2 of 3 items have words the models do not know, read as <unk> (4 in all: 'purple', "
                + "'hexagons', 'teal', 'star'); their scores are not those of the dataset's questions.\n"), EvalReport.markdown(r));
        ObjectNode own = RunEvaluation.evaluate(new RunEvaluation.Request(runDir, null, null, null, 4, null), quiet);
        assertEquals(0, own.path("unknown_words").path("items").asInt(), "the run's own items have none");
        assertFalse(EvalReport.markdown(own).contains("<unk>"));
    }

    private static java.util.Set<String> names(JsonNode n) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}

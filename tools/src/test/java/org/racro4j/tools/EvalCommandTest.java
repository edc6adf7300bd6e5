package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.training.pipeline.ConfigLoader;
import org.racro4j.training.pipeline.RunTasks;
import org.racro4j.training.tasks.TaskItem;

/**
 * `racro4j eval` on a toy run made by `racro4j train`: regenerating the held-out split, captioning it afresh and
 * reading the captions afresh must reach exactly the numbers of the run's own report.json, for the run's reasoner
 * and for its swap reasoner; user mistakes are one line and exit code 2.
 */
class EvalCommandTest {
    @TempDir
    static Path tmp;
    static Path run;
    static JsonNode report;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A few seconds of training, but enough that blind, captioner and oracle accuracies differ and the SFT and RL
     * captioners write different captions, so that evaluating the wrong thing shows. eval_samples covers every test
     * item, so that eval's JSON lists each item's caption and answer.
     */
    static final String TOY = """
            tasks: {train_items: 200, test_items: 40, mix: "count_color=1,attribute=1"}
            reasoner:
              model: {hidden: 32, layers: 1, heads: 2, kv_heads: 1, intermediate: 64}
              sft: {steps: 150, batch: 16, lr: 0.01, warmup: 5}
            swap_reasoner:
              model: {architecture: llama, hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
              sft: {steps: 80, batch: 16, lr: 0.01, warmup: 5}
            captioner:
              vision: {hidden: 16, layers: 1, heads: 2}
              vision_warm_start: {steps: 2, batch: 4}
              model: {hidden: 32, layers: 1, heads: 2, kv_heads: 1, intermediate: 64}
              sft: {steps: 40, batch: 8, lr: 0.01, warmup: 2}
              focused_description_fraction: 0.35
              max_caption_tokens: 12
            rl: {steps: 2, warmup_steps: 1, prompts_per_step: 4, group_size: 4, minibatch: 16, lr: 0.01, std_normalize: true}
            logging: {checkpoint_every: 100, eval_samples: 40}
            """;

    @BeforeAll
    static void trainToyRun() throws IOException {
        Path cfg = tmp.resolve("toy.yaml");
        Files.writeString(cfg, TOY);
        run = tmp.resolve("run");
        CommandLineTest.Run r = CommandLineTest.run("train", "--config", cfg.toString(), "--out", run.toString());
        assertEquals(0, r.exit(), r.err());
        report = JSON.readTree(Files.readString(run.resolve("report.json")));
        // the toy run must tell the evaluated things apart, or the comparisons below prove little
        JsonNode a = report.get("accuracy");
        assertNotEquals(a.get("blind").asDouble(), a.get("oracle").asDouble(), report.toString());
        // SFT and RL captioners must write different captions (their accuracies may tie at this size; the tests
        // below compare captions item by item)
        boolean captionsDiffer = false;
        for (JsonNode e : report.get("examples")) captionsDiffer |= !e.get("sft_caption").equals(e.get("rl_caption"));
        assertTrue(captionsDiffer, report.toString());
        assertNotEquals(a.get("rl_captioner").asDouble(), report.get("reasoner_swap").get("rl_captioner").asDouble(), report.toString());
    }

    /** Runs eval with --json; checks the exit code and that the printed table shows the JSON's numbers. */
    private static JsonNode eval(String... args) throws IOException {
        Path json = Files.createTempFile(tmp, "eval", ".json");
        List<String> all = new ArrayList<>(List.of("eval", "--run", run.toString(), "--json", json.toString()));
        all.addAll(List.of(args));
        CommandLineTest.Run r = CommandLineTest.run(all.toArray(new String[0]));
        assertEquals(0, r.exit(), r.err());
        JsonNode e = JSON.readTree(Files.readString(json));
        JsonNode a = e.get("accuracy");
        String row = String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f |", e.get("reasoner").asText(), a.get("blind").asDouble(),
                a.get("captioner").asDouble(), a.get("oracle").asDouble(), e.get("perception_gap").asDouble());
        assertTrue(r.out().contains(row), "printed:\n" + r.out() + "\nwanted row: " + row);
        assertTrue(r.out().contains("| category | items | blind | " + e.get("captioner").asText() + " | oracle |"), r.out());
        return e;
    }

    /** The eval's accuracies equal the report's columns for the same captioner (whole split and per category). */
    private static void assertSameNumbers(JsonNode eval, JsonNode reportRow, JsonNode reportPerCategory, String captionerColumn) {
        JsonNode a = eval.get("accuracy");
        assertEquals(reportRow.get("blind").asDouble(), a.get("blind").asDouble(), 0.0, "blind");
        assertEquals(reportRow.get(captionerColumn).asDouble(), a.get("captioner").asDouble(), 0.0, captionerColumn);
        assertEquals(reportRow.get("oracle").asDouble(), a.get("oracle").asDouble(), 0.0, "oracle");
        assertEquals(a.get("oracle").asDouble() - a.get("captioner").asDouble(), eval.get("perception_gap").asDouble(), 1e-12);
        if (reportPerCategory == null) return;
        assertEquals(names(reportPerCategory), names(eval.get("per_category")));
        for (String cat : names(reportPerCategory)) {
            JsonNode want = reportPerCategory.get(cat);
            JsonNode got = eval.get("per_category").get(cat);
            assertEquals(want.get("items").asInt(), got.get("items").asInt(), cat);
            assertEquals(want.get("blind").asDouble(), got.get("blind").asDouble(), 0.0, cat);
            assertEquals(want.get(captionerColumn).asDouble(), got.get("captioner").asDouble(), 0.0, cat);
            assertEquals(want.get("oracle").asDouble(), got.get("oracle").asDouble(), 0.0, cat);
        }
    }

    private static List<String> names(JsonNode object) {
        List<String> n = new ArrayList<>();
        object.fieldNames().forEachRemaining(n::add);
        return n;
    }

    @Test
    void defaultsAreTheRlCaptionerAndTheRunsReasonerAndReproduceTheReport() throws IOException {
        JsonNode e = eval();
        assertEquals("captioner_rl", e.get("captioner").asText());
        assertEquals(report.get("reasoner").asText(), e.get("reasoner").asText());
        assertEquals(report.get("test_items").asInt(), e.get("test_items").asInt());
        assertSameNumbers(e, report.get("accuracy"), report.get("per_category"), "rl_captioner");
        assertEquals(report.get("perception_gap").get("after").asDouble(), e.get("perception_gap").asDouble(), 0.0);
        // the very same captions and answers, item by item
        JsonNode want = report.get("examples");
        assertEquals(want.size(), e.get("examples").size());
        for (int i = 0; i < want.size(); i++) {
            JsonNode got = e.get("examples").get(i);
            assertEquals(want.get(i).get("id").asText(), got.get("id").asText());
            assertEquals(want.get(i).get("rl_caption").asText(), got.get("caption").asText());
            assertEquals(want.get(i).get("rl_answer").asText(), got.get("answer").asText());
        }
    }

    @Test
    void sftCaptionerByName() throws IOException {
        JsonNode e = eval("--captioner", "captioner_sft");
        assertEquals("captioner_sft", e.get("captioner").asText());
        assertSameNumbers(e, report.get("accuracy"), report.get("per_category"), "sft_captioner");
        assertEquals(report.get("perception_gap").get("before").asDouble(), e.get("perception_gap").asDouble(), 0.0);
    }

    @Test
    void swappedReasonerReadsTheSameCaptionsAsInTheRunsSwapRow() throws IOException {
        JsonNode swap = report.get("reasoner_swap");
        JsonNode e = eval("--reasoner", "swap_reasoner");
        assertEquals(swap.get("reasoner").asText(), e.get("reasoner").asText());
        assertSameNumbers(e, swap, null, "rl_captioner");
        // a reasoner given as a directory path: the same model, so the same numbers
        JsonNode byPath = eval("--reasoner", run.resolve("models").resolve("swap_reasoner").toAbsolutePath().toString(),
                "--captioner", "captioner_sft");
        assertEquals(swap.get("reasoner").asText(), byPath.get("reasoner").asText());
        assertSameNumbers(byPath, swap, null, "sft_captioner");
    }

    @Test
    void anExternalDatasetOfTheTestItemsGivesTheSameNumbers() throws IOException {
        // The run's test items written out as a JSONL dataset with PNG images (lossless) and the question-focused
        // gold descriptions: loaded through JsonlTasks, they must be read exactly as the generated items were.
        List<TaskItem> test = RunTasks.of(ConfigLoader.load(run.resolve("config.yaml"))).test();
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("img"));
        StringBuilder lines = new StringBuilder();
        for (TaskItem t : test) {
            ImageIO.write(t.image(), "png", data.resolve("img").resolve(t.id() + ".png").toFile());
            ObjectNode line = JSON.createObjectNode();
            line.put("image", "img/" + t.id() + ".png");
            line.put("question", t.question());
            line.put("answer", t.answer());
            line.put("answer_type", t.answerType().name().toLowerCase(Locale.ROOT));
            line.put("description", t.neededDescription());
            line.put("category", t.category());
            line.put("id", t.id());
            lines.append(line).append('\n');
        }
        Path file = data.resolve("test.jsonl");
        Files.writeString(file, lines);
        JsonNode e = eval("--tasks", "jsonl:" + file);
        assertEquals("jsonl:" + file, e.get("tasks").asText());
        assertEquals(test.size(), e.get("test_items").asInt());
        assertSameNumbers(e, report.get("accuracy"), report.get("per_category"), "rl_captioner");
    }

    @Test
    void testItemsTakesAPrefixOfTheSplit() throws IOException {
        JsonNode e = eval("--test-items", "3");
        assertEquals(3, e.get("test_items").asInt());
        for (int i = 0; i < 3; i++) {
            assertEquals(report.get("examples").get(i).get("rl_caption").asText(), e.get("examples").get(i).get("caption").asText());
        }
    }

    /**
     * Independent of the Evaluator's own counting: eval's per-item answers (its JSON lists every item here) are
     * compared with the gold answers of the regenerated split by the test's own check, and the accuracies recounted
     * here, overall and per category, must be eval's. Its blind and oracle columns are recounted the same way from
     * the run's per-item files of the same reasoner, whose captioner answers must also be the ones eval just gave.
     */
    @Test
    void evalAccuraciesAreRecountedFromItsPerItemAnswers() throws IOException {
        List<TaskItem> split = AccuracyRecount.heldOut(run);
        JsonNode e = eval();
        JsonNode examples = e.get("examples");
        assertEquals(split.size(), examples.size(), "eval lists every item");
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < split.size(); i++) {
            assertEquals(split.get(i).id(), examples.get(i).get("id").asText());
            assertEquals(split.get(i).answer(), examples.get(i).get("expected").asText());
            answers.add(examples.get(i).get("answer").asText());
        }
        AccuracyRecount captioner = AccuracyRecount.of(split, answers);
        captioner.assertReported(e.get("accuracy").get("captioner").asDouble(), e.get("per_category"), "captioner");
        assertEquals(answers, AccuracyRecount.answersOf(run, "rl_captioner", split), "the run's RL-captioner answers are eval's");
        AccuracyRecount.of(split, AccuracyRecount.answersOf(run, "blind", split))
                .assertReported(e.get("accuracy").get("blind").asDouble(), e.get("per_category"), "blind");
        AccuracyRecount oracle = AccuracyRecount.of(split, AccuracyRecount.answersOf(run, "oracle", split));
        oracle.assertReported(e.get("accuracy").get("oracle").asDouble(), e.get("per_category"), "oracle");
        assertEquals(oracle.overall() - captioner.overall(), e.get("perception_gap").asDouble(), 1e-12);
        // the recount is not vacuous: some answers are right and some wrong in every column checked
        assertTrue(captioner.overall() > 0 && captioner.overall() < 1 && oracle.overall() > captioner.overall(), e.toString());
    }

    /**
     * report.json's accuracies, each column and the swap reasoner's row, recounted here from the run's per-item files
     * with the test's own answer check against the regenerated gold answers.
     */
    @Test
    void reportAccuraciesAreRecountedFromTheRunsPerItemAnswers() throws IOException {
        AccuracyRecount.assertReportRecounted(run, report);
    }

    /**
     * A question with a word the run's word-level tokenizer does not know is refused as one line naming file, line and
     * word; with --allow-unknown-words it is evaluated (the word read as <unk>) and counted in the JSON and the table.
     */
    @Test
    void unknownWordsInAnExternalDatasetAreRefusedUnlessAllowed() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("words"));
        ImageIO.write(AccuracyRecount.heldOut(run).get(0).image(), "png", data.resolve("x.png").toFile());
        Path file = data.resolve("set.jsonl");
        Files.writeString(file, "{\"image\": \"x.png\", \"question\": \"how many red shapes are there ?\", \"answer\": \"1\", "
                + "\"description\": \"red circle at top left .\"}\n"
                + "{\"image\": \"x.png\", \"question\": \"how many purple shapes are there ?\", \"answer\": \"0\", "
                + "\"description\": \"red circle at top left .\"}\n");
        CommandLineTest.Run refused = CommandLineTest.run("eval", "--run", run.toString(), "--tasks", "jsonl:" + file);
        assertEquals(2, refused.exit(), refused.err());
        assertEquals("racro4j eval: " + file + ":2: words the run's models do not know (they would read <unk>): 'purple' (question); "
                + "1 of 2 items has such words (line 2). Reword them in the models' vocabulary, or pass --allow-unknown-words to "
                + "evaluate anyway and count them" + System.lineSeparator(), refused.err());

        Path json = tmp.resolve("allowed.json");
        CommandLineTest.Run allowed = CommandLineTest.run("eval", "--run", run.toString(), "--tasks", "jsonl:" + file, "--allow-unknown-words",
                "--json", json.toString());
        assertEquals(0, allowed.exit(), allowed.err());
        JsonNode unknown = JSON.readTree(Files.readString(json)).get("unknown_words");
        assertEquals(1, unknown.get("items").asInt());
        assertEquals(1, unknown.get("occurrences").asInt());
        assertEquals("purple", unknown.get("words").get(0).asText());
        assertTrue(allowed.out().contains("1 of 2 items has words the models do not know, read as <unk> (1 in all: 'purple')"), allowed.out());
    }

    @Test
    void userMistakesAreOneLineAndExitCode2() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("not-a-run"));
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"image\": \"x.png\", \"question\": \"how many ?\"\n");
        String r = run.toString();
        List<List<String>> cases = List.of(
                List.of("eval", "--run", tmp.resolve("no-such-run").toString()), List.of("no such run folder"),
                List.of("eval", "--run", empty.toString()), List.of("no config.yaml"),
                List.of("eval", "--run", r, "--captioner", "captioner_xl"), List.of("no model 'captioner_xl'", "captioner_rl, captioner_sft",
                        "reasoner, swap_reasoner"),
                List.of("eval", "--run", r, "--reasoner", "big_reasoner"), List.of("no model 'big_reasoner'", "swap_reasoner"),
                List.of("eval", "--run", r, "--reasoner", tmp.resolve("nowhere").toString()), List.of("no such model directory"),
                List.of("eval", "--run", r, "--captioner", "reasoner"), List.of("not a captioner"),
                List.of("eval", "--run", r, "--reasoner", "captioner_sft"), List.of("is a captioner, not a text reasoner"),
                List.of("eval", "--run", r, "--tasks", "jsonl:" + bad), List.of("bad.jsonl:1", "invalid JSON"),
                List.of("eval", "--run", r, "--tasks", bad.toString()), List.of("--tasks takes jsonl:FILE"),
                List.of("eval", "--run", r, "--tasks", "jsonl:" + bad, "--test-items", "5"), List.of("exclude each other"),
                List.of("eval", "--run", r, "--test-items", "0"), List.of("must be >= 1"),
                List.of("eval", "--run", r, "--reasoner-prompt", "racro-captioner"), List.of("writes a caption", "racro-reasoner"),
                List.of("eval", "--run", r, "--reasoner-prompt", "racro"), List.of("unknown paper prompt", "racro-reasoner"),
                List.of("eval", "--run", r, "--max-answer-tokens", "0"), List.of("max answer tokens must be >= 1"));
        for (int i = 0; i < cases.size(); i += 2) {
            List<String> args = cases.get(i);
            CommandLineTest.Run out = CommandLineTest.run(args.toArray(new String[0]));
            assertEquals(2, out.exit(), args + "\n" + out.err());
            assertEquals(1, out.err().strip().lines().count(), "one line: " + out.err());
            assertTrue(out.err().startsWith("racro4j eval: "), out.err());
            assertFalse(out.err().contains("\tat "), out.err());
            for (String want : cases.get(i + 1)) assertTrue(out.err().contains(want), args + " should say '" + want + "': " + out.err());
        }
    }
}

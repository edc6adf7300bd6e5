package org.racro4j.training.pipeline;

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
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.training.eval.Evaluator;
import org.racro4j.training.hf.ReferenceDecoding;
import org.racro4j.training.hf.RandomChatCheckpoint;
import org.racro4j.training.hf.RandomChatCheckpoint.Family;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.tasks.TaskItem;

/**
 * A run whose reasoner and swap reasoner are Hugging Face checkpoints with their own tokenizers (a ChatML Qwen2 in F32
 * and a Llama 3 in BF16, with other vocabularies than the captioner's words): the captioner trains against the frozen
 * checkpoint (SFT, a few RL steps), both are evaluated, and `eval` swaps in a checkpoint from elsewhere. What they
 * answer is checked against an independent greedy loop on the paper's prompt written out by hand.
 */
class PretrainedReasonerPipelineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ANSWER_TOKENS = 5;

    @TempDir
    static Path tmp;
    static Path qwen;
    static Path llama;
    static Path run;
    static ObjectNode report;

    static String config(Path reasoner, Path swap, String reasonerExtra) {
        return """
                tasks: {train_items: 120, test_items: 12}
                reasoner: {pretrained: %s, max_answer_tokens: %d%s}
                swap_reasoner: {pretrained: %s, max_answer_tokens: %d}
                captioner:
                  vision: {hidden: 16, layers: 1, heads: 2}
                  vision_warm_start: {steps: 2, batch: 4}
                  model: {hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
                  sft: {steps: 3, batch: 4, warmup: 1}
                  max_caption_tokens: 12
                rl: {steps: 2, warmup_steps: 1, prompts_per_step: 2, group_size: 2, minibatch: 4}
                logging: {checkpoint_every: 2, eval_samples: 2}
                """.formatted(reasoner, ANSWER_TOKENS, reasonerExtra, swap, ANSWER_TOKENS);
    }

    @BeforeAll
    static void runWithCheckpoints() throws IOException {
        RunConfig base = ConfigLoader.load(null);
        List<String> corpus = RandomChatCheckpoint.tasksCorpus();
        qwen = tmp.resolve("qwen");
        RandomChatCheckpoint.write(qwen, Family.QWEN2, new RandomChatCheckpoint.Shape(16, 32, 1, 2, 1, 80, 0.3f), DType.F32, 21, corpus);
        llama = tmp.resolve("llama");
        RandomChatCheckpoint.write(llama, Family.LLAMA3, new RandomChatCheckpoint.Shape(16, 32, 1, 2, 1, 30, 0.3f), DType.BF16, 22, corpus);
        // relative to the config file, as a user writes it next to their checkpoints
        Path cfgFile = tmp.resolve("run.yaml");
        Files.writeString(cfgFile, config(Path.of("qwen"), Path.of("llama"), ""));
        RunConfig cfg = ConfigLoader.load(cfgFile);
        assertEquals(qwen.toAbsolutePath().normalize().toString(), cfg.reasoner().pretrained());
        run = tmp.resolve("run");
        report = Pipeline.run(cfg, run, false, new PrintWriter(new StringWriter()));
    }

    @Test
    void theFrozenCheckpointsAreReadInPlaceAndTheRunFinishes() throws IOException {
        assertFalse(Files.exists(run.resolve("models/reasoner")), "a frozen checkpoint is not copied into the run");
        assertFalse(Files.exists(run.resolve("models/swap_reasoner")));
        assertTrue(Files.isDirectory(run.resolve("models/captioner_rl")));
        JsonNode stages = JSON.readTree(run.resolve("stages.json").toFile());
        assertFalse(stages.toString().contains("reasoner_sft"), stages.toString());
        long rlSteps = MetricsLog.read(run.resolve("metrics.jsonl")).stream().filter(m -> m.path("stage").asText().equals("rl")).count();
        assertEquals(2, rlSteps);
        for (String name : List.of("blind", "oracle", "sft_captioner", "rl_captioner", "swap_blind", "swap_oracle", "swap_rl_captioner")) {
            assertTrue(Files.isRegularFile(run.resolve("eval").resolve(name + ".json")), name);
        }
        assertTrue(report.toString().contains("swap"), report.toString());
    }

    @Test
    void eachReasonerAnsweredThePapersPromptInItsOwnTokenizer() throws IOException {
        RunConfig cfg = ConfigLoader.load(run.resolve("config.yaml"));
        List<TaskItem> test = RunTasks.of(cfg).test();
        List<String> gold = Evaluator.gold(test);
        checkAnswers(qwen, "oracle", test, gold, Family.QWEN2);
        checkAnswers(llama, "swap_oracle", test, gold, Family.LLAMA3);
        // the captioner's own captions, as text, re-tokenized by the reasoner
        JsonNode captions = JSON.readTree(run.resolve("eval/captions_captioner_rl.json").toFile());
        List<String> rl = new ArrayList<>();
        for (JsonNode c : captions.has("captions") ? captions.get("captions") : captions) rl.add(c.asText());
        checkAnswers(qwen, "rl_captioner", test, rl, Family.QWEN2);
    }

    /** The first items' answers in eval/{name}.json against the reference greedy loop on the hand-written prompt. */
    private static void checkAnswers(Path dir, String name, List<TaskItem> test, List<String> descriptions, Family family) throws IOException {
        JsonNode items = JSON.readTree(run.resolve("eval").resolve(name + ".json").toFile()).get("items");
        Tokenizer tok = Tokenizers.load(dir.resolve("tokenizer.json"));
        Set<String> distinct = new HashSet<>();
        try (CausalLM lm = CausalLM.load(dir, DType.F32, Device.CPU)) {
            for (int i = 0; i < 6; i++) {
                String text = handWritten(family, descriptions.get(i), test.get(i).question());
                Set<Integer> stops = family == Family.QWEN2
                        ? Set.of(tok.specialTokens().id("<|im_end|>"), tok.specialTokens().id("<|endoftext|>"))
                        : Set.of(tok.specialTokens().id("<|eot_id|>"), tok.specialTokens().id("<|end_of_text|>"));
                int[] out = ReferenceDecoding.greedy(lm, tok.encode(text), stops, ANSWER_TOKENS);
                assertEquals(descriptions.get(i), items.get(i).get("description").asText(), name + " item " + i);
                // the BF16 checkpoint's batched answers round activations to 8-bit mantissas; the F32 reference's greedy
                // tokens may differ where two logits are that close, so only its prompt (description) is compared
                if (family == Family.QWEN2) {
                    assertEquals(tok.decode(out, true).strip(), items.get(i).get("answer").asText(), name + " item " + i);
                }
                distinct.add(tok.decode(out, true));
            }
        }
        // the answers depend on the prompt (else comparing them would not show which prompt was read)
        assertTrue(distinct.size() >= 3, name + ": " + distinct);
    }

    /** RACRO's reasoner prompt in each family's chat format, written out by hand. */
    static String handWritten(Family family, String caption, String question) {
        String user = "### The detailed caption of the provided image: " + caption + "\n\n### Question: " + question
                + " Please think step by step. The final answer MUST BE put in \\boxed{}.";
        return family == Family.QWEN2
                ? "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n"
                : "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user"
                        + "<|end_header_id|>\n\n" + user.strip() + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
    }

    @Test
    void evalSwapsInACheckpointFromElsewhereWithItsOwnTokenizer() throws IOException {
        StringWriter progress = new StringWriter();
        ObjectNode r = RunEvaluation.evaluate(new RunEvaluation.Request(run, null, llama.toString(), null, 6, null, false, null, 3),
                new PrintWriter(progress));
        assertTrue(progress.toString().contains("prompt racro-reasoner (the checkpoint's chat template)"), progress.toString());
        assertTrue(r.toString().contains("llama"), r.toString());
        for (String key : List.of("blind", "captioner", "oracle")) {
            double a = r.path("accuracy").path(key).asDouble(Double.NaN);
            assertTrue(a >= 0 && a <= 1, key + " " + r);
        }
        StringWriter solver = new StringWriter();
        RunEvaluation.evaluate(new RunEvaluation.Request(run, null, "reasoner", null, 6, null, false, "prco-solver", 3), new PrintWriter(solver));
        assertTrue(solver.toString().contains("prompt prco-solver"), solver.toString());
        assertThrows(IllegalArgumentException.class, () -> new RunEvaluation.Request(run, null, null, null, null, null, false, "racro-captioner", null));
    }

    @Test
    void aPretrainedReasonerWithSftIsFineTunedInItsOwnFormatAndSavedWithItsTokenizer() throws IOException {
        Path cfgFile = tmp.resolve("sft.yaml");
        Files.writeString(cfgFile, config(qwen.toAbsolutePath(), llama.toAbsolutePath(), ", sft: {steps: 3, batch: 4, warmup: 1, lr: 0.01}")
                .replace("rl: {steps: 2,", "rl: {reasoner_reward: sampled, answer_samples: 2, answer_temperature: 1.0, steps: 2,"));
        RunConfig cfg = ConfigLoader.load(cfgFile);
        Path out = tmp.resolve("run-sft");
        Pipeline.run(cfg, out, false, new PrintWriter(new StringWriter()));
        Path saved = out.resolve("models/reasoner");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            assertTrue(Files.isRegularFile(saved.resolve(f)), f);
        }
        assertEquals(Files.readString(qwen.resolve("tokenizer.json")), Files.readString(saved.resolve("tokenizer.json")));
        List<JsonNode> sft = MetricsLog.read(out.resolve("metrics.jsonl")).stream().filter(m -> m.path("stage").asText().equals("reasoner_sft")).toList();
        assertEquals(3, sft.size());
        // the captions' reward: two answers sampled from the fine-tuned reasoner per caption, graded
        List<JsonNode> rl = MetricsLog.read(out.resolve("metrics.jsonl")).stream().filter(m -> m.path("stage").asText().equals("rl")).toList();
        assertEquals(2, rl.size());
        for (JsonNode m : rl) assertTrue(m.path("reward").isNumber(), m.toString());
        // the fine-tuned reasoner is the run's reasoner, asked as the checkpoint is
        RunFolder folder = RunFolder.open(out);
        assertEquals(saved.toAbsolutePath().normalize(), folder.reasoner(null).dir().toAbsolutePath().normalize());
        Tokenizer tok = Tokenizers.load(saved.resolve("tokenizer.json"));
        assertTrue(ReasonerPrompt.forModel(saved, tok, null) instanceof ReasonerPrompt.Chat);
    }

    @Test
    void theStudiesRefuseACheckpointRatherThanTrainOverIt() throws IOException {
        RunConfig cfg = ConfigLoader.load(run.resolve("config.yaml"));
        IllegalArgumentException prco = assertThrows(IllegalArgumentException.class,
                () -> PrcoStudy.run(tmp.resolve("study-prco"), cfg, 1, false, null, new PrintWriter(new StringWriter())));
        assertTrue(prco.getMessage().contains("reasoner.pretrained"), prco.getMessage());
        IllegalArgumentException rewards = assertThrows(IllegalArgumentException.class,
                () -> RewardStudy.run(tmp.resolve("study-rewards"), cfg, null, 1, false, null, new PrintWriter(new StringWriter())));
        assertTrue(rewards.getMessage().contains("reasoner.pretrained"), rewards.getMessage());
        assertFalse(Files.exists(tmp.resolve("study-prco")));
    }

    @Test
    void aMissingOrBrokenCheckpointFailsBeforeAnythingIsTrained() throws IOException {
        Path cfgFile = tmp.resolve("missing.yaml");
        Files.writeString(cfgFile, config(tmp.resolve("nowhere"), llama, ""));
        RunConfig cfg = ConfigLoader.load(cfgFile);
        Path out = tmp.resolve("run-missing");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pipeline.run(cfg, out, false, new PrintWriter(new StringWriter())));
        assertTrue(e.getMessage().contains("reasoner.pretrained") && e.getMessage().contains("nowhere"), e.getMessage());
        assertFalse(Files.exists(out.resolve("config.yaml")));

        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer_config.json")) Files.copy(qwen.resolve(f), broken.resolve(f));
        Files.writeString(cfgFile, config(broken, llama, ""));
        RunConfig cfg2 = ConfigLoader.load(cfgFile);
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> Pipeline.run(cfg2, tmp.resolve("run-broken"), false, new PrintWriter(new StringWriter())));
        assertTrue(e2.getMessage().contains("tokenizer.json"), e2.getMessage());

        String both = config(qwen, llama, ", model: {hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}");
        Files.writeString(cfgFile, both);
        IOException e3 = assertThrows(IOException.class, () -> ConfigLoader.load(cfgFile));
        assertTrue(e3.getMessage().contains("not both"), e3.getMessage());
    }
}

package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.models.vision.Captioner;

/**
 * The README's pretrained-model example at test size, through the command line: `make-checkpoint` writes two chat
 * checkpoints of different families, `train` runs a config that names them as captioner decoder and reasoner, and
 * `eval` swaps in the other one as reasoner; `export-hf` writes the trained captioner's decoder with the checkpoint's
 * tokenizer.
 */
class PretrainedCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void makeCheckpointThenTrainAndEvalWithCheckpointsAsRoles() throws IOException {
        Path qwen = tmp.resolve("qwen");
        Path llama = tmp.resolve("llama");
        CommandLineTest.Run q = CommandLineTest.run("make-checkpoint", "--family", "qwen2", "--hidden", "16", "--layers", "1", "--heads", "2",
                "--kv-heads", "1", "--merges", "100", "--out", qwen.toString());
        assertEquals(0, q.exit(), q.err());
        CommandLineTest.Run l = CommandLineTest.run("make-checkpoint", "--family", "llama3", "--hidden", "16", "--layers", "1", "--heads", "2",
                "--kv-heads", "1", "--merges", "40", "--dtype", "bf16", "--out", llama.toString());
        assertEquals(0, l.exit(), l.err());
        for (Path dir : List.of(qwen, llama)) {
            for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
                assertTrue(Files.isRegularFile(dir.resolve(f)), dir + "/" + f);
            }
        }
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().contains(".tmp-")).toList(), "no staging directory left");
        }
        Tokenizer tok = Tokenizers.load(qwen.resolve("tokenizer.json"));
        assertEquals(DecoderConfig.read(qwen.resolve("config.json")).vocabSize(), tok.vocabSize());
        assertTrue(q.out().contains("vocabulary " + tok.vocabSize()), q.out());

        Path cfg = tmp.resolve("pretrained.yaml");
        Files.writeString(cfg, """
                tasks: {train_items: 100, test_items: 8}
                reasoner: {pretrained: llama, max_answer_tokens: 6}
                swap_reasoner: null
                captioner:
                  vision: {hidden: 16, layers: 1, heads: 2}
                  vision_warm_start: {steps: 2, batch: 4}
                  pretrained: qwen
                  sft: {steps: 2, batch: 4, warmup: 1}
                  max_caption_tokens: 8
                rl: {steps: 1, warmup_steps: 1, prompts_per_step: 2, group_size: 2, minibatch: 4}
                """);
        Path run = tmp.resolve("run");
        CommandLineTest.Run t = CommandLineTest.run("train", "--config", cfg.toString(), "--out", run.toString());
        assertEquals(0, t.exit(), t.err());
        JsonNode report = JSON.readTree(run.resolve("report.json").toFile());
        assertTrue(report.path("accuracy").has("rl_captioner"), report.toString());

        Path json = tmp.resolve("eval.json");
        CommandLineTest.Run e = CommandLineTest.run("eval", "--run", run.toString(), "--reasoner", qwen.toString(), "--max-answer-tokens", "4",
                "--json", json.toString());
        assertEquals(0, e.exit(), e.err());
        assertTrue(e.err().contains("prompt racro-reasoner (the checkpoint's chat template)"), e.err());
        JsonNode ev = JSON.readTree(json.toFile());
        assertTrue(ev.path("reasoner").asText().startsWith("qwen"), ev.toString());

        // the trained captioner's decoder goes out with the checkpoint's tokenizer and template, and reads back the same
        Path exported = tmp.resolve("captioner-hf");
        CommandLineTest.Run x = CommandLineTest.run("export-hf", "--run", run.toString(), "--model", "captioner", "--out", exported.toString());
        assertEquals(0, x.exit(), x.err());
        assertEquals(-1, Files.mismatch(qwen.resolve("tokenizer.json"), exported.resolve("tokenizer.json")));
        assertEquals(-1, Files.mismatch(qwen.resolve("tokenizer_config.json"), exported.resolve("tokenizer_config.json")));
        long[] ids = {5, 77, 130, 9, 301};
        try (Captioner cap = Captioner.load(run.resolve("models/captioner_rl"), DType.F32, Device.CPU);
             CausalLM back = CausalLM.load(exported, DType.F32, Device.CPU);
             Scope s = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
            assertArrayEquals(cap.languageModel().forward(Tensor.ofLongs(ids, 1, 5), null, null).toFloatArray(),
                    back.forward(Tensor.ofLongs(ids, 1, 5), null, null).toFloatArray(), 0f);
        }

        CommandLineTest.Run again = CommandLineTest.run("make-checkpoint", "--out", qwen.toString());
        assertEquals(2, again.exit(), again.err());
        assertTrue(again.err().contains("already exists"), again.err());
        CommandLineTest.Run family = CommandLineTest.run("make-checkpoint", "--family", "gpt2", "--out", tmp.resolve("x").toString());
        assertEquals(2, family.exit());
        assertTrue(family.err().contains("--family must be qwen2 or llama3"), family.err());
    }
}

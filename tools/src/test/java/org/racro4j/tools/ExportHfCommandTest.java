package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.HfExport;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.models.vision.Captioner;

/**
 * `racro4j export-hf` on a toy run made by `racro4j train`: each exported directory loads with racro4j's Hugging
 * Face loaders and gives the run model's logits bit for bit and its token ids; user mistakes are one line and exit
 * code 2, and write nothing.
 */
class ExportHfCommandTest {
    @TempDir
    static Path tmp;
    static Path run;
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String TINY = """
            tasks: {train_items: 60, test_items: 12}
            reasoner:
              model: {hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
              sft: {steps: 3, batch: 8, warmup: 1}
            swap_reasoner:
              model: {architecture: llama, hidden: 12, layers: 1, heads: 2, kv_heads: 1, intermediate: 20}
              sft: {steps: 3, batch: 8, warmup: 1}
            captioner:
              vision: {hidden: 16, layers: 1, heads: 2}
              vision_warm_start: {steps: 2, batch: 4}
              model: {hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
              sft: {steps: 3, batch: 4, warmup: 1}
              max_caption_tokens: 8
            rl: {steps: 2, warmup_steps: 1, prompts_per_step: 2, minibatch: 4}
            logging: {checkpoint_every: 2, eval_samples: 1}
            """;

    static final String SAMPLE = "how many red shapes are there ? <bos> the blue circle is left of the zebra .<eos>";

    @BeforeAll
    static void trainToyRun() throws IOException {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, TINY);
        run = tmp.resolve("run");
        CommandLineTest.Run r = CommandLineTest.run("train", "--config", cfg.toString(), "--out", run.toString());
        assertEquals(0, r.exit(), r.err());
    }

    @Test
    void reasonersExportWithTheRunModelsLogitsAndIds() throws IOException {
        for (String name : List.of("reasoner", "swap_reasoner")) {
            Path out = tmp.resolve("hf-" + name);
            CommandLineTest.Run r = CommandLineTest.run("export-hf", "--run", run.toString(), "--model", name, "--out", out.toString());
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().startsWith("wrote " + out.toAbsolutePath().normalize() + ": " + name + " ("), r.out());
            assertTrue(r.out().contains("6 files; read back and checked"), r.out());
            assertEquals(name.equals("reasoner"), r.out().contains("load its tokenizer with PreTrainedTokenizerFast.from_pretrained"), r.out());
            assertEquals(new TreeSet<>(HfExport.FILES), fileNames(out));
            Path source = run.resolve("models").resolve(name);
            try (CausalLM want = CausalLM.load(source, DType.F32, Device.CPU); CausalLM got = CausalLM.load(out, DType.F32, Device.CPU)) {
                assertEquals(want.config(), got.config());
                assertEquals(name.equals("reasoner") ? "Qwen2ForCausalLM" : "LlamaForCausalLM", got.config().architecture());
                assertSameLogits(want, got, 31);
            }
            assertSameTokenizer(source, out);
        }
    }

    @Test
    void theCaptionerGivesItsLanguageDecoder() throws IOException {
        Path out = tmp.resolve("hf-captioner");
        CommandLineTest.Run r = CommandLineTest.run("export-hf", "--run", run.toString(), "--model", "captioner", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains(": captioner_rl's language decoder ("), r.out());
        assertTrue(r.out().contains("without the vision tower and projector"), r.out());
        Path source = run.resolve("models").resolve("captioner_rl");
        try (Captioner c = Captioner.load(source, DType.F32, Device.CPU); CausalLM got = CausalLM.load(out, DType.F32, Device.CPU)) {
            assertEquals(c.languageModel().config(), got.config());
            assertSameLogits(c.languageModel(), got, 32);
        }
        assertSameTokenizer(source, out);
        JsonNode tc = JSON.readTree(out.resolve("tokenizer_config.json").toFile());
        assertEquals("<bos>", tc.get("bos_token").asText());
        assertEquals(c(out).get("bos_token_id").asInt(), Tokenizers.load(out.resolve("tokenizer.json")).tokenId("<bos>"));
    }

    /** The run's own model directories carry the tokenizer's roles (and the decoders their generation config) too. */
    @Test
    void runModelDirectoriesCarryTheTokenizerConfig() throws IOException {
        for (String name : List.of("reasoner", "swap_reasoner", "captioner_sft", "captioner_rl")) {
            Path dir = run.resolve("models").resolve(name);
            Set<String> files = fileNames(dir);
            assertTrue(files.containsAll(List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                    "special_tokens_map.json")), name + ": " + files);
            assertEquals(!name.startsWith("captioner"), files.contains("generation_config.json"), name + ": " + files);
            JsonNode tc = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
            Tokenizer tok = Tokenizers.load(dir.resolve("tokenizer.json"));
            assertEquals(tok.specialTokens().bos(), tok.tokenId(tc.get("bos_token").asText()), name);
            assertEquals(tok.specialTokens().eos(), tok.tokenId(tc.get("eos_token").asText()), name);
            assertEquals("PreTrainedTokenizerFast", tc.get("tokenizer_class").asText());
            // the file that ModelStore writes exactly as before: no post-processor
            assertTrue(JSON.readTree(dir.resolve("tokenizer.json").toFile()).get("post_processor").isNull(), name);
        }
    }

    @Test
    void mistakesAreOneLineAndWriteNothing() throws IOException {
        Path out = tmp.resolve("never");
        CommandLineTest.Run unknown = CommandLineTest.run("export-hf", "--run", run.toString(), "--model", "critic", "--out", out.toString());
        assertEquals(2, unknown.exit());
        assertEquals("racro4j export-hf: the run " + run + " has no model 'critic' (it has captioner_rl, captioner_sft, captioner_vision, "
                + "reasoner, swap_reasoner)", unknown.err().strip());

        CommandLineTest.Run noRun = CommandLineTest.run("export-hf", "--run", tmp.resolve("nope").toString(), "--model", "reasoner",
                "--out", out.toString());
        assertEquals(2, noRun.exit());
        assertEquals("racro4j export-hf: no such run folder: " + tmp.resolve("nope"), noRun.err().strip());

        Path taken = Files.createDirectories(tmp.resolve("taken"));
        CommandLineTest.Run exists = CommandLineTest.run("export-hf", "--run", run.toString(), "--model", "reasoner", "--out", taken.toString());
        assertEquals(2, exists.exit());
        assertEquals("racro4j export-hf: " + taken + " already exists (the export writes a new directory)", exists.err().strip());
        assertEquals(Set.of(), fileNames(taken));

        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken.resolve("models").resolve("reasoner"));
        Files.copy(run.resolve("models/reasoner/config.json"), broken.resolve("models/reasoner/config.json"));
        Files.writeString(broken.resolve("models/reasoner/model.safetensors"), "not safetensors");
        Files.copy(run.resolve("models/reasoner/tokenizer.json"), broken.resolve("models/reasoner/tokenizer.json"));
        CommandLineTest.Run bad = CommandLineTest.run("export-hf", "--run", broken.toString(), "--model", "reasoner", "--out", out.toString());
        assertEquals(2, bad.exit(), bad.err());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("model.safetensors"), bad.err());
        assertFalse(Files.exists(out));
    }

    private static JsonNode c(Path dir) throws IOException {
        return JSON.readTree(dir.resolve("config.json").toFile());
    }

    private static void assertSameLogits(CausalLM want, CausalLM got, long seed) {
        int vocab = want.config().vocabSize();
        Generator g = new Generator(seed);
        long[] ids = new long[3 * 9];
        for (int i = 0; i < ids.length; i++) ids[i] = g.nextInt(vocab);
        Tensor input = Tensor.ofLongs(ids, 3, 9);
        try (Autograd.Mode off = Autograd.noGrad()) {
            float[] a = want.forward(input, null, null).toFloatArray();
            float[] b = got.forward(input, null, null).toFloatArray();
            assertEquals(3 * 9 * vocab, a.length);
            for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "logit " + i);
        }
    }

    private static void assertSameTokenizer(Path source, Path out) {
        Tokenizer want = Tokenizers.load(source.resolve("tokenizer.json"));
        Tokenizer got = Tokenizers.load(out.resolve("tokenizer.json"));
        assertEquals(want.vocabSize(), got.vocabSize());
        assertEquals(want.specialTokens(), got.specialTokens());
        int[] ids = want.encode(SAMPLE);
        assertArrayEquals(ids, got.encode(SAMPLE));
        assertTrue(Arrays.stream(ids).anyMatch(id -> id == want.specialTokens().unk()), "the sample has an unknown word");
        assertEquals(want.decode(ids, true), got.decode(ids, true));
        assertEquals(want.decode(ids, false), got.decode(ids, false));
    }

    private static Set<String> fileNames(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }
}

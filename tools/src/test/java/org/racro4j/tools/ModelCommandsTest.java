package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Npy;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.WordLevelTokenizer;

class ModelCommandsTest {
    @TempDir
    static Path tmp;
    static Path modelDir;
    static final List<String> WORDS = List.of("the", "cat", "sat", "on", "mat", "a", "dog", "ran", ".", "and");

    @BeforeAll
    static void writeModel() throws IOException {
        modelDir = tmp.resolve("tiny");
        WordLevelTokenizer tok = WordLevelTokenizer.of(WORDS);
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, tok.vocabSize(), 16, 24, 2, 2, 1, 8, 12, 10000.0, 1e-6, true, true,
                -1, List.of(tok.specialTokens().eos()));
        try (CausalLM m = CausalLM.create(c, 4, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Generator g = new Generator(8);
            for (Tensor t : m.stateDict().values()) t.copyFrom(Tensor.randn(g, t.shape()).mul(0.5f));
            m.save(modelDir, Map.of());
        }
        tok.save(modelDir.resolve("tokenizer.json"));
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() throws IOException {
        Path tj = modelDir.resolve("tokenizer.json");
        CommandLineTest.Run r = CommandLineTest.run("tokenize", "--tokenizer", tj.toString(), "the cat sat on the mat .");
        assertEquals(0, r.exit(), r.err());
        String ids = r.out().strip();
        assertEquals(7, ids.split(" ").length);
        List<String> args = new ArrayList<>(List.of("detokenize", "--tokenizer", tj.toString()));
        args.addAll(List.of(ids.split(" ")));
        assertEquals("the cat sat on the mat .", CommandLineTest.run(args.toArray(new String[0])).out().strip());
        Path f = tmp.resolve("in.txt");
        Files.writeString(f, "a dog ran\nand a cat sat");
        assertEquals(7, CommandLineTest.run("tokenize", "--tokenizer", tj.toString(), "--input", f.toString()).out().strip().split(" ").length);
    }

    @Test
    void generateIsGreedyByDefaultAndWritesThePromptLogits() throws IOException {
        Path npy = tmp.resolve("logits.npy");
        CommandLineTest.Run a = CommandLineTest.run("generate", "--model", modelDir.toString(), "--prompt", "the cat sat",
                "--max-new-tokens", "5", "--logits-out", npy.toString());
        CommandLineTest.Run b = CommandLineTest.run("generate", "--model", modelDir.toString(), "--prompt", "the cat sat",
                "--max-new-tokens", "5");
        assertEquals(0, a.exit(), a.err());
        assertEquals(a.out(), b.out(), "greedy decoding is deterministic");
        for (String w : a.out().strip().split("\\s+")) if (!w.isEmpty()) assertTrue(WORDS.contains(w), "vocabulary word: " + w);
        Tensor written = Npy.read(npy);
        WordLevelTokenizer tok = (WordLevelTokenizer) org.racro4j.models.tokenizer.Tokenizers.load(modelDir.resolve("tokenizer.json"));
        int[] ids = tok.encode("the cat sat");
        assertArrayEquals(new int[] {3, tok.vocabSize()}, written.shape());
        try (CausalLM m = CausalLM.load(modelDir, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad()) {
            float[] want = m.forward(Tensor.ofLongs(new long[] {ids[0], ids[1], ids[2]}, 1, 3), null, null).toFloatArray();
            assertArrayEquals(want, written.toFloatArray(), 0f);
        }
    }

    @Test
    void userMistakesGiveOneLineAndExitCode2() throws IOException {
        CommandLineTest.Run tooLong = CommandLineTest.run("generate", "--model", modelDir.toString(), "--prompt",
                "the cat sat on the mat and the dog ran on the mat and a cat sat");
        assertEquals(2, tooLong.exit());
        assertTrue(tooLong.err().contains("more than the model's context of 12"), tooLong.err());
        assertFalse(tooLong.err().contains("\tat "), tooLong.err());

        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        Files.copy(modelDir.resolve("config.json"), broken.resolve("config.json"));
        Files.copy(modelDir.resolve("tokenizer.json"), broken.resolve("tokenizer.json"));
        Files.write(broken.resolve("model.safetensors"), new byte[] {1, 2, 3});
        CommandLineTest.Run bad = CommandLineTest.run("generate", "--model", broken.toString(), "--prompt", "the cat");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("model.safetensors") && bad.err().contains("malformed"), bad.err());

        Files.writeString(broken.resolve("config.json"), "{\"architectures\": [\"BertModel\"]}");
        CommandLineTest.Run arch = CommandLineTest.run("generate", "--model", broken.toString(), "--prompt", "the cat");
        assertEquals(2, arch.exit());
        assertTrue(arch.err().contains("unknown architecture BertModel"), arch.err());
    }
}

package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.WordLevelTokenizer;

/**
 * Sampling options out of range are refused by `generate` as one line with exit code 2, in the words a run config's
 * temperatures get (SamplingConfig's rule), before the model is read; and more new tokens than the model's context
 * holds after the prompt are refused before any buffer is sized for them. The model is a tiny random Qwen2 with a
 * context of 32 positions; the prompt is 4 words (no BOS: the model declares none).
 */
class GenerateOptionsTest {
    @TempDir
    static Path tmp;
    static Path modelDir;

    @BeforeAll
    static void writeModel() throws IOException {
        modelDir = tmp.resolve("tiny");
        WordLevelTokenizer words = WordLevelTokenizer.of(List.of("the", "dog", "sat", "on", "mat"));
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, words.vocabSize(), 16, 24, 1, 2, 1, 8, 32, 10000.0, 1e-6, true, true,
                -1, List.of(words.specialTokens().eos()));
        try (CausalLM m = CausalLM.create(c, 5, DType.F32, Device.CPU)) {
            m.save(modelDir, Map.of());
        }
        words.save(modelDir.resolve("tokenizer.json"));
    }

    private static CommandLineTest.Run generate(Path model, String... options) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", model.toString(), "--prompt", "the dog sat on"));
        args.addAll(List.of(options));
        return CommandLineTest.run(args.toArray(new String[0]));
    }

    private static void refused(String message, String... options) {
        // a folder with no model in it: the options are checked before anything is read
        CommandLineTest.Run r = generate(tmp.resolve("no-model-here"), options);
        assertEquals(2, r.exit(), r.err());
        assertEquals("racro4j generate: " + message + System.lineSeparator(), r.err());
    }

    @Test
    void outOfRangeSamplingOptionsAreOneLineErrors() {
        refused("--top-p must be in (0, 1] (1 = off), got 2.0", "--top-p", "2");
        refused("--top-p must be in (0, 1] (1 = off), got 0.0", "--top-p", "0");
        refused("--top-k must be >= 0 (0 = off), got -3", "--top-k", "-3");
        refused("--temperature must be finite and >= 0 (0 = greedy), got Infinity", "--temperature", "Infinity");
        refused("--temperature must be finite and >= 0 (0 = greedy), got NaN", "--temperature", "NaN");
        refused("--temperature must be finite and >= 0 (0 = greedy), got -0.5", "--temperature", "-0.5");
        refused("--max-new-tokens must be >= 0, got -1", "--max-new-tokens", "-1");
    }

    @Test
    void newTokensBeyondTheContextAreRefusedBeforeAnythingIsAllocated() {
        CommandLineTest.Run huge = generate(modelDir, "--max-new-tokens", "1000000000");
        assertEquals(2, huge.exit(), huge.err());
        assertEquals("racro4j generate: --max-new-tokens (1000000000) does not fit the model's context: the prompt takes 4 of its 32 "
                + "positions (max_position_embeddings), leaving 28 for new tokens" + System.lineSeparator(), huge.err());
        CommandLineTest.Run oneTooMany = generate(modelDir, "--max-new-tokens", "29");
        assertEquals(2, oneTooMany.exit(), oneTooMany.err());
        CommandLineTest.Run fits = generate(modelDir, "--max-new-tokens", "28", "--top-k", "0", "--top-p", "1", "--temperature", "0");
        assertEquals(0, fits.exit(), fits.err());
        // not given, the default of 64 shrinks to the 28 positions left: the same greedy text as asking for 28
        CommandLineTest.Run byDefault = generate(modelDir);
        assertEquals(0, byDefault.exit(), byDefault.err());
        assertEquals(fits.out(), byDefault.out());
    }

    @Test
    void benchShapeSizesBelowOneAreNamed() {
        CommandLineTest.Run r = CommandLineTest.run("bench", "train-step", "--layers", "1", "--dim", "64", "--heads", "0", "--kv-heads", "1",
                "--vocab", "100", "--seq", "8", "--batch", "1");
        assertEquals(2, r.exit(), r.err());
        assertEquals("racro4j train-step: --heads must be >= 1, got 0" + System.lineSeparator(), r.err());
    }
}

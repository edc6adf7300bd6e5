package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.models.tokenizer.WordLevelTokenizer;

/**
 * `racro4j generate` with its sampling options (--temperature, --top-k, --top-p, --seed) on a tiny random Qwen2 model.
 * The reference is the test's own decoding: the model's full forward pass over prompt + tokens so far (no KV cache),
 * its argmax for greedy, and the top-k set and the nucleus computed here from those logits for the sampled runs.
 *
 * <p>The model's tokenizer.json marks only {@code <eos>} as special, so every other token the model can produce is
 * printed as a word and the printed text gives back the exact token ids (an {@code <eos>} ends the output).
 */
class GenerateSamplingTest {
    @TempDir
    static Path tmp;
    static Path modelDir;
    static Tokenizer tok;
    /** The saved model loaded once more, for the test's own forward passes. */
    static CausalLM reference;
    static int eos;
    static final String PROMPT = "the dog sat on";
    static final int MAX_NEW = 9;
    static final List<String> WORDS = List.of("the", "cat", "sat", "on", "mat", "a", "dog", "ran", ".", "and", "red", "hat", "under");

    @BeforeAll
    static void writeModel() throws IOException {
        modelDir = tmp.resolve("tiny-sampler");
        WordLevelTokenizer words = WordLevelTokenizer.of(WORDS);
        eos = words.specialTokens().eos();
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, words.vocabSize(), 16, 24, 2, 2, 1, 8, 32, 10000.0, 1e-6, true, true,
                -1, List.of(eos));
        try (CausalLM m = CausalLM.create(c, 5, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Generator g = new Generator(21);
            for (Tensor t : m.stateDict().values()) t.copyFrom(Tensor.randn(g, t.shape()).mul(0.6f));
            m.save(modelDir, Map.of());
        }
        Path json = modelDir.resolve("tokenizer.json");
        words.save(json);
        // <pad>, <unk>, <bos> become ordinary (printed) tokens; <eos> stays special.
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(json.toFile());
        for (JsonNode t : root.get("added_tokens")) {
            if (!t.get("content").asText().equals(WordLevelTokenizer.EOS)) ((ObjectNode) t).put("special", false);
        }
        mapper.writeValue(json.toFile(), root);
        tok = Tokenizers.load(json);
        reference = CausalLM.load(modelDir, DType.F32, Device.CPU);
    }

    @AfterAll
    static void closeModel() {
        reference.close();
    }

    /** Runs generate with the given sampling flags and returns the generated token ids (from the printed text). */
    private static int[] generate(String... sampling) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", modelDir.toString(), "--prompt", PROMPT,
                "--max-new-tokens", String.valueOf(MAX_NEW)));
        args.addAll(List.of(sampling));
        CommandLineTest.Run r = CommandLineTest.run(args.toArray(new String[0]));
        assertEquals(0, r.exit(), args + "\n" + r.err());
        String text = r.out().strip();
        int[] ids = text.isEmpty() ? new int[0] : tok.encode(text);
        // valid ids of the model, and the text is exactly their decoding (nothing lost or made up on the way)
        for (int id : ids) assertTrue(id >= 0 && id < tok.vocabSize() && id != eos, "token id " + id + " of " + text);
        assertEquals(text, tok.decode(ids, true), "the printed text decodes back to itself");
        assertTrue(ids.length <= MAX_NEW, text);
        return ids;
    }

    /** The model's next-token logits after prompt + generated, from a full forward pass without a cache. */
    private static float[] nextLogits(int[] generated) {
        int[] prompt = tok.encode(PROMPT);
        long[] all = new long[prompt.length + generated.length];
        for (int i = 0; i < prompt.length; i++) all[i] = prompt[i];
        for (int i = 0; i < generated.length; i++) all[prompt.length + i] = generated[i];
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            float[] logits = reference.forward(Tensor.ofLongs(all, 1, all.length), null, null).toFloatArray();
            int v = tok.vocabSize();
            return Arrays.copyOfRange(logits, (all.length - 1) * v, all.length * v);
        }
    }

    /** Greedy decoding done here: argmax of the full forward pass, step by step, until EOS or MAX_NEW tokens. */
    private static int[] referenceGreedy() {
        int[] out = new int[0];
        while (out.length < MAX_NEW) {
            float[] l = nextLogits(out);
            int best = 0;
            for (int j = 1; j < l.length; j++) if (l[j] > l[best]) best = j;
            if (best == eos) break;
            out = Arrays.copyOf(out, out.length + 1);
            out[out.length - 1] = best;
        }
        return out;
    }

    /**
     * Checks every step of a sampled output against the tokens the filters allow at that step, computed here from the
     * model's logits: the generated token at each position, and, when the output stopped early, EOS after the last.
     */
    private static void assertEveryStepAllowed(int[] generated, float temperature, int topK, double topP, String what) {
        int steps = generated.length < MAX_NEW ? generated.length + 1 : generated.length;
        for (int i = 0; i < steps; i++) {
            int chosen = i < generated.length ? generated[i] : eos;
            Set<Integer> allowed = allowed(nextLogits(Arrays.copyOf(generated, i)), temperature, topK, topP);
            assertTrue(allowed.contains(chosen), what + ": step " + i + " drew token " + chosen + ", allowed " + allowed
                    + ", output " + Arrays.toString(generated));
        }
    }

    /**
     * The tokens a top-k / top-p filter keeps: the k largest logits, then, of those, the most likely tokens until their
     * share of the top-k mass reaches p (the token that reaches it included). A small slack on p keeps a token that
     * sits exactly on the boundary from failing on rounding (the command's logits come through the KV cache).
     */
    private static Set<Integer> allowed(float[] logits, float temperature, int topK, double topP) {
        int v = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[v];
        double sum = 0;
        for (int j = 0; j < v; j++) {
            p[j] = Math.exp((logits[j] - max) / temperature);
            sum += p[j];
        }
        List<Integer> byProbability = new ArrayList<>();
        for (int j = 0; j < v; j++) byProbability.add(j);
        byProbability.sort((a, b) -> Double.compare(p[b], p[a]));
        int k = topK > 0 ? Math.min(topK, v) : v;
        double kMass = 0;
        for (int i = 0; i < k; i++) kMass += p[byProbability.get(i)];
        Set<Integer> keep = new HashSet<>();
        double mass = 0;
        for (int i = 0; i < k; i++) {
            keep.add(byProbability.get(i));
            mass += p[byProbability.get(i)];
            if (mass >= Math.min(1.0, topP + 1e-4) * kMass) break;
        }
        return keep;
    }

    @Test
    void greedyEqualsTheArgmaxOfAFullForwardPassAtEveryStep() {
        int[] want = referenceGreedy();
        assertTrue(want.length >= 3, "the tiny model should produce a few tokens before EOS: " + Arrays.toString(want));
        assertArrayEquals(want, generate(), "default (temperature 0)");
        assertArrayEquals(want, generate("--temperature", "0", "--seed", "99"), "temperature 0 ignores the seed");
    }

    @Test
    void topKOneAndATinyTopPAreGreedyAtAnyTemperatureAndSeed() {
        int[] greedy = referenceGreedy();
        for (String seed : List.of("1", "7", "123")) {
            assertArrayEquals(greedy, generate("--temperature", "1.7", "--top-k", "1", "--seed", seed), "top-k 1, seed " + seed);
            assertArrayEquals(greedy, generate("--temperature", "1.3", "--top-p", "0.001", "--seed", seed), "top-p 0.001, seed " + seed);
        }
    }

    @Test
    void theSameSeedRepeatsAndDifferentSeedsDifferAtHighTemperature() {
        Set<String> outputs = new HashSet<>();
        for (int seed = 0; seed < 4; seed++) {
            int[] a = generate("--temperature", "2.5", "--seed", String.valueOf(seed));
            int[] b = generate("--temperature", "2.5", "--seed", String.valueOf(seed));
            assertArrayEquals(a, b, "seed " + seed + " twice");
            outputs.add(Arrays.toString(a));
        }
        assertTrue(outputs.size() >= 3, "four seeds at temperature 2.5 should give different outputs: " + outputs);
    }

    @Test
    void topKAndTopPSampleOnlyTokensTheFilterKeeps() {
        Set<String> topK = new HashSet<>();
        Set<String> topP = new HashSet<>();
        for (int seed = 0; seed < 5; seed++) {
            int[] k = generate("--temperature", "2", "--top-k", "3", "--seed", String.valueOf(seed));
            assertEveryStepAllowed(k, 2f, 3, 1.0, "top-k 3, seed " + seed);
            topK.add(Arrays.toString(k));
            int[] p = generate("--temperature", "1.5", "--top-p", "0.6", "--seed", String.valueOf(seed));
            assertEveryStepAllowed(p, 1.5f, 0, 0.6, "top-p 0.6, seed " + seed);
            topP.add(Arrays.toString(p));
            int[] both = generate("--temperature", "3", "--top-k", "4", "--top-p", "0.7", "--seed", String.valueOf(seed));
            assertEveryStepAllowed(both, 3f, 4, 0.7, "top-k 4 then top-p 0.7, seed " + seed);
        }
        // the filters still sample: these checks would be vacuous if every seed gave the greedy output
        assertTrue(topK.size() >= 2, "top-k 3 outputs: " + topK);
        assertTrue(topP.size() >= 2, "top-p 0.6 outputs: " + topP);
    }

    @Test
    void aLowTemperatureFollowsTheArgmax() {
        int[] greedy = referenceGreedy();
        // The smallest lead of the best logit over the runner-up along the greedy path, computed here; at a temperature
        // of a twentieth of it, any other token has probability below vocab * exp(-20) (about 4e-8) at every step.
        double lead = Double.POSITIVE_INFINITY;
        for (int i = 0; i <= greedy.length && i < MAX_NEW; i++) {
            float[] sorted = nextLogits(Arrays.copyOf(greedy, i)).clone();
            Arrays.sort(sorted);
            lead = Math.min(lead, sorted[sorted.length - 1] - sorted[sorted.length - 2]);
        }
        assertTrue(lead > 0.05, "the greedy path has a near tie (lead " + lead + "); pick another model seed");
        String temperature = String.valueOf((float) (lead / 20));
        for (String seed : List.of("2", "5", "8")) {
            assertArrayEquals(greedy, generate("--temperature", temperature, "--seed", seed), "temperature " + temperature + ", seed " + seed);
        }
    }
}

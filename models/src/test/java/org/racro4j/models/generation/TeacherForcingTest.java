package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.ReferenceDecoder;
import org.racro4j.models.decoder.TestModels;

class TeacherForcingTest {
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.LLAMA, 31, 20, 36, 2, 5, 1, 4, 64, 10000.0, 1e-5, false, false, 0, List.of(1));

    /** Two independent code paths (cached left-padded decoding vs one right-padded forward) must agree. */
    @Test
    void scoresEqualTheLogProbsSampledByGeneration() {
        try (CausalLM lm = TestModels.randomModel(CONFIG, 5)) {
            List<int[]> prompts = List.of(TextGenerationTest.ids(1, 6), TextGenerationTest.ids(2, 3), TextGenerationTest.ids(3, 9));
            Tensor prefix;
            try (Autograd.Mode off = Autograd.noGrad()) {
                prefix = Tensor.randn(new org.racro4j.core.random.Generator(9), 3, 2, CONFIG.hiddenSize());
            }
            for (float temp : new float[] {1f, 0.7f}) {
                List<Generated> gen = TextGeneration.generate(lm, prefix, prompts, new SamplingConfig(7, temp, 0, 1f, 3, Set.of()));
                TeacherForcing.Scores s = TeacherForcing.score(lm, prefix, prompts,
                        gen.stream().map(Generated::tokens).toList(), temp, true);
                float[] lp = s.logProbs().toFloatArray();
                float[] mask = s.mask().toFloatArray();
                int l = s.logProbs().size(1);
                for (int r = 0; r < 3; r++) {
                    for (int j = 0; j < l; j++) {
                        boolean real = j < gen.get(r).tokens().length;
                        assertEquals(real ? 1f : 0f, mask[r * l + j]);
                        if (real) assertEquals(gen.get(r).logProbs()[j], lp[r * l + j], 1e-4, "row " + r + " token " + j + " at T=" + temp);
                        else assertEquals(0f, lp[r * l + j]);
                    }
                }
            }
        }
    }

    /** Two rows predicting their first target from a one-token context: a pad entry that leaked would not be 0. */
    static final List<int[]> CONTEXTS = List.of(new int[] {7}, new int[] {3, 11, 29, 2, 17, 5}, new int[] {13, 1, 22},
            new int[] {19});
    static final List<int[]> TARGETS = List.of(new int[] {4, 26, 9, 15, 30}, new int[] {8, 21}, new int[] {6, 12, 27, 3},
            new int[] {25});
    static final int PREFIX = 2;

    /** Random image-token embeddings [B][P][D], O(1) like the token embeddings. */
    static double[][][] randomPrefix(long seed, int rows) {
        org.racro4j.core.random.Generator g = new org.racro4j.core.random.Generator(seed);
        double[][][] x = new double[rows][PREFIX][CONFIG.hiddenSize()];
        for (double[][] row : x) for (double[] e : row) for (int k = 0; k < e.length; k++) e[k] = 0.4 * (2 * g.nextFloat() - 1);
        return x;
    }

    static Tensor tensorOf(double[][][] x) {
        int b = x.length;
        int p = x[0].length;
        int d = x[0][0].length;
        float[] f = new float[b * p * d];
        for (int r = 0; r < b; r++) for (int i = 0; i < p; i++) for (int k = 0; k < d; k++) f[(r * p + i) * d + k] = (float) x[r][i][k];
        return Tensor.of(f, b, p, d);
    }

    /**
     * Float64 log-probabilities (and entropies) of one row's targets, by the definition: the row alone, unpadded, as
     * [prefix][context][target]; the logits at position i, divided by the temperature, predict the token at i + 1.
     * Returns [2][targets]: log p(target_j | everything before it), then the entropy of that distribution.
     */
    static double[][] reference(ReferenceDecoder ref, double[][] prefix, int[] ctx, int[] tgt, double temperature) {
        int p = prefix == null ? 0 : prefix.length;
        double[][] input = new double[p + ctx.length + tgt.length][];
        for (int i = 0; i < p; i++) input[i] = prefix[i].clone();
        for (int i = 0; i < ctx.length; i++) input[p + i] = ref.embedding(ctx[i]);
        for (int j = 0; j < tgt.length; j++) input[p + ctx.length + j] = ref.embedding(tgt[j]);
        double[][] logits = ref.logitsOfEmbeddings(input);
        double[][] out = new double[2][tgt.length];
        for (int j = 0; j < tgt.length; j++) {
            double[] row = logits[p + ctx.length + j - 1];
            double max = Double.NEGATIVE_INFINITY;
            for (double v : row) max = Math.max(max, v / temperature);
            double sum = 0;
            for (double v : row) sum += Math.exp(v / temperature - max);
            double logZ = max + Math.log(sum);
            out[0][j] = row[tgt[j]] / temperature - logZ;
            double h = 0;
            for (double v : row) {
                double lp = v / temperature - logZ;
                h -= Math.exp(lp) * lp;
            }
            out[1][j] = h;
        }
        return out;
    }

    private static void checkScoresAgainstReference(CausalLM lm, double[][][] prefix, float temperature) {
        ReferenceDecoder ref = new ReferenceDecoder(CONFIG, lm.stateDict());
        TeacherForcing.Scores s;
        try (Autograd.Mode off = Autograd.noGrad()) {
            s = TeacherForcing.score(lm, prefix == null ? null : tensorOf(prefix), CONTEXTS, TARGETS, temperature, true);
        }
        int l = s.logProbs().size(1);
        assertEquals(5, l, "the longest target");
        float[] lp = s.logProbs().toFloatArray();
        float[] h = s.entropy().toFloatArray();
        float[] mask = s.mask().toFloatArray();
        String what = (prefix == null ? "no prefix" : "prefix") + ", T=" + temperature;
        for (int r = 0; r < CONTEXTS.size(); r++) {
            int n = TARGETS.get(r).length;
            double[][] want = reference(ref, prefix == null ? null : prefix[r], CONTEXTS.get(r), TARGETS.get(r), temperature);
            for (int j = 0; j < l; j++) {
                int at = r * l + j;
                if (j < n) {
                    assertEquals(1f, mask[at], what + ": mask of row " + r + " token " + j);
                    assertEquals(want[0][j], lp[at], 1e-4 * (1 + Math.abs(want[0][j])), what + ": log-probability of row " + r + " token " + j);
                    assertEquals(want[1][j], h[at], 1e-4 * (1 + want[1][j]), what + ": entropy of row " + r + " token " + j);
                } else {
                    assertEquals(0f, mask[at], 0f, what + ": mask of row " + r + " padding " + j);
                    assertEquals(0f, lp[at], 0f, what + ": log-probability of row " + r + " padding " + j);
                    assertEquals(0f, h[at], 0f, what + ": entropy of row " + r + " padding " + j);
                }
            }
        }
    }

    /**
     * Log-probabilities and entropies of a right-padded batch equal a float64 loop-by-loop decoder's run on each row
     * alone, with and without image-token prefixes, at temperatures 1 and 0.7. A shifted label position, a missing
     * temperature, a prefix placed after the context or padding that is not zeroed would each fail here.
     */
    @Test
    void logProbsAndEntropiesMatchTheFloat64Reference() {
        try (CausalLM lm = TestModels.randomModel(CONFIG, 6)) {
            for (float temp : new float[] {1f, 0.7f}) {
                checkScoresAgainstReference(lm, null, temp);
                checkScoresAgainstReference(lm, randomPrefix(8, CONTEXTS.size()), temp);
            }
        }
    }

    /**
     * Gradients of loss = sum over [B, L] of c · logProbs (c random, non-zero on padding too) equal central finite
     * differences of the float64 reference's loss, which sums c · log p over the real target tokens only, taken on
     * weight elements of every kind (the embedding rows of a context and of a target token, attention, MLP, norms,
     * the untied head) and on the image-token prefix; once with a prefix and once without (then the one-token
     * contexts make a padding entry that leaked non-zero). Gradient leaking from padding, a wrong temperature in the
     * backward, or a prefix cut off from the graph would each fail here.
     */
    @Test
    void gradientsMatchFiniteDifferencesOfTheFloat64Reference() {
        checkGradients(randomPrefix(9, CONTEXTS.size()));
        checkGradients(null);
    }

    private static void checkGradients(double[][][] prefix) {
        float temperature = 0.7f;
        org.racro4j.core.random.Generator g = new org.racro4j.core.random.Generator(10);
        int l = 5;
        float[] coef = new float[CONTEXTS.size() * l];
        for (int i = 0; i < coef.length; i++) coef[i] = 0.5f + g.nextFloat();
        String what = prefix == null ? "no prefix: " : "prefix: ";
        try (CausalLM lm = TestModels.randomModel(CONFIG, 7)) {
            ReferenceDecoder ref = new ReferenceDecoder(CONFIG, lm.stateDict());
            Tensor prefixT = prefix == null ? null : tensorOf(prefix).requiresGrad(true);
            TeacherForcing.Scores s = TeacherForcing.score(lm, prefixT, CONTEXTS, TARGETS, temperature, false);
            assertEquals(l, s.logProbs().size(1));
            s.logProbs().mul(Tensor.of(coef, CONTEXTS.size(), l)).sum().backward();

            java.util.function.DoubleSupplier loss = () -> {
                double sum = 0;
                for (int r = 0; r < CONTEXTS.size(); r++) {
                    double[] lp = reference(ref, prefix == null ? null : prefix[r], CONTEXTS.get(r), TARGETS.get(r), temperature)[0];
                    for (int j = 0; j < lp.length; j++) sum += coef[r * l + j] * lp[j];
                }
                return sum;
            };
            int d = CONFIG.hiddenSize();
            // {weight name, flat index}: embedding rows of context token 11 and target token 26, then one element each.
            Object[][] probes = {
                    {"model.embed_tokens.weight", 11 * d + 3}, {"model.embed_tokens.weight", 26 * d + 17},
                    {"model.layers.0.self_attn.q_proj.weight", 37}, {"model.layers.0.self_attn.v_proj.weight", 5},
                    {"model.layers.1.self_attn.o_proj.weight", 101}, {"model.layers.0.mlp.gate_proj.weight", 233},
                    {"model.layers.1.mlp.down_proj.weight", 419}, {"model.layers.1.input_layernorm.weight", 13},
                    {"model.norm.weight", 7}, {"lm_head.weight", 26 * d + 4}};
            double eps = 1e-4;
            for (Object[] probe : probes) {
                String name = (String) probe[0];
                int index = (Integer) probe[1];
                double[] w = ref.weight(name);
                double saved = w[index];
                w[index] = saved + eps;
                double up = loss.getAsDouble();
                w[index] = saved - eps;
                double down = loss.getAsDouble();
                w[index] = saved;
                double fd = (up - down) / (2 * eps);
                double got = lm.stateDict().get(name).grad().toFloatArray()[index];
                assertEquals(fd, got, 1e-4 * (0.1 + Math.abs(fd)), what + "d loss / d " + name + "[" + index + "]");
            }
            if (prefix == null) return;
            assertNotNull(prefixT.grad(), "the image-token prefix gets a gradient");
            float[] prefixGrad = prefixT.grad().toFloatArray();
            int[][] prefixProbes = {{0, 0, 3}, {1, 1, 19}, {2, 0, 11}, {3, 1, 0}};
            for (int[] pp : prefixProbes) {
                double saved = prefix[pp[0]][pp[1]][pp[2]];
                prefix[pp[0]][pp[1]][pp[2]] = saved + eps;
                double up = loss.getAsDouble();
                prefix[pp[0]][pp[1]][pp[2]] = saved - eps;
                double down = loss.getAsDouble();
                prefix[pp[0]][pp[1]][pp[2]] = saved;
                double fd = (up - down) / (2 * eps);
                double got = prefixGrad[(pp[0] * PREFIX + pp[1]) * d + pp[2]];
                assertEquals(fd, got, 1e-4 * (0.1 + Math.abs(fd)), "d loss / d prefix" + java.util.Arrays.toString(pp));
            }
        }
    }
}

package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.TestModels;

/**
 * Sampling draws tokens from the distribution it claims: many rows with the same prompt are sampled at once, and the
 * counts of each token are compared (Pearson's chi-square) with the probabilities worked out here in float64 from
 * the full forward's logits: softmax(logits / T), restricted to the top k, then to the shortest most-likely prefix
 * whose mass reaches p, renormalised. Sampling that ignored the temperature, a filter, or drew the same uniform for
 * every row would move the counts far outside what chance allows. The second token is checked too (among the rows
 * that drew the most common first token), so the decode steps are covered as well as the prefill.
 */
class SamplingDistributionTest {
    static final int ROWS = 2000;
    /** Chi-square with at most 28 degrees of freedom exceeds 80 with probability below 1e-6. */
    static final double CHI_SQUARE_LIMIT = 80;

    static CausalLM model;

    @BeforeAll
    static void makeModel() {
        model = TestModels.randomModel(TextGenerationTest.CONFIG, 21);
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    /** Float64 probabilities of the next token after {@code ids} under temperature, top-k and top-p, by definition. */
    static double[] expected(int[] ids, float temperature, int topK, float topP) {
        float[] logits;
        long[] all = new long[ids.length];
        for (int i = 0; i < ids.length; i++) all[i] = ids[i];
        try (Autograd.Mode off = Autograd.noGrad()) {
            float[] l = model.forward(Tensor.ofLongs(all, 1, ids.length), null, null).toFloatArray();
            int v = TextGenerationTest.CONFIG.vocabSize();
            logits = Arrays.copyOfRange(l, (ids.length - 1) * v, ids.length * v);
        }
        int v = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double[] p = new double[v];
        double sum = 0;
        for (int j = 0; j < v; j++) {
            p[j] = Math.exp((logits[j] - max) / temperature);
            sum += p[j];
        }
        for (int j = 0; j < v; j++) p[j] /= sum;
        Integer[] order = new Integer[v];
        for (int j = 0; j < v; j++) order[j] = j;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        int keep = topK > 0 ? Math.min(topK, v) : v;
        double topKMass = 0;
        for (int i = 0; i < keep; i++) topKMass += p[order[i]];
        if (topP < 1f) {
            double mass = 0;
            for (int i = 0; i < keep; i++) {
                mass += p[order[i]] / topKMass;
                if (mass >= topP) {
                    keep = i + 1;
                    break;
                }
            }
        }
        double kept = 0;
        for (int i = 0; i < keep; i++) kept += p[order[i]];
        double[] q = new double[v];
        for (int i = 0; i < keep; i++) q[order[i]] = p[order[i]] / kept;
        return q;
    }

    /**
     * Pearson's chi-square of the counts against n·q, bins with expectation below 5 pooled into one. A token with
     * probability zero that was drawn at all fails at once.
     */
    static double chiSquare(int[] counts, double[] q, int n, String what) {
        double stat = 0;
        double pooledExpected = 0;
        int pooledCount = 0;
        for (int j = 0; j < q.length; j++) {
            if (q[j] == 0) {
                assertTrue(counts[j] == 0, what + ": token " + j + " has probability 0 but was drawn " + counts[j] + " times");
                continue;
            }
            double e = n * q[j];
            if (e < 5) {
                pooledExpected += e;
                pooledCount += counts[j];
            } else {
                stat += (counts[j] - e) * (counts[j] - e) / e;
            }
        }
        if (pooledExpected > 0) stat += (pooledCount - pooledExpected) * (pooledCount - pooledExpected) / pooledExpected;
        return stat;
    }

    static String expectedCounts(double[] q, int n) {
        long[] e = new long[q.length];
        for (int j = 0; j < q.length; j++) e[j] = Math.round(q[j] * n);
        return Arrays.toString(e);
    }

    private static void check(float temperature, int topK, float topP, long seed) {
        int[] prompt = TextGenerationTest.ids(40 + seed, 6);
        List<int[]> prompts = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) prompts.add(prompt);
        List<Generated> out = TextGeneration.generate(model, prompts, new SamplingConfig(2, temperature, topK, topP, seed, Set.of()));
        int v = TextGenerationTest.CONFIG.vocabSize();
        String what = "T=" + temperature + " topK=" + topK + " topP=" + topP;

        int[] first = new int[v];
        for (Generated g : out) first[g.tokens()[0]]++;
        double[] q1 = expected(prompt, temperature, topK, topP);
        double chi1 = chiSquare(first, q1, ROWS, what + ", first token");
        assertTrue(chi1 < CHI_SQUARE_LIMIT, what + ", first token: chi-square " + chi1 + "\n counts   " + Arrays.toString(first)
                + "\n expected " + expectedCounts(q1, ROWS));

        int common = 0;
        for (int j = 1; j < v; j++) if (first[j] > first[common]) common = j;
        int[] second = new int[v];
        for (Generated g : out) if (g.tokens()[0] == common) second[g.tokens()[1]]++;
        int[] extended = Arrays.copyOf(prompt, prompt.length + 1);
        extended[prompt.length] = common;
        double[] q2 = expected(extended, temperature, topK, topP);
        double chi2 = chiSquare(second, q2, first[common], what + ", second token");
        assertTrue(chi2 < CHI_SQUARE_LIMIT, what + ", second token after " + common + " (" + first[common] + " rows): chi-square " + chi2
                + "\n counts   " + Arrays.toString(second)
                + "\n expected " + expectedCounts(q2, first[common]));
    }

    @Test
    void hotSamplingFollowsTheTemperatureScaledSoftmax() {
        check(2f, 0, 1f, 1);
    }

    @Test
    void coldSamplingFollowsTheTemperatureScaledSoftmax() {
        check(0.6f, 0, 1f, 2);
    }

    @Test
    void topKKeepsTheKMostLikelyTokensRenormalised() {
        check(1.5f, 4, 1f, 3);
    }

    @Test
    void topPKeepsTheShortestPrefixReachingPOfTheTopKMass() {
        check(1.5f, 9, 0.7f, 4);
    }
}

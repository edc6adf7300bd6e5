package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;

class TextGenerationTest {
    static CausalLM model;
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.QWEN2, 29, 24, 40, 2, 4, 2, 6, 48, 10000.0, 1e-6, true, true, 0, List.of(1));

    @BeforeAll
    static void makeModel() {
        model = org.racro4j.models.decoder.TestModels.randomModel(CONFIG, 21);
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    static int[] ids(long seed, int n) {
        Generator g = new Generator(seed);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = 2 + g.nextInt(CONFIG.vocabSize() - 2);
        return r;
    }

    /** Log-softmax of logits/temperature at every position of one full (uncached) forward over prompt + output. */
    static float[][] fullForwardLogProbs(int[] prompt, int[] out, float temperature) {
        int n = prompt.length + out.length;
        long[] all = new long[n];
        for (int i = 0; i < prompt.length; i++) all[i] = prompt[i];
        for (int i = 0; i < out.length; i++) all[prompt.length + i] = out[i];
        try (Autograd.Mode off = Autograd.noGrad()) {
            float[] lp = model.forward(Tensor.ofLongs(all, 1, n), null, null).div(temperature).logSoftmax(-1).toFloatArray();
            int v = CONFIG.vocabSize();
            float[][] rows = new float[n][v];
            for (int i = 0; i < n; i++) System.arraycopy(lp, i * v, rows[i], 0, v);
            return rows;
        }
    }

    @Test
    void greedyCachedDecodingEqualsFullRecomputation() {
        int[] prompt = ids(1, 7);
        Generated g = TextGeneration.generate(model, List.of(prompt), SamplingConfig.greedy(12, Set.of())).get(0);
        assertEquals(12, g.tokens().length);
        float[][] lp = fullForwardLogProbs(prompt, g.tokens(), 1f);
        for (int i = 0; i < g.tokens().length; i++) {
            float[] row = lp[prompt.length - 1 + i];
            int argmax = 0;
            for (int j = 1; j < row.length; j++) if (row[j] > row[argmax]) argmax = j;
            assertEquals(argmax, g.tokens()[i], "token " + i + " is the argmax of the full forward");
            assertEquals(row[g.tokens()[i]], g.logProbs()[i], 1e-4, "log-probability of token " + i);
        }
    }

    @Test
    void sampledLogProbsAreThoseOfTheTemperatureScaledDistribution() {
        int[] prompt = ids(2, 5);
        SamplingConfig cfg = new SamplingConfig(10, 0.8f, 0, 1f, 99, Set.of());
        Generated g = TextGeneration.generate(model, List.of(prompt), cfg).get(0);
        float[][] lp = fullForwardLogProbs(prompt, g.tokens(), 0.8f);
        for (int i = 0; i < g.tokens().length; i++) {
            assertEquals(lp[prompt.length - 1 + i][g.tokens()[i]], g.logProbs()[i], 1e-4, "log-probability of token " + i);
        }
    }

    /**
     * sampledLogProbs (taken from cross-entropy) is log-softmax at the ids bit for bit: random rows of awkward widths at
     * several temperatures, and a row whose drawn token holds all the mass (log-probability +0, not -0).
     */
    @Test
    void sampledLogProbsAreTheLogSoftmaxAtTheIdsBitForBit() {
        Generator g = new Generator(8);
        for (int v : new int[] {1, 7, 29, 513, 2050}) {
            for (float temperature : new float[] {0f, 1f, 0.7f, 2.5f}) {
                int rows = 9;
                float[] logits = new float[rows * v];
                long[] ids = new long[rows];
                for (int i = 0; i < logits.length; i++) logits[i] = (g.nextFloat() - 0.5f) * 24f;
                for (int r = 0; r < rows; r++) ids[r] = g.nextInt(v);
                logits[2 * v + (int) ids[2]] = 1e4f;   // all the mass on the drawn token: log-probability 0
                Tensor lf = Tensor.of(logits, rows, v);
                Tensor id = Tensor.ofLongs(ids, rows);
                SamplingConfig cfg = new SamplingConfig(1, temperature, 0, 1f, 3, Set.of());
                float t = temperature > 0 ? temperature : 1f;
                float[] want = (t == 1f ? lf : lf.div(t)).logSoftmax(-1).gather(1, id.reshape(rows, 1)).toFloatArray();
                float[] got = TextGeneration.sampledLogProbs(lf, cfg, id);
                for (int r = 0; r < rows; r++) {
                    assertEquals(Float.floatToRawIntBits(want[r]), Float.floatToRawIntBits(got[r]),
                            "vocabulary " + v + ", temperature " + temperature + ", row " + r + ": " + want[r] + " vs " + got[r]);
                }
                assertEquals(0, Float.floatToRawIntBits(got[2]), "+0 where the drawn token holds all the mass");
            }
        }
    }

    @Test
    void aPaddedBatchEqualsItsRowsRunAlone() {
        List<int[]> prompts = List.of(ids(3, 9), ids(4, 2), ids(5, 5));
        for (SamplingConfig cfg : List.of(SamplingConfig.greedy(8, Set.of()), new SamplingConfig(8, 1f, 5, 0.9f, 7, Set.of()))) {
            List<Generated> batch = TextGeneration.generate(model, prompts, cfg);
            for (int r = 0; r < prompts.size(); r++) {
                Generated alone = TextGeneration.generate(model, List.of(prompts.get(r)), cfg).get(0);
                if (cfg.temperature() == 0) {
                    assertArrayEquals(alone.tokens(), batch.get(r).tokens(), "row " + r + " tokens");
                    assertArrayEquals(alone.logProbs(), batch.get(r).logProbs(), 1e-4f, "row " + r + " log-probabilities");
                } else {
                    // Sampled rows draw different uniforms in a batch (row index picks the Philox word), so compare
                    // the batch's choices with the full-forward distribution instead.
                    float[][] lp = fullForwardLogProbs(prompts.get(r), batch.get(r).tokens(), 1f);
                    for (int i = 0; i < batch.get(r).tokens().length; i++) {
                        assertEquals(lp[prompts.get(r).length - 1 + i][batch.get(r).tokens()[i]], batch.get(r).logProbs()[i], 1e-4);
                    }
                }
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameSamplesAndAnotherSeedOthers() {
        List<int[]> prompts = List.of(ids(6, 4), ids(7, 6));
        SamplingConfig cfg = new SamplingConfig(16, 1.5f, 0, 1f, 1234, Set.of());
        List<Generated> a = TextGeneration.generate(model, prompts, cfg);
        List<Generated> b = TextGeneration.generate(model, prompts, cfg);
        List<Generated> c = TextGeneration.generate(model, prompts, cfg.withSeed(4321));
        for (int r = 0; r < 2; r++) assertArrayEquals(a.get(r).tokens(), b.get(r).tokens());
        assertFalse(java.util.Arrays.equals(a.get(0).tokens(), c.get(0).tokens()) && java.util.Arrays.equals(a.get(1).tokens(), c.get(1).tokens()));
    }

    @Test
    void rowsEndAtTheirStopTokenWhileOthersContinue() {
        int[] prompt = ids(8, 6);
        Generated free = TextGeneration.generate(model, List.of(prompt), SamplingConfig.greedy(10, Set.of())).get(0);
        int stop = free.tokens()[3];
        int firstAt = -1;
        for (int i = 0; i < free.tokens().length; i++) if (free.tokens()[i] == stop) { firstAt = i; break; }
        List<Generated> out = TextGeneration.generate(model, List.of(prompt, ids(9, 3)), SamplingConfig.greedy(10, Set.of(stop)));
        assertTrue(out.get(0).stopped());
        assertEquals(firstAt + 1, out.get(0).tokens().length, "ends right after the stop token");
        assertEquals(stop, out.get(0).tokens()[firstAt]);
    }

    @Test
    void aPrefixOfEmbeddingsActsLikeTokensBeforeThePrompt() {
        int[] pre = ids(10, 3);
        int[] prompt = ids(11, 4);
        int[] joined = new int[7];
        System.arraycopy(pre, 0, joined, 0, 3);
        System.arraycopy(prompt, 0, joined, 3, 4);
        Generated viaTokens = TextGeneration.generate(model, List.of(joined), SamplingConfig.greedy(6, Set.of())).get(0);
        Generated viaPrefix;
        try (Autograd.Mode off = Autograd.noGrad()) {
            Tensor prefix = model.embed(Tensor.ofLongs(new long[] {pre[0], pre[1], pre[2]}, 1, 3));
            // Also in a batch with a longer prompt, so the prefix sits after padding.
            List<Generated> both = TextGeneration.generate(model, Tensor.cat(List.of(prefix, prefix), 0),
                    List.of(prompt, ids(12, 8)), SamplingConfig.greedy(6, Set.of()));
            viaPrefix = both.get(0);
        }
        assertArrayEquals(viaTokens.tokens(), viaPrefix.tokens());
        assertArrayEquals(viaTokens.logProbs(), viaPrefix.logProbs(), 1e-4f);
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedWithTheLengths() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TextGeneration.generate(model, List.of(ids(13, 60)), SamplingConfig.greedy(2, Set.of())));
        assertTrue(e.getMessage().contains("60 tokens") && e.getMessage().contains("48"), e.getMessage());
    }

    /**
     * Asking for more new tokens than the context holds (here 2^31 - 1 of a 48-position context) generates until the
     * context is full — 48 - 5 + 1 tokens after a 5-token prompt, the first from the prompt's logits — and sizes
     * nothing by the request: the same tokens as a request for exactly that many, no OutOfMemoryError.
     */
    @Test
    void aRequestBeyondTheContextStopsWhereTheContextEnds() {
        int[] prompt = ids(15, 5);
        Generated all = TextGeneration.generate(model, List.of(prompt), SamplingConfig.greedy(Integer.MAX_VALUE, Set.of())).get(0);
        assertEquals(48 - 5 + 1, all.tokens().length);
        Generated exact = TextGeneration.generate(model, List.of(prompt), SamplingConfig.greedy(44, Set.of())).get(0);
        assertArrayEquals(exact.tokens(), all.tokens());
    }

    /**
     * Top-k 1 leaves one candidate, so every row is the greedy continuation whatever the temperature and the uniforms
     * drawn; the same rows sampled without the filter must not all be greedy (at temperature 2 each of 8 tokens has
     * other likely candidates). How sampled tokens are distributed is checked in {@link SamplingDistributionTest}.
     */
    @Test
    void topKOneIsGreedy() {
        int[] prompt = ids(14, 5);
        Generated greedy = TextGeneration.generate(model, List.of(prompt), SamplingConfig.greedy(8, Set.of())).get(0);
        List<int[]> many = new ArrayList<>();
        for (int i = 0; i < 6; i++) many.add(prompt);
        List<Generated> k1 = TextGeneration.generate(model, many, new SamplingConfig(8, 2f, 1, 1f, 5, Set.of()));
        for (int r = 0; r < many.size(); r++) {
            assertArrayEquals(greedy.tokens(), k1.get(r).tokens(), "row " + r + " with top-k 1 at temperature 2");
        }
        List<Generated> hot = TextGeneration.generate(model, many, new SamplingConfig(8, 2f, 0, 1f, 5, Set.of()));
        int notGreedy = 0;
        for (Generated g : hot) if (!java.util.Arrays.equals(greedy.tokens(), g.tokens())) notGreedy++;
        assertTrue(notGreedy >= 5, notGreedy + " of 6 rows sampled at temperature 2 differ from the greedy continuation");
    }
}

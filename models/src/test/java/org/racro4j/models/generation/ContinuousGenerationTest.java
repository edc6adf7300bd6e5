package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.TestModels;
import org.racro4j.models.generation.ContinuousGeneration.Request;

/**
 * Continuous batching against independent references: each request generated alone by TextGeneration (greedy), a
 * teacher-forced full forward over prompt + output (log-probabilities), and itself under other slot counts and
 * request orders (sampling).
 *
 * <p>Log-probabilities are compared within 2e-5 (absolute, on values of order 1 to 10), not bit for bit: a row's
 * attention sums over keys whose positions in the shared cache depend on when it was admitted, so the vector lanes
 * its terms fall into differ from a run alone, and the CPU matrix product picks its kernel by the number of rows
 * in flight. Both change float rounding only (about 1e-6 here); a wrong position, mask or row gives errors of 0.1
 * and more.
 */
class ContinuousGenerationTest {
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.QWEN2, 37, 24, 40, 2, 4, 2, 6, 64, 10000.0, 1e-6, true, true, 0, List.of(1));
    static final float TOL = 2e-5f;
    /** Prompt lengths and new-token limits of very different sizes (awkward, not powers of two). */
    static final int[] PROMPTS = {3, 19, 1, 11, 27, 6, 2, 14, 9};
    static final int[] MAX_NEW = {17, 3, 29, 1, 9, 23, 5, 12, 30};
    static final int STOP = 4;
    static CausalLM model;

    @BeforeAll
    static void makeModel() {
        model = TestModels.randomModel(CONFIG, 31);
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

    static List<Request> requests() {
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) out.add(Request.of(ids(100 + i, PROMPTS[i]), MAX_NEW[i]));
        return out;
    }

    static void assertSame(Generated want, Generated got, float tol, String what) {
        assertArrayEquals(want.tokens(), got.tokens(), what + " tokens");
        assertArrayEquals(want.logProbs(), got.logProbs(), tol, what + " log-probabilities");
        assertEquals(want.stopped(), got.stopped(), what + " stopped");
    }

    /** (a) Greedy: every request's tokens are those of TextGeneration of the request alone. */
    @Test
    void greedyEqualsEachRequestAlone() {
        List<Request> requests = requests();
        SamplingConfig cfg = SamplingConfig.greedy(40, Set.of(STOP));
        List<Generated> alone = new ArrayList<>();
        for (Request r : requests) {
            alone.add(TextGeneration.generate(model, List.of(r.prompt()), SamplingConfig.greedy(r.maxNewTokens(), Set.of(STOP))).get(0));
        }
        int produced = 0;
        for (int slots : new int[] {2, 3, 9}) {
            List<Generated> got = ContinuousGeneration.generate(model, requests, cfg, slots);
            assertEquals(requests.size(), got.size());
            for (int i = 0; i < requests.size(); i++) assertSame(alone.get(i), got.get(i), TOL, slots + " slots, request " + i);
            produced = 0;
            for (Generated g : got) produced += g.tokens().length;
        }
        // the lengths really differ (some requests stop or end early), else this would test little
        assertTrue(produced > 60, "only " + produced + " tokens in all");
    }

    /** (b) Sampling at temperature 1 does not depend on the slot count or the order of the requests. */
    @Test
    void samplesDoNotDependOnSlotsOrOrder() {
        List<Request> requests = requests();
        SamplingConfig cfg = new SamplingConfig(40, 1f, 0, 1f, 77, Set.of(STOP));
        List<Generated> one = ContinuousGeneration.generate(model, requests, cfg, 1);
        for (int slots : new int[] {3, requests.size()}) {
            List<Generated> got = ContinuousGeneration.generate(model, requests, cfg, slots);
            for (int i = 0; i < requests.size(); i++) assertSame(one.get(i), got.get(i), TOL, slots + " slots, request " + i);
        }
        // reversed order, each request keeping its stream: other neighbours, admission times and clocks, same samples
        int n = requests.size();
        List<Request> reversed = new ArrayList<>();
        for (int i = 0; i < n; i++) reversed.add(requests.get(i).withStream(i));
        Collections.reverse(reversed);
        List<Generated> rev = ContinuousGeneration.generate(model, reversed, cfg, 3);
        for (int i = 0; i < n; i++) assertSame(one.get(i), rev.get(n - 1 - i), TOL, "reversed, request " + i);
        // another seed draws other tokens: the samples are not greedy in disguise
        List<Generated> other = ContinuousGeneration.generate(model, requests, cfg.withSeed(78), 3);
        int differ = 0;
        for (int i = 0; i < requests.size(); i++) if (!java.util.Arrays.equals(one.get(i).tokens(), other.get(i).tokens())) differ++;
        assertTrue(differ >= 5, differ + " of " + requests.size() + " requests differ under another seed");
    }

    /** (c) The log-probabilities of sampled tokens are those of one teacher-forced forward over prompt + output. */
    @Test
    void logProbsAgreeWithTeacherForcing() {
        List<Request> requests = requests();
        float temperature = 1.3f;
        SamplingConfig cfg = new SamplingConfig(40, temperature, 0, 1f, 5, Set.of(STOP));
        List<Generated> got = ContinuousGeneration.generate(model, requests, cfg, 4);
        List<int[]> contexts = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            contexts.add(requests.get(i).prompt());
            targets.add(got.get(i).tokens());
        }
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            TeacherForcing.Scores ref = TeacherForcing.score(model, null, contexts, targets, temperature, false);
            int l = ref.logProbs().size(1);
            float[] lp = ref.logProbs().toFloatArray();
            for (int i = 0; i < requests.size(); i++) {
                float[] want = java.util.Arrays.copyOfRange(lp, i * l, i * l + got.get(i).tokens().length);
                assertArrayEquals(want, got.get(i).logProbs(), TOL, "request " + i);
            }
        }
    }

    /**
     * (d) A cache just long enough for the longest request: with 2 slots the clock passes the capacity many times,
     * so the cache shifts and rotary positions continue from its offset; results are still those of (a).
     */
    @Test
    void shiftingTheCacheKeepsTheResults() {
        List<Request> requests = requests();
        SamplingConfig cfg = SamplingConfig.greedy(40, Set.of(STOP));
        int longest = 0;
        for (int i = 0; i < PROMPTS.length; i++) longest = Math.max(longest, PROMPTS[i] + MAX_NEW[i] - 1);
        List<Generated> got = ContinuousGeneration.generate(model, requests, cfg, 2, 1, longest);
        int decodeSteps = 0;
        for (int i = 0; i < requests.size(); i++) {
            Generated alone = TextGeneration.generate(model, List.of(requests.get(i).prompt()),
                    SamplingConfig.greedy(MAX_NEW[i], Set.of(STOP))).get(0);
            assertSame(alone, got.get(i), TOL, "request " + i);
            decodeSteps += Math.max(0, got.get(i).tokens().length - 1);
        }
        // the clock starts at the longest prompt and each decode step, shared by at most 2 rows, moves it by one: without
        // shifts it would end past the capacity by this much
        int longestPrompt = java.util.Arrays.stream(PROMPTS).max().getAsInt();
        assertTrue(longestPrompt + (decodeSteps + 1) / 2 > longest + 15, decodeSteps + " decode steps for a capacity of " + longest);
    }

    /** Groups: G samples per request, admitted together, equal the list with every request repeated G times. */
    @Test
    void groupsWithPrefixesEqualRepeatedRequests() {
        SamplingConfig cfg = new SamplingConfig(20, 1f, 0, 1f, 9, Set.of(STOP));
        try (Scope s = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
            Generator g = new Generator(3);
            List<Request> requests = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Tensor prefix = i == 2 ? null : Tensor.randn(g, 2 + i, CONFIG.hiddenSize());
                requests.add(new Request(ids(300 + i, 2 * i + (i == 1 ? 0 : 3)), prefix, 6 + 4 * i, null, -1));
            }
            int groupSize = 3;
            List<Generated> grouped = ContinuousGeneration.generate(model, requests, cfg, 5, groupSize, 0);
            List<Request> repeated = new ArrayList<>();
            for (Request r : requests) for (int c = 0; c < groupSize; c++) repeated.add(r);
            List<Generated> plain = ContinuousGeneration.generate(model, repeated, cfg, 4);
            assertEquals(plain.size(), grouped.size());
            for (int i = 0; i < plain.size(); i++) assertSame(plain.get(i), grouped.get(i), TOL, "sample " + i);

            // and a prefix request alone equals TextGeneration with that prefix (greedy)
            SamplingConfig greedy = SamplingConfig.greedy(10, Set.of());
            List<Generated> cont = ContinuousGeneration.generate(model, requests, greedy, 2);
            for (int i = 0; i < requests.size(); i++) {
                Request r = requests.get(i);
                Tensor prefix = r.prefix() == null ? null : r.prefix().reshape(1, r.prefix().size(0), -1);
                Generated alone = TextGeneration.generate(model, prefix, List.of(r.prompt()), SamplingConfig.greedy(r.maxNewTokens(), Set.of()))
                        .get(0);
                assertSame(alone, cont.get(i), TOL, "prefix request " + i);
            }

            // what RL rollouts pass to TextGeneration (a [B, P, D] prefix, prompts, a group size), greedy: the same tokens
            Tensor prefix3 = Tensor.randn(g, 3, 4, CONFIG.hiddenSize());
            List<int[]> prompts = List.of(ids(400, 5), ids(401, 1), ids(402, 9));
            List<Generated> viaText = TextGeneration.generate(model, prefix3, prompts, SamplingConfig.greedy(12, Set.of(STOP)), 2);
            List<Generated> viaList = ContinuousGeneration.generate(model, Request.list(prefix3, prompts), SamplingConfig.greedy(12, Set.of(STOP)),
                    4, 2, 0);
            for (int i = 0; i < viaText.size(); i++) assertSame(viaText.get(i), viaList.get(i), TOL, "Request.list, sample " + i);
        }
    }

    /** Requests that may produce nothing, or end at their first token, still get their results in place. */
    @Test
    void zeroAndOneTokenRequests() {
        List<Request> requests = List.of(Request.of(ids(1, 5), 0), Request.of(ids(2, 7), 1), Request.of(ids(3, 4), 6));
        List<Generated> got = ContinuousGeneration.generate(model, requests, SamplingConfig.greedy(8, Set.of()), 1);
        assertEquals(0, got.get(0).tokens().length);
        assertEquals(1, got.get(1).tokens().length);
        assertSame(TextGeneration.generate(model, List.of(ids(3, 4)), SamplingConfig.greedy(6, Set.of())).get(0), got.get(2), TOL,
                "request 2");
        assertEquals(List.of(), ContinuousGeneration.generate(model, List.of(), SamplingConfig.greedy(8, Set.of()), 2));
    }

    /** (e) Bad input gets a message that names what is wrong. */
    @Test
    void badInputIsRefusedWithClearMessages() {
        SamplingConfig cfg = SamplingConfig.greedy(5, Set.of());
        List<Request> ok = List.of(Request.of(ids(1, 4)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContinuousGeneration.generate(model, ok, cfg, 0));
        assertTrue(e.getMessage().contains("slots must be at least 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ContinuousGeneration.generate(model, List.of(Request.of(ids(1, 4)), Request.of(new int[0])), cfg, 2));
        assertTrue(e.getMessage().contains("request 1 has an empty prompt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ContinuousGeneration.generate(model, List.of(Request.of(ids(1, 70))), cfg, 2));
        assertTrue(e.getMessage().contains("70 tokens") && e.getMessage().contains("context of 64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ContinuousGeneration.generate(model, ok, cfg, 2, 3, 0));
        assertTrue(e.getMessage().contains("2 slots cannot hold a group of 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ContinuousGeneration.generate(model, ok, cfg, 2, 1, 7));
        assertTrue(e.getMessage().contains("capacity 7 must be in [8, 64]"), e.getMessage());
        try (Scope s = Scope.open()) {
            Tensor wrong = Tensor.randn(new Generator(1), 3, CONFIG.hiddenSize() + 1);
            e = assertThrows(IllegalArgumentException.class,
                    () -> ContinuousGeneration.generate(model, List.of(new Request(ids(1, 4), wrong, 3, null, -1)), cfg, 2));
            assertTrue(e.getMessage().contains("prefix must be [P, 24]"), e.getMessage());
        }
    }
}

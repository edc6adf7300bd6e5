package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The bucketed walk gives the sorted walk's token (CpuSampling.sortedWalk, every token kept) or steps aside with -1,
 * on rows built to trip it: ties across buckets (tiny logits whose probabilities round alike), underflowing
 * probabilities, few distinct values, all equal, non-finite logits, and uniforms that put the target on or right beside
 * the sorted walk's own running sums; and on ordinary rows it decides nearly always (else it would save nothing).
 */
class BucketedWalkTest {
    private static final int KINDS = 10;

    @Test
    void picksTheSortedWalksTokenOrStepsAside() {
        SplittableRandom rnd = new SplittableRandom(23);
        BucketedWalk walk = new BucketedWalk();   // one instance throughout: reused arrays must not leak a row into the next
        int decided = 0;
        int draws = 0;
        for (int v : new int[] {1, 2, 3, 17, 100, 512, 513, 2048, 3001}) {
            for (int kind = 0; kind < KINDS; kind++) {
                for (int trial = 0; trial < 6; trial++) {
                    int base = 3;   // the row starts at 3, as rows of a batch do
                    float[] logits = new float[base + v + 2];
                    for (int j = 0; j < v; j++) logits[base + j] = logit(kind, j, rnd);
                    float temperature = new float[] {1f, 0.3f, 2.5f}[trial % 3];
                    int best = CpuSampling.argmax(logits, base, v);
                    double[] p = CpuSampling.probabilities(logits, base, v, logits[base + best], temperature);
                    double[] d = new double[v];
                    CpuSampling.scaledDifferences(logits, base, v, logits[base + best], temperature, d);
                    boolean finite = true;
                    for (int j = 0; j < v; j++) finite &= Float.isFinite(logits[base + j]);
                    for (float u : uniforms(logits, base, v, p, rnd)) {
                        int want = CpuSampling.sortedWalk(logits, base, v, p, 0, 1f, u);
                        int got = walk.pick(logits, base, v, BucketedWalk.min(logits, base, v), logits[base + best], d, u);
                        String what = "v " + v + ", kind " + kind + ", trial " + trial + ", u " + u;
                        draws++;
                        if (!finite) assertEquals(-1, got, what + ": a non-finite row goes to the sort");
                        if (got >= 0) {
                            decided++;
                            assertEquals(want, got, what);
                        }
                    }
                }
            }
        }
        assertTrue(decided > draws / 2, decided + " of " + draws + " draws decided without the sort");
    }

    @Test
    void ordinaryRowsAreDecidedWithoutTheSort() {
        SplittableRandom rnd = new SplittableRandom(5);
        BucketedWalk walk = new BucketedWalk();
        for (int v : new int[] {512, 2048}) {
            int asideCount = 0;
            int rows = 400;
            for (int r = 0; r < rows; r++) {
                float[] logits = new float[v];
                for (int j = 0; j < v; j++) logits[j] = (float) (rnd.nextGaussian() * 2);
                int best = CpuSampling.argmax(logits, 0, v);
                double[] p = CpuSampling.probabilities(logits, 0, v, logits[best], 1f);
                double[] d = new double[v];
                CpuSampling.scaledDifferences(logits, 0, v, logits[best], 1f, d);
                float u = (float) rnd.nextDouble();
                int got = walk.pick(logits, 0, v, BucketedWalk.min(logits, 0, v), logits[best], d, u);
                if (got < 0) asideCount++;
                else assertEquals(CpuSampling.sortedWalk(logits, 0, v, p, 0, 1f, u), got, "v " + v + ", row " + r);
            }
            assertTrue(asideCount <= rows / 100, asideCount + " of " + rows + " rows of " + v + " went to the sort");
        }
    }

    /**
     * Targets within 1e-14 of the total from one of the sorted walk's running sums, where the two walks' sums could
     * put the stop on different sides: found by searching rows of 2048 Gaussian logits for running sums s whose share
     * s / kept lies that close to a float u. The bucketed walk must agree with the sorted walk there or step aside.
     */
    @Test
    void targetsBesideTheSortedWalksRunningSumsAreDecidedAlikeOrLeftToTheSort() {
        SplittableRandom rnd = new SplittableRandom(77);
        BucketedWalk walk = new BucketedWalk();
        int v = 2048;
        int close = 0;
        for (int row = 0; row < 30_000 && close < 12; row++) {
            float[] logits = new float[v];
            for (int j = 0; j < v; j++) logits[j] = (float) rnd.nextGaussian();
            int best = CpuSampling.argmax(logits, 0, v);
            double[] p = CpuSampling.probabilities(logits, 0, v, logits[best], 1f);
            double[] d = new double[v];
            CpuSampling.scaledDifferences(logits, 0, v, logits[best], 1f, d);
            ProbabilityOrder order = new ProbabilityOrder();
            order.of(logits, 0, p);
            double[] sorted = order.sortedProbabilities();
            double kept = 0;
            for (int i = 0; i < v; i++) kept += sorted[i];
            double acc = 0;
            for (int i = 0; i < v - 1; i++) {
                acc += sorted[i];
                float u = (float) (acc / kept);
                for (float w : new float[] {Math.nextDown(u), u, Math.nextUp(u)}) {
                    if (Math.abs(w * kept - acc) > 1e-14 * kept) continue;
                    close++;
                    int want = CpuSampling.sortedWalk(logits, 0, v, p, 0, 1f, w);
                    int got = walk.pick(logits, 0, v, BucketedWalk.min(logits, 0, v), logits[best], d, w);
                    assertTrue(got == -1 || got == want, "row " + row + ", running sum " + i + ", u " + w + ": " + got + " vs " + want);
                }
            }
        }
        assertTrue(close >= 12, "only " + close + " close targets found");
    }

    /**
     * The margin covers how far sums of the same non-negative doubles drift apart in the orders the two walks take
     * (sorted, and by index within blocks of 16, as bucket masses): on rows made to round (one large value among many
     * tiny ones, geometric runs, random), every prefix of the sorted order against the same prefix summed in blocks, and
     * the totals, differ by less than a quarter of it; and they do differ (the rows round).
     */
    @Test
    void theMarginCoversHowFarSummationOrdersDrift() {
        SplittableRandom rnd = new SplittableRandom(41);
        double widest = 0;
        for (int v : new int[] {17, 100, 2048, 5000}) {
            for (int kind = 0; kind < 3; kind++) {
                double[] x = new double[v];
                for (int j = 0; j < v; j++) {
                    x[j] = switch (kind) {
                        case 0 -> j == v / 2 ? 1.0 : rnd.nextDouble() * 0x1p-50;
                        case 1 -> Math.pow(0.97, rnd.nextInt(v));
                        default -> rnd.nextDouble();
                    };
                }
                double[] sorted = x.clone();
                java.util.Arrays.sort(sorted);
                for (int i = 0, k = v - 1; i < k; i++, k--) {   // highest first
                    double t = sorted[i];
                    sorted[i] = sorted[k];
                    sorted[k] = t;
                }
                double sequential = 0;
                double blocks = 0;
                double block = 0;
                for (int i = 0; i < v; i++) sequential += sorted[i];
                double margin = BucketedWalk.margin(v, sequential);
                double running = 0;
                for (int i = 0; i < v; i++) {
                    running += sorted[i];
                    block += sorted[i];
                    if (i % 16 == 15 || i == v - 1) {
                        blocks += block;
                        block = 0;
                        double drift = Math.abs(running - blocks);
                        widest = Math.max(widest, drift / margin);
                        assertTrue(drift < margin / 4, "v " + v + ", kind " + kind + ", prefix " + i + ": " + drift + " vs " + margin);
                    }
                }
            }
        }
        assertTrue(widest > 0, "the rows were meant to round");
    }

    /**
     * Random uniforms, 0 and the largest below 1, and for a few of the sorted walk's running sums s the float nearest
     * s / kept and its neighbours, which put the target on (or next to) that sum.
     */
    private static List<Float> uniforms(float[] logits, int base, int v, double[] p, SplittableRandom rnd) {
        List<Float> us = new ArrayList<>(List.of(0f, Math.nextDown(1f), (float) rnd.nextDouble(), (float) rnd.nextDouble()));
        ProbabilityOrder order = new ProbabilityOrder();
        order.of(logits, base, p);
        double[] sorted = order.sortedProbabilities();
        double kept = 0;
        for (int i = 0; i < v; i++) kept += sorted[i];
        if (!(kept > 0) || Double.isInfinite(kept)) return us;
        for (int n = 0; n < 4; n++) {
            int stop = rnd.nextInt(v);
            double acc = 0;
            for (int i = 0; i <= stop; i++) acc += sorted[i];
            float u = (float) (acc / kept);
            for (float w : new float[] {Math.nextDown(u), u, Math.nextUp(u)}) if (w >= 0f && w < 1f) us.add(w);
        }
        return us;
    }

    private static float logit(int kind, int j, SplittableRandom r) {
        return switch (kind) {
            case 0 -> (float) (2 * r.nextGaussian());
            case 1 -> (float) (30 * r.nextGaussian());   // wide: a few tokens hold the mass
            case 2 -> r.nextInt(5) - 2f;   // few distinct values: crowded buckets
            // distinct logits within 1e-18 of the largest, 0: all in different buckets, all of probability exp(0) / v
            case 3 -> j == 0 ? 0f : (float) (-(1 + r.nextInt(1000)) * 1e-21);
            case 4 -> j % 2 == 0 ? (float) r.nextGaussian() : -800f - r.nextInt(50);   // half the probabilities underflow to 0
            case 5 -> 1.5f;   // all equal: at a power-of-two width the target lands exactly on running sums
            case 6 -> 1f + r.nextInt(1000) * 1e-6f;   // nearly equal, with ties
            case 7 -> j == 0 ? Float.NaN : (float) r.nextGaussian();
            case 8 -> j == 1 ? Float.NEGATIVE_INFINITY : (float) r.nextGaussian();
            // pairs of adjacent floats 1e-9 apart, the larger second: a pair shares a bucket, and its exps differ by about
            // an ulp, which the division by their sum can merge into one probability (then the first comes first)
            default -> j % 2 == 1 ? (float) (-(j / 2 + 1) * 1e-9) : Math.nextDown((float) (-(j / 2 + 1) * 1e-9));
        };
    }
}

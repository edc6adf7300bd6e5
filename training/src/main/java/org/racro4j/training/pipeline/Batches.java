package org.racro4j.training.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which training items a step sees: epochs are seeded permutations of the items, and step s takes the next
 * {@code batch} positions. A pure function of (seed, step), so a resumed run sees exactly the batches an
 * uninterrupted one would — the data position is the step number.
 */
public final class Batches {
    private Batches() {}

    public static <T> List<T> batch(List<T> items, int batch, long step, long seed) {
        int n = items.size();
        List<T> out = new ArrayList<>(batch);
        long first = step * (long) batch;
        int[] perm = null;
        long permEpoch = -1;
        for (int i = 0; i < batch; i++) {
            long pos = first + i;
            long epoch = pos / n;
            if (epoch != permEpoch) {
                perm = permutation(n, seed * 1_000_003L + epoch);
                permEpoch = epoch;
            }
            out.add(items.get(perm[(int) (pos % n)]));
        }
        return out;
    }

    static int[] permutation(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** A seed for step s of a stage: distinct per (run seed, stage, step). */
    public static long stepSeed(long seed, String stage, long step) {
        return seed * 0x9E3779B97F4A7C15L + stage.hashCode() * 1_000_003L + step;
    }
}

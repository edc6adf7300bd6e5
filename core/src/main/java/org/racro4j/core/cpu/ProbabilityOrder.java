package org.racro4j.core.cpu;

import java.util.Arrays;

/**
 * The token order sampling walks: by probability, highest first, equal probabilities by token id (Double.compare's
 * order, so NaN rows still give a total order). A strict total order, so any correct sort gives the one permutation.
 *
 * <p>The probabilities are a non-decreasing function of the logits (p = exp((l - max) / T) / sum, and Math.exp is
 * semi-monotonic), so the ids are first sorted by logit, highest first: a stable least-significant-digit radix sort of
 * 32-bit keys, four passes of one byte, each skipped when every key has the same byte there; a pass moves each key
 * with its id in one long (8% less time per row than two int arrays at vocabulary 512, one thread). Logits that differ can
 * still give equal probabilities (zeros where the exp underflows, NaN from infinities), and those runs are then put in
 * id order. The radix sort replaced a primitive quicksort over the doubles that still took a third of a decode step's
 * samples on a 512-word vocabulary (JFR, bench rollout, layers 2, dim 128, batch 8, one thread).
 *
 * <p>An instance holds the sort's arrays and is reused by one thread for row after row ({@link #forThread}): fresh
 * arrays for every row of every decode step were 3.4 MB of allocation per step at vocabulary 2048 and batch 64.
 */
final class ProbabilityOrder {
    private static final int RADIX_BITS = 8;
    private static final int BUCKETS = 1 << RADIX_BITS;
    private static final int PASSES = Integer.SIZE / RADIX_BITS;
    private static final ThreadLocal<ProbabilityOrder> PER_THREAD = ThreadLocal.withInitial(ProbabilityOrder::new);

    private final int[] counts = new int[PASSES * BUCKETS];
    /** Each token as its key (high 32 bits) and id (low 32 bits): a pass moves one long per token. */
    private long[] items = new long[0];
    private long[] spareItems = new long[0];
    private int[] order = new int[0];
    private double[] sorted = new double[0];

    /** The calling thread's instance. */
    static ProbabilityOrder forThread() {
        return PER_THREAD.get();
    }

    /**
     * Token ids 0..p.length-1 in sampling order, in an array of this instance's that the next call overwrites.
     *
     * @param logits the row's logits at {@code logits[base ... base + p.length - 1]}
     * @param p      the probabilities computed from them
     */
    int[] of(float[] logits, int base, double[] p) {
        int n = p.length;
        int[] order = byLogit(logits, base, n);
        if (sorted.length != n) sorted = new double[n];
        for (int i = 0; i < n; i++) sorted[i] = p[order[i]];
        for (int i = 0; i < n; ) {
            int end = i + 1;
            while (end < n && Double.compare(sorted[end], sorted[i]) == 0) end++;
            if (end - i > 1) Arrays.sort(order, i, end);   // equal probabilities from different logits: id order
            i = end;
        }
        return order;
    }

    /**
     * The probabilities of the last {@link #of} in its order (p[order[i]] at i), in an array of this instance's that the
     * next call overwrites: sampling sums them in that order, and one gather here spares it a gather per pass.
     */
    double[] sortedProbabilities() {
        return sorted;
    }

    /**
     * Ids sorted by logit, highest first (Float.compare's order), equal logits in id order, in an array of this
     * instance's that the next call overwrites.
     */
    int[] byLogit(float[] logits, int base, int n) {
        if (order.length != n) {
            items = new long[n];
            spareItems = new long[n];
            order = new int[n];
        }
        Arrays.fill(counts, 0);
        for (int j = 0; j < n; j++) {
            int k = descendingKey(logits[base + j]);
            items[j] = (long) k << Integer.SIZE | j;
            for (int pass = 0; pass < PASSES; pass++) counts[pass * BUCKETS + digit(k, pass)]++;
        }
        for (int pass = 0; pass < PASSES; pass++) {
            int offset = pass * BUCKETS;
            if (n == 0 || counts[offset + digit(items[0], pass)] == n) continue;   // one byte value everywhere: no change
            int start = 0;
            for (int b = 0; b < BUCKETS; b++) {
                int c = counts[offset + b];
                counts[offset + b] = start;
                start += c;
            }
            for (int i = 0; i < n; i++) {
                long item = items[i];
                spareItems[counts[offset + digit(item, pass)]++] = item;
            }
            long[] t = items;
            items = spareItems;
            spareItems = t;
        }
        for (int i = 0; i < n; i++) order[i] = (int) items[i];
        return order;
    }

    /**
     * A key whose unsigned ascending order is Float.compare's descending order: the raw bits (NaN made canonical) with
     * the magnitude bits of negatives flipped give a signed order equal to Float.compare's; flipping the sign bit makes
     * it unsigned, and flipping every bit reverses it.
     */
    static int descendingKey(float x) {
        int bits = Float.floatToIntBits(x);
        int signedOrder = bits ^ ((bits >> 31) & Integer.MAX_VALUE);
        return ~(signedOrder ^ Integer.MIN_VALUE);
    }

    private static int digit(int key, int pass) {
        return (key >>> (pass * RADIX_BITS)) & (BUCKETS - 1);
    }

    /** The digit of an item's key (its high 32 bits). */
    private static int digit(long item, int pass) {
        return (int) (item >>> (Integer.SIZE + pass * RADIX_BITS)) & (BUCKETS - 1);
    }
}

package org.racro4j.core.cpu;

import java.util.Arrays;

/**
 * The token order sampling walks: by probability, highest first, equal probabilities by token id (Double.compare's
 * order, so NaN rows still give a total order). A strict total order, so any correct sort gives the one permutation.
 *
 * <p>The probabilities are a non-decreasing function of the logits (p = exp((l - max) / T) / sum, and Math.exp is
 * semi-monotonic), so the ids are first sorted by logit, highest first: a stable least-significant-digit radix sort of
 * 32-bit keys, each pass skipped when every key has the same digit there; a pass moves each key with its id in one
 * long (8% less time per row than two int arrays at vocabulary 512, one thread). Rows of up to 512 tokens take four
 * passes of 8-bit digits, longer ones three of 11 bits: a pass fewer for 2048 counters a pass, about even at 512
 * tokens and ahead above (byLogit of Gaussian logits, one thread, four 8-bit passes in one counter array before, this
 * after: 64 rows of 512 tokens 198 and 177 us, of 1024 377 and 361 us, of 2048 781 and 608 us; 8 rows of 151936,
 * Qwen2's vocabulary, 6.84 and 5.41 ms). Logits that differ can
 * still give equal probabilities (zeros where the exp underflows, NaN from infinities), and those runs are then put in
 * id order. The radix sort replaced a primitive quicksort over the doubles that still took a third of a decode step's
 * samples on a 512-word vocabulary (JFR, bench rollout, layers 2, dim 128, batch 8, one thread).
 *
 * <p>An instance holds the sort's arrays and is reused by one thread for row after row ({@link #forThread}): fresh
 * arrays for every row of every decode step were 3.4 MB of allocation per step at vocabulary 2048 and batch 64.
 */
final class ProbabilityOrder {
    /** Digit widths: 8 bits (four passes) for rows of up to WIDE_FROM - 1 tokens, 11 (three passes) from there. */
    private static final int NARROW_BITS = 8;
    private static final int WIDE_BITS = 11;
    private static final int WIDE_FROM = 513;
    private static final ThreadLocal<ProbabilityOrder> PER_THREAD = ThreadLocal.withInitial(ProbabilityOrder::new);

    /** Each pass's counters, an array per pass (one array for all was 14% slower at 2048 tokens). */
    private final int[][] counts = new int[4][1 << WIDE_BITS];
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
        int bits = n < WIDE_FROM ? NARROW_BITS : WIDE_BITS;
        int passes = (Integer.SIZE + bits - 1) / bits;
        int mask = (1 << bits) - 1;
        for (int pass = 0; pass < passes; pass++) Arrays.fill(counts[pass], 0, mask + 1, 0);
        int[] c0 = counts[0];
        int[] c1 = counts[1];
        int[] c2 = counts[2];
        int[] c3 = counts[3];
        int all = -1;   // the bits every key has, and those any key has: a digit the same in every key needs no pass
        int any = 0;
        // every pass's digit of each key counted in one loop, written out for each width so that it is unrolled
        if (bits == NARROW_BITS) {
            for (int j = 0; j < n; j++) {
                int k = descendingKey(logits[base + j]);
                items[j] = (long) k << Integer.SIZE | j;
                c0[k & mask]++;
                c1[k >>> bits & mask]++;
                c2[k >>> 2 * bits & mask]++;
                c3[k >>> 3 * bits]++;
                all &= k;
                any |= k;
            }
        } else {
            for (int j = 0; j < n; j++) {
                int k = descendingKey(logits[base + j]);
                items[j] = (long) k << Integer.SIZE | j;
                c0[k & mask]++;
                c1[k >>> bits & mask]++;
                c2[k >>> 2 * bits]++;
                all &= k;
                any |= k;
            }
        }
        int differ = all ^ any;
        for (int pass = 0; pass < passes; pass++) {
            if ((differ >>> pass * bits & mask) != 0) pass(counts[pass], mask, Integer.SIZE + pass * bits, n);
        }
        for (int i = 0; i < n; i++) order[i] = (int) items[i];
        return order;
    }

    /** One stable pass of items into spareItems by the digit (item >>> shift) & mask, then the arrays swap. */
    private void pass(int[] count, int mask, int shift, int n) {
        int start = 0;
        for (int b = 0; b <= mask; b++) {
            int c = count[b];
            count[b] = start;
            start += c;
        }
        long[] from = items;
        long[] to = spareItems;
        for (int i = 0; i < n; i++) {
            long item = from[i];
            to[count[(int) (item >>> shift) & mask]++] = item;
        }
        items = to;
        spareItems = from;
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
}

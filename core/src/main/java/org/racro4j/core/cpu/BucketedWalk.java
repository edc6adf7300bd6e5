package org.racro4j.core.cpu;

import java.util.Arrays;

/**
 * The token sampling's walk picks when every token is kept ({@link CpuSampling#pick}: the probabilities in sampling
 * order, highest first, equal ones by id, summed until the sum passes u times their total), found without sorting the
 * row. Sorting took over half of a 512- or 2048-token row's sampling, and the walk needs the order of only the tokens
 * where it stops.
 *
 * <p>The tokens go into buckets by logit, highest first (a monotone function of the logit, so of the probability: a
 * bucket's tokens come after every token of the buckets before it in sampling order). The buckets' masses, summed in
 * any order, say which bucket the walk stops in; only that bucket's tokens are sorted, and the walk goes through them
 * from the mass before it. Two conditions make the answer the sorted walk's, bit for bit, or else this returns -1 and
 * the caller sorts:
 * <ul>
 *   <li>No token outside the bucket has the probability of one inside: different logits can round to one probability,
 *       and sampling order puts such a tie by id, not by logit (checked against the nearest tokens of the buckets on
 *       either side).</li>
 *   <li>Rounding cannot move the stop. The sorted walk sums in its order, this one in another; every sum of n
 *       non-negative doubles, in any order, is within n * 2^-53 (1 + small) of the exact sum, relative to the total. So
 *       the sums at the stop and just before it must differ from u times the total by more than the bound on all
 *       those differences together ({@link #margin}); then both walks stop at the same token.</li>
 * </ul>
 * Rows with a non-finite logit, or whose stop falls in a bucket of more than {@link #MAX_BUCKET} tokens, go to the
 * sort. Random rows of 512 and 2048 tokens (BucketedWalkTest) leave this path a few times in a billion draws.
 *
 * <p>An instance holds its arrays and is reused by one thread for row after row ({@link #forThread}).
 */
final class BucketedWalk {
    /** Tokens in the stop's bucket above which the row is sorted instead (the bucket's insertion sort is quadratic). */
    static final int MAX_BUCKET = 64;
    /** Buckets summed together, for the search of the stop's bucket. */
    private static final int BLOCK = 16;
    private static final ThreadLocal<BucketedWalk> PER_THREAD = ThreadLocal.withInitial(BucketedWalk::new);

    private int[] bucketOf = new int[0];
    private double[] mass = new double[0];
    private int[] count = new int[0];
    private double[] blockMass = new double[0];
    private final int[] members = new int[MAX_BUCKET];

    /** The calling thread's instance. */
    static BucketedWalk forThread() {
        return PER_THREAD.get();
    }

    /**
     * The token the sorted walk picks for uniform u, or -1 where this cannot tell.
     *
     * @param logits the row's logits at {@code logits[base ... base + v - 1]}
     * @param max    their largest
     * @param p      the probabilities computed from them (CpuSampling.probabilities), p[0 .. v-1]
     */
    int pick(float[] logits, int base, int v, float max, double[] p, float u) {
        float min = VectorApi.ENABLED ? LaneMax.min(logits, base, v) : plainMin(logits, base, v);
        float range = max - min;
        if (!(range < Float.POSITIVE_INFINITY)) return -1;   // a NaN or infinite logit, or a range past float's
        int buckets = Integer.highestOneBit(v);   // one or two tokens a bucket
        float scale = range > 0f ? (buckets - 1) / range : 0f;
        int blocks = (buckets + BLOCK - 1) / BLOCK;
        fit(v, buckets, blocks);
        Arrays.fill(mass, 0, buckets, 0.0);
        Arrays.fill(count, 0, buckets, 0);
        for (int j = 0; j < v; j++) {
            // (max - x) * scale and the cast are monotone: a higher logit never lands in a later bucket
            int b = Math.min(buckets - 1, (int) ((max - logits[base + j]) * scale));
            bucketOf[j] = b;
            mass[b] += p[j];
            count[b]++;
        }
        double total = 0;
        for (int k = 0; k < blocks; k++) {
            double s = 0;
            for (int b = k * BLOCK; b < Math.min(buckets, (k + 1) * BLOCK); b++) s += mass[b];
            blockMass[k] = s;
            total += s;
        }
        double target = u * total;
        // the stop's bucket: the first whose mass takes the sum past the target
        double before = 0;
        int k = 0;
        while (k < blocks && before + blockMass[k] <= target) before += blockMass[k++];
        if (k == blocks) return -1;
        int stop = k * BLOCK;
        int end = Math.min(buckets, stop + BLOCK);
        while (stop < end && before + mass[stop] <= target) before += mass[stop++];
        if (stop == end || count[stop] > MAX_BUCKET) return -1;
        int previous = stop - 1;
        while (previous >= 0 && count[previous] == 0) previous--;
        int next = stop + 1;
        while (next < buckets && count[next] == 0) next++;
        // the stop's bucket's tokens, in id order, and the nearest probabilities on either side
        int m = 0;
        double lowestBefore = Double.POSITIVE_INFINITY;
        double highestAfter = Double.NEGATIVE_INFINITY;
        int first = previous >= 0 ? previous : stop;
        int last = next < buckets ? next : stop;
        for (int j = 0; j < v; j++) {
            int b = bucketOf[j];
            if (b < first || b > last) continue;
            if (b == stop) members[m++] = j;
            else if (b < stop) lowestBefore = Math.min(lowestBefore, p[j]);
            else highestAfter = Math.max(highestAfter, p[j]);
        }
        sortBySamplingOrder(members, m, p);
        if (!(p[members[0]] < lowestBefore) || !(p[members[m - 1]] > highestAfter)) return -1;   // a tie across buckets
        double margin = margin(v, total);
        boolean nothingBefore = previous < 0;
        for (int i = 0; i < m; i++) {
            double after = before + p[members[i]];
            if (after > target) {
                if (after - target <= margin) return -1;
                if (!(nothingBefore && i == 0) && target - before <= margin) return -1;   // no sum before the first token
                return members[i];
            }
            before = after;
        }
        return -1;
    }

    /**
     * A bound on how far the sorted walk's sums (its total, the target from it, its running sum) and this walk's can
     * be apart, for v probabilities of that total: each sum of at most 3v non-negative terms is within
     * 3v * 2^-53 / (1 - 3v * 2^-53) of the exact sum, relative to the total; eight such errors and the target's
     * roundings are below 16 (v + 2) * 2^-53 of the total, with room to spare.
     */
    static double margin(int v, double total) {
        return 16.0 * (v + 2) * 0x1p-53 * total;
    }

    /** members[0 .. m-1] (ids in increasing order) by probability, highest first, equal ones by id: a stable insertion sort. */
    private static void sortBySamplingOrder(int[] members, int m, double[] p) {
        for (int i = 1; i < m; i++) {
            int id = members[i];
            double pi = p[id];
            int at = i - 1;
            while (at >= 0 && p[members[at]] < pi) {
                members[at + 1] = members[at];
                at--;
            }
            members[at + 1] = id;
        }
    }

    private static float plainMin(float[] x, int base, int n) {
        float min = Float.POSITIVE_INFINITY;
        for (int j = 0; j < n; j++) min = Math.min(min, x[base + j]);
        return min;
    }

    private void fit(int v, int buckets, int blocks) {
        if (bucketOf.length < v) bucketOf = new int[v];
        if (mass.length < buckets) {
            mass = new double[buckets];
            count = new int[buckets];
        }
        if (blockMass.length < blocks) blockMass = new double[blocks];
    }
}

package org.racro4j.core.cpu;

import java.util.Arrays;

/**
 * The token sampling's walk picks when every token is kept ({@link CpuSampling#pick}: the probabilities in sampling
 * order, highest first, equal ones by id, summed until the sum passes u times their total), found without sorting the
 * row and without Math.exp on most of it. Sorting took over half of a 512- or 2048-token row's sampling and Math.exp
 * (a call per token) a third; the walk needs the order and the exact values of only the tokens where it stops.
 *
 * <p>The tokens go into buckets by logit, highest first (a monotone function of the logit, so of the probability: a
 * bucket's tokens come after every token of the buckets before it in sampling order). The buckets' masses, from
 * approximate exps ({@link LaneSampling#approximateExp}) summed in any order, say which bucket the walk stops in; only
 * that bucket's tokens get Math.exp and are sorted, and the walk goes through them from the mass before it. The
 * probabilities are those exps over their sum, and the walk's choice does not change when all of them are scaled
 * alike, so no normalisation is needed here. Three conditions make the answer the sorted walk's, bit for bit, or else
 * this returns -1 and the caller computes the probabilities and sorts:
 * <ul>
 *   <li>No token outside the bucket has the probability of one inside: different logits can round to one exp or one
 *       probability, and sampling order puts such a tie by id, not by logit. Exps that differ by more than a relative
 *       2^-48 give different probabilities (the division by the sum rounds each by at most 2^-53); closer ones, against
 *       the nearest tokens of the buckets on either side and between neighbours in the bucket, go to the sort.</li>
 *   <li>Rounding cannot move the stop. The sorted walk sums its probabilities in its order, this one approximate exps
 *       in another; each term is within 2^-48 of its share of the total, and every sum of n non-negative doubles, in
 *       any order, is within n * 2^-53 (1 + small) of its exact value. So the sums at the stop and just before it
 *       must differ from u times the total by more than the bound on all of that together ({@link #margin}); then both
 *       walks stop at the same token.</li>
 *   <li>Every logit is finite, and the stop's bucket holds at most {@link #MAX_BUCKET} tokens.</li>
 * </ul>
 * Gaussian rows of 512 and 2048 logits (standard deviations 0.3, 2 and 8) left this path in none of 600,000 draws (a
 * probe); rows crowded into few values, or with ties, leave it more often.
 *
 * <p>An instance holds its arrays and is reused by one thread for row after row ({@link #forThread}).
 */
final class BucketedWalk {
    /** Tokens in the stop's bucket above which the row is sorted instead (the bucket's insertion sort is quadratic). */
    static final int MAX_BUCKET = 64;
    /** Buckets summed together, for the search of the stop's bucket. */
    private static final int BLOCK = 16;
    private static final ThreadLocal<BucketedWalk> PER_THREAD = ThreadLocal.withInitial(BucketedWalk::new);

    /** Each bucket's tokens as a list: its last token (-1: none), and each token's previous one in the bucket. */
    private int[] lastOf = new int[0];
    private int[] previousIn = new int[0];
    private double[] approximate = new double[0];
    private double[] mass = new double[0];
    private double[] blockMass = new double[0];
    private final int[] members = new int[MAX_BUCKET];
    /** Math.exp of each member's scaled difference. */
    private final double[] memberExp = new double[MAX_BUCKET];

    /** The calling thread's instance. */
    static BucketedWalk forThread() {
        return PER_THREAD.get();
    }

    /**
     * The token the sorted walk picks for uniform u, or -1 where this cannot tell.
     *
     * @param logits the row's logits at {@code logits[base ... base + v - 1]}
     * @param min    their smallest ({@link #min})
     * @param max    their largest
     * @param d      (logit - max) / temperature of each token, in double (the exponents of its probability), d[0 .. v-1]
     */
    int pick(float[] logits, int base, int v, float min, float max, double[] d, float u) {
        float range = max - min;
        if (!(range < Float.POSITIVE_INFINITY)) return -1;   // a NaN or infinite logit, or a range past float's
        int buckets = Integer.highestOneBit(v);   // one or two tokens a bucket
        float scale = range > 0f ? (buckets - 1) / range : 0f;
        int blocks = (buckets + BLOCK - 1) / BLOCK;
        fit(v, buckets, blocks);
        if (VectorApi.ENABLED) {
            LaneSampling.approximateExp(d, v, approximate);
        } else {
            for (int j = 0; j < v; j++) approximate[j] = Math.exp(Math.max(d[j], LaneSampling.APPROXIMATE_EXP_LOW));
        }
        Arrays.fill(mass, 0, buckets, 0.0);
        Arrays.fill(lastOf, 0, buckets, -1);
        for (int j = 0; j < v; j++) {
            // (max - x) * scale and the cast are monotone: a higher logit never lands in a later bucket
            int b = Math.min(buckets - 1, (int) ((max - logits[base + j]) * scale));
            mass[b] += approximate[j];
            previousIn[j] = lastOf[b];
            lastOf[b] = j;
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
        if (stop == end) return -1;
        int previous = stop - 1;
        while (previous >= 0 && lastOf[previous] < 0) previous--;
        int next = stop + 1;
        while (next < buckets && lastOf[next] < 0) next++;
        // the stop's bucket's tokens, in id order (its list runs from the highest id down), and the nearest exps on
        // either side
        int m = 0;
        for (int j = lastOf[stop]; j >= 0; j = previousIn[j]) {
            if (m == MAX_BUCKET) return -1;
            members[m++] = j;
        }
        for (int i = 0, back = m - 1; i < back; i++, back--) {
            int id = members[i];
            members[i] = members[back];
            members[back] = id;
        }
        for (int i = 0; i < m; i++) memberExp[i] = Math.exp(d[members[i]]);
        double lowestBefore = Double.POSITIVE_INFINITY;
        if (previous >= 0) {
            for (int j = lastOf[previous]; j >= 0; j = previousIn[j]) lowestBefore = Math.min(lowestBefore, Math.exp(d[j]));
        }
        double highestAfter = Double.NEGATIVE_INFINITY;
        if (next < buckets) {
            for (int j = lastOf[next]; j >= 0; j = previousIn[j]) highestAfter = Math.max(highestAfter, Math.exp(d[j]));
        }
        sortBySamplingOrder(members, memberExp, m);
        // ties, or near ties, with the buckets on either side or between neighbours go to the sort
        if (!clearlyAbove(lowestBefore, memberExp[0]) || !clearlyAbove(memberExp[m - 1], highestAfter)) return -1;
        for (int i = 1; i < m; i++) {
            if (memberExp[i - 1] != memberExp[i] && !clearlyAbove(memberExp[i - 1], memberExp[i])) return -1;
        }
        double margin = margin(v, total);
        boolean nothingBefore = previous < 0;
        for (int i = 0; i < m; i++) {
            double after = before + memberExp[i];
            if (after > target) {
                if (after - target <= margin) return -1;
                if (!(nothingBefore && i == 0) && target - before <= margin) return -1;   // no sum before the first token
                return members[i];
            }
            before = after;
        }
        return -1;
    }

    /** a > b with room: a exceeds b by more than a relative 2^-48, or b is none (-infinity); so their probabilities differ. */
    private static boolean clearlyAbove(double a, double b) {
        return b == Double.NEGATIVE_INFINITY || a > b * (1 + 0x1p-48);
    }

    /**
     * A bound on how far the sorted walk's sums (its total, the target from it, its running sum) and this walk's can
     * be apart, relative to each walk's own total, for v terms: the terms differ by at most a relative 2^-48 (the
     * approximate exps, Math.exp's ulp, the division by the sum), which moves each sum and the target by at most that;
     * each sum of at most 3v non-negative terms is within 3v * 2^-53 / (1 - 3v * 2^-53) of its exact value; eight such
     * errors and the target's roundings are below 16 (v + 2) * 2^-53 of the total. The approximate exps of arguments
     * below APPROXIMATE_EXP_LOW are e^-700 where the exact ones are smaller, at most v e^-700 in all.
     */
    static double margin(int v, double total) {
        return (4 * 0x1p-48 + 16.0 * (v + 2) * 0x1p-53) * total + v * Math.exp(LaneSampling.APPROXIMATE_EXP_LOW);
    }

    /**
     * members[0 .. m-1] (ids in increasing order) by their exps, highest first, equal ones by id: a stable insertion
     * sort of both arrays.
     */
    private static void sortBySamplingOrder(int[] members, double[] exps, int m) {
        for (int i = 1; i < m; i++) {
            int id = members[i];
            double e = exps[i];
            int at = i - 1;
            while (at >= 0 && exps[at] < e) {
                members[at + 1] = members[at];
                exps[at + 1] = exps[at];
                at--;
            }
            members[at + 1] = id;
            exps[at + 1] = e;
        }
    }

    /**
     * The smallest of x[base ... base + n - 1] (Math.min's). The caller takes it: inlined into {@link #pick}, C2 left the
     * lanes' MIN to the Vector API's plain fallback (perf, a decode step: a fifth of pick's own time).
     */
    static float min(float[] x, int base, int n) {
        if (VectorApi.ENABLED) return LaneMax.min(x, base, n);
        float min = Float.POSITIVE_INFINITY;
        for (int j = 0; j < n; j++) min = Math.min(min, x[base + j]);
        return min;
    }

    private void fit(int v, int buckets, int blocks) {
        if (previousIn.length < v) {
            previousIn = new int[v];
            approximate = new double[v];
        }
        if (mass.length < buckets) {
            mass = new double[buckets];
            lastOf = new int[buckets];
        }
        if (blockMass.length < blocks) blockMass = new double[blocks];
    }
}

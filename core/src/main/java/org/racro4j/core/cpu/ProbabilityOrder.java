package org.racro4j.core.cpu;

/**
 * The token order sampling walks: by probability, highest first, equal probabilities by token id. A strict total
 * order, so any correct sort gives the one permutation; this one sorts a primitive int[] in place (quicksort with
 * an insertion sort for short runs) where boxing every id and TimSort with a comparator took a sixth of a
 * decode step on a 2048-word vocabulary.
 */
final class ProbabilityOrder {
    private static final int INSERTION = 24;

    private ProbabilityOrder() {}

    /** Token ids 0..p.length-1 in sampling order. */
    static int[] of(double[] p) {
        int[] order = new int[p.length];
        for (int j = 0; j < order.length; j++) order[j] = j;
        sort(order, 0, order.length - 1, p);
        return order;
    }

    /** Whether token a comes before token b (Double.compare's order, so NaN rows still give a total order). */
    private static boolean before(int a, int b, double[] p) {
        int c = Double.compare(p[b], p[a]);
        return c != 0 ? c < 0 : a < b;
    }

    private static void sort(int[] o, int lo, int hi, double[] p) {
        while (hi - lo > INSERTION) {
            int mid = (lo + hi) >>> 1;
            // median of three as pivot, moved to hi
            if (before(o[mid], o[lo], p)) swap(o, mid, lo);
            if (before(o[hi], o[lo], p)) swap(o, hi, lo);
            if (before(o[mid], o[hi], p)) swap(o, mid, hi);
            int pivot = o[hi];
            int store = lo;
            for (int i = lo; i < hi; i++) {
                if (before(o[i], pivot, p)) swap(o, i, store++);
            }
            swap(o, store, hi);
            // recurse into the smaller side, loop on the larger: stack depth stays O(log n)
            if (store - lo < hi - store) {
                sort(o, lo, store - 1, p);
                lo = store + 1;
            } else {
                sort(o, store + 1, hi, p);
                hi = store - 1;
            }
        }
        for (int i = lo + 1; i <= hi; i++) {
            int x = o[i];
            int j = i - 1;
            while (j >= lo && before(x, o[j], p)) {
                o[j + 1] = o[j];
                j--;
            }
            o[j + 1] = x;
        }
    }

    private static void swap(int[] o, int i, int j) {
        int t = o[i];
        o[i] = o[j];
        o[j] = t;
    }
}

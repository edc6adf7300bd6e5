package org.racro4j.models.decoder;

import org.racro4j.core.SharedPrefix;
import org.racro4j.core.cpu.Parallel;

/**
 * Where a CPU decode step runs as row parts, one per thread, each part's kernels serial on its own thread
 * ({@link CausalLM#decodeStep}), instead of every kernel split over the threads. A small model's decode step is a few
 * dozen kernels of some microseconds each: split one by one, most are too small to pay for the hand-over and run on one
 * thread while the other waits. Row parts keep both threads busy.
 *
 * <p>Same bits either way: every kernel of the step computes a row from that row alone, in an order that does not
 * depend on how many rows the call has, as long as the products take the tile kernel: against the row-major copies of
 * the weights, which a generation opens, with more than {@code CpuMatmul.ROWS_MAX_M} (4) rows.
 */
final class DecodeRowParts {
    /**
     * -D property: "false" keeps every decode step whole, a number {@code N} asks for N parts wherever parts can run
     * (tests, and measuring what the parts gain; the results are the same bits); unset, parts run where they pay.
     */
    static final String PROP = "racro4j.decode.rowParts";
    /**
     * Fewest rows in a part, unless the property asks for parts. Parts of 8 rows (a batch of 16 in groups of 8, two
     * threads, alternated in one JVM) gave no clear gain: 0.99-1.24 of the time for the small report model, 0.77-1.00
     * for the larger.
     */
    static final int MIN_ROWS = 16;
    /** Fewest rows in any part: above CpuMatmul.ROWS_MAX_M, so that every product takes the tile kernel. */
    private static final int MIN_ROWS_FOR_BITS = 5;
    /**
     * Largest linear weights (bytes) for which parts run unasked. Each part reads all of them, so weights that do not
     * stay in the caches would be streamed from memory once per thread. Measured on the 2-core VM, groups of 8 x 8 rows,
     * two threads, the whole group generation with parts against without (alternated in one JVM): 1.8 MB of weights
     * 0.80 of the time, 14 MB 0.93-0.96, 52 MB 0.97, 76 MB 0.96; nothing larger was measured.
     */
    static final long MAX_WEIGHT_BYTES = 64L << 20;

    private DecodeRowParts() {}

    /** The parts' row bounds for a step over {@code rows} rows of the cache (from 0 to rows), or null for a whole step. */
    static int[] of(CausalLM model, KvCache cache, int rows) {
        String asked = System.getProperty(PROP, "");
        // a GPU's kernels are launched by one thread, and its decode steps replay as one graph
        if ("false".equalsIgnoreCase(asked) || !model.device().isCpu() || !model.readsRowMajorCopies()) return null;
        int parts;
        if (asked.isEmpty()) {
            parts = Math.min(Parallel.threads(), rows / MIN_ROWS);
            if (parts < 2 || model.linearWeightBytes() > MAX_WEIGHT_BYTES) return null;
        } else {
            try {
                parts = Integer.parseInt(asked);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + PROP + " must be false or a number of parts, got \"" + asked + "\"");
            }
        }
        SharedPrefix shared = cache.sharedPrefix();
        return bounds(rows, shared == null ? 1 : shared.rows(), parts);
    }

    /**
     * Bounds of at most {@code parts} parts of rows, each of whole units (the groups that share a prefix) and as even as
     * the units allow; null where fewer than two parts would have enough rows each.
     */
    static int[] bounds(int rows, int unit, int parts) {
        int units = rows / unit;
        parts = Math.min(parts, units);
        if (parts < 2) return null;
        int[] bounds = new int[parts + 1];
        for (int i = 0; i <= parts; i++) bounds[i] = unit * (int) ((long) units * i / parts);
        for (int i = 0; i < parts; i++) if (bounds[i + 1] - bounds[i] < MIN_ROWS_FOR_BITS) return null;
        return bounds;
    }
}

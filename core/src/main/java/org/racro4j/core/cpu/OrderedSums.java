package org.racro4j.core.cpu;

/**
 * Sums of floats in double, each row added left to right (the order that fixes softmax's and cross-entropy's bits),
 * up to {@link #ROWS} rows at a time. One row's sum is a chain of dependent additions, which left the CPU waiting
 * on each one's latency (a third of a log-softmax over 2048 logits); four rows' chains go through one loop
 * together, each with the same additions in the same order as alone.
 */
final class OrderedSums {
    /** Rows summed together. */
    static final int ROWS = 4;

    private OrderedSums() {}

    /**
     * sums[i] = x[base + i * stride] + ... + x[base + i * stride + n - 1] in that order, in double, for the rows
     * i in [0, rows), rows in [1, ROWS].
     */
    static void rows(float[] x, int base, int stride, int rows, int n, double[] sums) {
        if (rows < 1 || rows > ROWS) throw new IllegalArgumentException("OrderedSums.rows: " + rows + " rows, expected 1 to " + ROWS);
        // Missing rows read row 0 again, and their sums are dropped: one loop with no branch for every count.
        int b0 = base;
        int b1 = rows > 1 ? base + stride : base;
        int b2 = rows > 2 ? base + 2 * stride : base;
        int b3 = rows > 3 ? base + 3 * stride : base;
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        for (int j = 0; j < n; j++) {
            s0 += x[b0 + j];
            s1 += x[b1 + j];
            s2 += x[b2 + j];
            s3 += x[b3 + j];
        }
        sums[0] = s0;
        if (rows > 1) sums[1] = s1;
        if (rows > 2) sums[2] = s2;
        if (rows > 3) sums[3] = s3;
    }
}

package org.racro4j.core.cpu;

/**
 * Iterates over every element of a shape for several operands with their own strides, the way a TensorIterator
 * does: size-1 dims are dropped, dims that are contiguous in every operand are merged, and the body runs once
 * per innermost run with the starting offsets and the innermost strides. Large loops run in parallel.
 */
final class StridedLoop {
    /** Work below this many elements runs on one thread. */
    static final int PARALLEL_GRAIN = 1 << 15;

    @FunctionalInterface
    interface Body {
        /** Processes n elements; operand k's elements are at offsets[k] + i * strides[k] for i in [0, n). */
        void run(int n, int[] offsets, int[] strides);
    }

    private StridedLoop() {}

    static void forEach(int[] shape, int[][] strides, int[] offsets, Body body) {
        forEach(shape, strides, offsets, body, true);
    }

    /** As forEach, on the calling thread only (for scatters whose writes may collide). */
    static void forEachSerial(int[] shape, int[][] strides, int[] offsets, Body body) {
        forEach(shape, strides, offsets, body, false);
    }

    private static void forEach(int[] shape, int[][] strides, int[] offsets, Body body, boolean parallel) {
        int ops = strides.length;
        int rank = shape.length;
        long numel = 1;
        for (int s : shape) numel *= s;
        if (numel == 0) return;
        // Drop size-1 dims and merge runs that are contiguous in every operand.
        int[] size = new int[rank];
        int[][] st = new int[ops][rank];
        int nd = 0;
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1) continue;
            boolean merge = nd > 0;
            for (int k = 0; k < ops && merge; k++) {
                if ((long) st[k][nd - 1] != (long) strides[k][d] * shape[d]) merge = false;
            }
            if (merge) {
                size[nd - 1] *= shape[d];
                for (int k = 0; k < ops; k++) st[k][nd - 1] = strides[k][d];
            } else {
                size[nd] = shape[d];
                for (int k = 0; k < ops; k++) st[k][nd] = strides[k][d];
                nd++;
            }
        }
        if (nd == 0) {
            body.run(1, offsets.clone(), new int[ops]);
            return;
        }
        int inner = size[nd - 1];
        int[] innerStrides = new int[ops];
        for (int k = 0; k < ops; k++) innerStrides[k] = st[k][nd - 1];
        int outerDims = nd - 1;
        long outerCount = numel / inner;
        final int[] sz = size;
        if (outerCount == 1) {
            // One long run: split it.
            Parallel.range(inner, parallel ? PARALLEL_GRAIN : Integer.MAX_VALUE, (s, e) -> {
                int[] off = new int[ops];
                for (int k = 0; k < ops; k++) off[k] = offsets[k] + s * innerStrides[k];
                body.run(e - s, off, innerStrides);
            });
            return;
        }
        int grain = parallel ? Math.max(1, PARALLEL_GRAIN / inner) : Integer.MAX_VALUE;
        Parallel.range((int) outerCount, grain, (lo, hi) -> {
            int[] idx = new int[Math.max(outerDims, 1)];
            int[] off = new int[ops];
            // Position the counters at lo.
            long rem = lo;
            for (int d = outerDims - 1; d >= 0; d--) {
                idx[d] = (int) (rem % sz[d]);
                rem /= sz[d];
            }
            for (int k = 0; k < ops; k++) {
                long o = offsets[k];
                for (int d = 0; d < outerDims; d++) o += (long) idx[d] * st[k][d];
                off[k] = (int) o;
            }
            int[] callOff = new int[ops];
            for (int it = lo; it < hi; it++) {
                System.arraycopy(off, 0, callOff, 0, ops);
                body.run(inner, callOff, innerStrides);
                // Increment the counters (innermost outer dim first).
                for (int d = outerDims - 1; d >= 0; d--) {
                    idx[d]++;
                    for (int k = 0; k < ops; k++) off[k] += st[k][d];
                    if (idx[d] < sz[d]) break;
                    for (int k = 0; k < ops; k++) off[k] -= st[k][d] * sz[d];
                    idx[d] = 0;
                }
            }
        });
    }
}

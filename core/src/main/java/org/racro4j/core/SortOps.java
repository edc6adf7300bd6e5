package org.racro4j.core;

import java.util.Arrays;

/**
 * sort, argsort and topk. The order is found on the host (no backend needs a sorting kernel): the input is
 * read with the sorted dim last, each row is ordered in Java, and the I64 positions go back to the input's
 * device. The values are then {@code x.gather(dim, indices)}, so they come from the input's own storage and
 * autograd comes from gather.
 *
 * <p>Order: ascending by value, NaN above +inf (PyTorch's rule), -0.0 equal to +0.0, and equal values by
 * position (stable). Descending reverses the value order but keeps equal values by position, as
 * {@code torch.sort(stable=True)} does.
 */
final class SortOps {
    /** topk selects with a heap of k entries below this fraction of the row; above it a full sort is cheaper. */
    private static final int HEAP_FRACTION = 8;

    private SortOps() {}

    static Tensor.ValuesIndices sort(Tensor x, int dim, boolean descending) {
        Tensor indices = argsort(x, dim, descending);
        return new Tensor.ValuesIndices(valuesAt(x, dim, indices), indices);
    }

    static Tensor argsort(Tensor x, int dim, boolean descending) {
        x.checkOpen("sort");
        int d = Shapes.dim("sort", dim, Math.max(1, x.dim()));
        Rows rows = Rows.read(x, d, descending);
        long[] order = new long[rows.keys.length];
        int[] positions = new int[rows.length];
        for (int r = 0; r < rows.count; r++) {
            for (int j = 0; j < rows.length; j++) positions[j] = j;
            stableSortByKey(positions, rows.keys, r * rows.length);
            for (int j = 0; j < rows.length; j++) order[r * rows.length + j] = positions[j];
        }
        return rows.toIndexTensor(order, rows.length, x);
    }

    static Tensor.ValuesIndices topk(Tensor x, int k, int dim, boolean largest, boolean sorted) {
        x.checkOpen("topk");
        int d = Shapes.dim("topk", dim, Math.max(1, x.dim()));
        int n = x.dim() == 0 ? 1 : x.size(d);
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("topk: k " + k + " is out of range [0, " + n + "] for dim " + d
                    + " of shape " + Shapes.str(x.shape()));
        }
        Rows rows = Rows.read(x, d, largest);
        long[] chosen = new long[rows.count * k];
        for (int r = 0; r < rows.count; r++) {
            int base = r * rows.length;
            int[] best = k * HEAP_FRACTION < rows.length ? selectWithHeap(rows.keys, base, rows.length, k)
                    : firstOfFullSort(rows.keys, base, rows.length, k);
            // best is in ascending position order here; sorting by key keeps equal keys in that order
            if (sorted) stableSortByKey(best, rows.keys, base);
            for (int j = 0; j < k; j++) chosen[r * k + j] = best[j];
        }
        Tensor indices = rows.toIndexTensor(chosen, k, x);
        return new Tensor.ValuesIndices(valuesAt(x, dim, indices), indices);
    }

    private static Tensor valuesAt(Tensor x, int dim, Tensor indices) {
        // a 0-d input is its own single sorted value (topk with k = 0 leaves none)
        if (x.dim() == 0) return indices.numel() == 1 ? x.copy() : Tensor.empty(x.dtype(), x.device(), indices.shape());
        return x.gather(dim, indices);
    }

    /** The k best positions of one row (smallest keys, lower position first on ties), in ascending position order. */
    private static int[] selectWithHeap(long[] keys, int base, int n, int k) {
        if (k == 0) return new int[0];
        // A heap whose root is the worst position kept so far. Positions arrive in ascending order, so a later
        // position with a key equal to the root's is not better and never displaces it: ties keep the lower index.
        int[] heap = new int[k];
        int size = 0;
        for (int p = 0; p < n; p++) {
            if (size < k) {
                heap[size] = p;
                siftUp(heap, size++, keys, base);
            } else if (keys[base + p] < keys[base + heap[0]]) {
                heap[0] = p;
                siftDown(heap, k, keys, base);
            }
        }
        Arrays.sort(heap);
        return heap;
    }

    private static int[] firstOfFullSort(long[] keys, int base, int n, int k) {
        int[] all = new int[n];
        for (int j = 0; j < n; j++) all[j] = j;
        stableSortByKey(all, keys, base);
        int[] best = Arrays.copyOf(all, k);
        Arrays.sort(best);
        return best;
    }

    /** Whether position a is worse than b: a larger key, or an equal key at a later position. */
    private static boolean worse(int a, int b, long[] keys, int base) {
        long ka = keys[base + a];
        long kb = keys[base + b];
        return ka > kb || (ka == kb && a > b);
    }

    private static void siftUp(int[] heap, int i, long[] keys, int base) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!worse(heap[i], heap[parent], keys, base)) return;
            swap(heap, i, parent);
            i = parent;
        }
    }

    private static void siftDown(int[] heap, int size, long[] keys, int base) {
        int i = 0;
        while (true) {
            int worst = i;
            int left = 2 * i + 1;
            int right = left + 1;
            if (left < size && worse(heap[left], heap[worst], keys, base)) worst = left;
            if (right < size && worse(heap[right], heap[worst], keys, base)) worst = right;
            if (worst == i) return;
            swap(heap, i, worst);
            i = worst;
        }
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    /** Sorts positions by keys[base + position] ascending; a merge sort, so equal keys keep their order. */
    private static void stableSortByKey(int[] positions, long[] keys, int base) {
        int n = positions.length;
        int[] from = positions;
        int[] to = new int[n];
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                for (int o = lo; o < hi; o++) {
                    // take from the right run only when strictly smaller: that is what makes the sort stable
                    if (j < hi && (i >= mid || keys[base + from[j]] < keys[base + from[i]])) to[o] = from[j++];
                    else to[o] = from[i++];
                }
            }
            int[] t = from;
            from = to;
            to = t;
        }
        if (from != positions) System.arraycopy(from, 0, positions, 0, n);
    }

    /**
     * The input as rows along the sorted dim, each element turned into a long key whose natural order is the
     * order wanted (ascending keys = first in the result).
     */
    private static final class Rows {
        final long[] keys;
        final int count;
        final int length;
        /** Shape of the input with the sorted dim moved last (1 element for a 0-d input). */
        final int[] movedShape;
        final int dim;

        private Rows(long[] keys, int[] movedShape, int dim) {
            this.keys = keys;
            this.movedShape = movedShape;
            this.dim = dim;
            this.length = movedShape[movedShape.length - 1];
            this.count = length == 0 ? (int) Shapes.numel(Arrays.copyOf(movedShape, movedShape.length - 1)) : keys.length / length;
        }

        /** Reads x with dim d last; {@code largestFirst} flips the value order (equal values stay by position). */
        static Rows read(Tensor x, int d, boolean largestFirst) {
            int[] shape = x.dim() == 0 ? new int[] {1} : x.shape();
            int[] strides = x.dim() == 0 ? new int[] {1} : x.strides();
            swap(shape, d, shape.length - 1);
            swap(strides, d, strides.length - 1);
            // a plain view with no autograd history, closed here so the caller's storage keeps no extra reference
            try (Tensor moved = x.rawView(shape, strides, x.offset())) {
                long[] keys;
                if (x.dtype().isFloatingPoint()) {
                    float[] v = moved.toFloatArray(); // exact for F32, BF16 and F16
                    keys = new long[v.length];
                    for (int i = 0; i < v.length; i++) keys[i] = floatKey(v[i]);
                } else {
                    keys = moved.toLongArray();
                }
                // ~k reverses the order of every long without overflow, and leaves equal keys equal
                if (largestFirst) for (int i = 0; i < keys.length; i++) keys[i] = ~keys[i];
                return new Rows(keys, shape, d);
            }
        }

        /** An int whose signed order is the float order with NaN above +inf and -0.0 equal to +0.0. */
        static long floatKey(float f) {
            if (Float.isNaN(f)) return Integer.MAX_VALUE; // +inf is 0x7f800000, every NaN is made larger
            if (f == 0f) return 0;
            int bits = Float.floatToRawIntBits(f);
            // negative floats order backwards by their magnitude bits: flip those bits to order them forwards
            return bits >= 0 ? bits : bits ^ 0x7fffffff;
        }

        /**
         * Positions given row by row ({@code perRow} each, rows in the order of the moved layout) as a contiguous
         * I64 tensor in x's own layout (dim back in place; 0-d for a 0-d x), on x's device.
         */
        Tensor toIndexTensor(long[] positions, int perRow, Tensor x) {
            int rank = movedShape.length;
            int last = rank - 1;
            int[] moved = movedShape.clone();
            moved[last] = perRow;
            int[] outShape = moved.clone();
            swap(outShape, dim, last);
            int[] outStrides = Shapes.contiguousStrides(outShape);
            long[] laidOut = new long[positions.length];
            int[] coord = new int[rank];
            for (int i = 0; i < positions.length; i++) {
                int at = 0;
                for (int a = 0; a < rank; a++) at += coord[a] * outStrides[a == dim ? last : a == last ? dim : a];
                laidOut[at] = positions[i];
                for (int a = last; a >= 0 && ++coord[a] == moved[a]; a--) coord[a] = 0;
            }
            if (x.dim() == 0 && perRow == 1) outShape = new int[0];
            Tensor host = Tensor.ofLongs(laidOut, outShape);
            Tensor onDevice = host.to(x.device());
            if (onDevice != host) host.close();
            return onDevice;
        }
    }
}

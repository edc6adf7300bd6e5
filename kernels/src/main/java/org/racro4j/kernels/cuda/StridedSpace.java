package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The host side of common.cuh's {@code StridedSpace}: one shape iterated for up to four operands, each with its
 * own element strides (0 where broadcast). Like core's StridedLoop it drops size-1 dims and merges dims that are
 * contiguous in every operand, so most tensors reach the kernel as one or two dims. The kernel struct stores
 * dims innermost first.
 */
final class StridedSpace {
    static final int MAX_DIMS = 8;
    static final int MAX_OPERANDS = 4;
    /** sizeof(StridedSpace) in common.cuh: int rank, int rows_mode, i64 size[8], i64 stride[4][8]. */
    static final int STRUCT_BYTES = 8 + 8 * MAX_DIMS + 8 * MAX_DIMS * MAX_OPERANDS;
    /** rows mode when the innermost dim has at least this many elements (see for_each_strided). */
    static final int ROWS_MODE_MIN_INNER = 128;

    private final int operands;
    /** Collapsed sizes, outermost first. */
    private final long[] sizes;
    /** strides[k][d] for operand k, outermost first. */
    private final long[][] strides;
    private final long numel;

    private StridedSpace(int operands, long[] sizes, long[][] strides, long numel) {
        this.operands = operands;
        this.sizes = sizes;
        this.strides = strides;
        this.numel = numel;
    }

    /** The space of {@code shape} with one stride array per operand (each of the shape's rank). */
    static StridedSpace of(int[] shape, int[]... operandStrides) {
        long[][] st = new long[operandStrides.length][];
        for (int k = 0; k < st.length; k++) {
            st[k] = new long[shape.length];
            for (int d = 0; d < shape.length; d++) st[k][d] = operandStrides[k][d];
        }
        return of(shape, st);
    }

    static StridedSpace of(int[] shape, long[][] operandStrides) {
        int ops = operandStrides.length;
        if (ops < 1 || ops > MAX_OPERANDS) throw new IllegalArgumentException(ops + " operands; a strided space takes 1 to 4");
        long numel = 1;
        for (int s : shape) numel *= s;
        List<Long> size = new ArrayList<>();
        List<long[]> st = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            long[] here = new long[ops];
            for (int k = 0; k < ops; k++) here[k] = operandStrides[k][d];
            int last = size.size() - 1;
            boolean merge = last >= 0;
            for (int k = 0; k < ops && merge; k++) {
                if (st.get(last)[k] != here[k] * shape[d]) merge = false;
            }
            if (merge) {
                size.set(last, size.get(last) * shape[d]);
                st.set(last, here);
            } else {
                size.add((long) shape[d]);
                st.add(here);
            }
        }
        if (size.isEmpty()) { // a single element (or a 0-d tensor)
            size.add(1L);
            st.add(new long[ops]);
        }
        if (size.size() > MAX_DIMS) {
            throw new IllegalArgumentException("a strided view with " + size.size() + " non-mergeable dims exceeds the CUDA kernels' "
                    + MAX_DIMS + "; make it contiguous() first");
        }
        long[] sizes = new long[size.size()];
        long[][] strides = new long[ops][size.size()];
        for (int d = 0; d < sizes.length; d++) {
            sizes[d] = size.get(d);
            for (int k = 0; k < ops; k++) strides[k][d] = st.get(d)[k];
        }
        return new StridedSpace(ops, sizes, strides, numel);
    }

    long numel() {
        return numel;
    }

    int rank() {
        return sizes.length;
    }

    long innerSize() {
        return sizes[sizes.length - 1];
    }

    /** Collapsed sizes, outermost first (a copy). */
    long[] sizes() {
        return sizes.clone();
    }

    /** Operand k's collapsed strides, outermost first (a copy). */
    long[] strides(int k) {
        return strides[k].clone();
    }

    boolean rowsMode() {
        return sizes.length == 1 || innerSize() >= ROWS_MODE_MIN_INNER;
    }

    /** Whether operand k walks memory densely in the space's order: one dim of unit stride (or one element). */
    boolean isDense(int k) {
        return numel <= 1 || sizes.length == 1 && strides[k][0] == 1;
    }

    /** Whether operand k is one element broadcast everywhere (all strides 0). */
    boolean isBroadcastScalar(int k) {
        for (long s : strides[k]) if (s != 0) return false;
        return true;
    }

    /** The kernel struct, little-endian, dims innermost first. */
    byte[] pack() {
        ByteBuffer b = ByteBuffer.allocate(STRUCT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int rank = sizes.length;
        b.putInt(rank);
        b.putInt(rowsMode() ? 1 : 0);
        for (int d = 0; d < MAX_DIMS; d++) b.putLong(d < rank ? sizes[rank - 1 - d] : 1);
        for (int k = 0; k < MAX_OPERANDS; k++) {
            for (int d = 0; d < MAX_DIMS; d++) b.putLong(k < operands && d < rank ? strides[k][rank - 1 - d] : 0);
        }
        return b.array();
    }
}

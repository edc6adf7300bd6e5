package org.racro4j.core;

import java.util.Arrays;

/** Reductions over dimensions; multi-dim sums run one dim at a time (highest first). */
final class Reductions {
    private Reductions() {}

    static Tensor sumAll(Tensor x) {
        x.checkOpen("sum");
        Tensor dense = x.isContiguous() ? x : x.rawCast(x.dtype());
        Tensor flat = dense.rawView(new int[] {(int) x.numel()}, new int[] {1}, dense.offset());
        Tensor out = Tensor.empty(accType(x), x.device());
        x.backend().reduce(ReduceOp.SUM, flat, 0, out, null);
        flat.close();
        if (dense != x) dense.close();
        int[] shape = x.shape();
        return Node.record(out, "sum", x, g -> g.reshape(ones(shape.length)).expand(shape));
    }

    static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        x.checkOpen("sum");
        int rank = x.dim();
        if (dims.length == 0) throw new IllegalArgumentException("sum: no dims given; use sum() to reduce all");
        boolean[] reduce = new boolean[rank];
        for (int d : dims) {
            int n = Shapes.dim("sum", d, rank);
            if (reduce[n]) throw new IllegalArgumentException("sum: dim " + d + " repeated in " + Arrays.toString(dims));
            reduce[n] = true;
        }
        Tensor cur = x;
        try (Autograd.Mode off = Autograd.noGrad()) {
            for (int d = rank - 1; d >= 0; d--) {
                if (!reduce[d]) continue;
                Tensor next = reduceKeep(ReduceOp.SUM, cur, d, null);
                if (cur != x) cur.close();
                cur = next;
            }
        }
        int[] keptShape = cur.shape();
        Tensor out = cur;
        if (!keepdim) {
            int[] squeezed = new int[rank - countTrue(reduce)];
            for (int d = 0, j = 0; d < rank; d++) if (!reduce[d]) squeezed[j++] = keptShape[d];
            out = cur.rawView(squeezed, Shapes.contiguousStrides(squeezed), 0);
            if (cur != x) cur.close();
        } else if (cur == x) {
            out = x.alias();
        }
        int[] shape = x.shape();
        return Node.record(out, "sum", x, g -> g.reshape(keptShape).expand(shape));
    }

    /** Max or min along a dim, with the indices of the first extreme element. */
    static Tensor.ValuesIndices extreme(ReduceOp op, Tensor x, int dim, boolean keepdim) {
        x.checkOpen(op.name().toLowerCase());
        int d = Shapes.dim(op.name().toLowerCase(), dim, x.dim());
        if (x.size(d) == 0) throw new IllegalArgumentException(op.name().toLowerCase() + ": dim " + d + " is empty");
        int[] keptShape = x.shape();
        keptShape[d] = 1;
        Tensor idxKept = Tensor.empty(DType.I64, x.device(), keptShape);
        Tensor valKept = reduceKeep(op, x, d, idxKept);
        Tensor values = keepdim ? valKept : valKept.rawView(dropDim(keptShape, d), Shapes.contiguousStrides(dropDim(keptShape, d)), 0);
        Tensor indices = keepdim ? idxKept : idxKept.rawView(dropDim(keptShape, d), Shapes.contiguousStrides(dropDim(keptShape, d)), 0);
        if (!keepdim) {
            valKept.close();
            idxKept.close();
        }
        int[] shape = x.shape();
        Tensor idx = indices;
        values = Node.record(values, op.name().toLowerCase(), x, g -> {
            Tensor z = Tensor.zeros(g.dtype(), g.device(), shape);
            return z.scatterAdd(d, idx.reshape(keptShape), g.reshape(keptShape));
        });
        return new Tensor.ValuesIndices(values, indices);
    }

    /** Reduces dim d keeping it as size 1; no autograd. */
    private static Tensor reduceKeep(ReduceOp op, Tensor x, int d, Tensor indicesKept) {
        int[] kept = x.shape();
        kept[d] = 1;
        Tensor out = Tensor.empty(op == ReduceOp.SUM ? accType(x) : x.dtype(), x.device(), kept);
        int[] dropped = dropDim(kept, d);
        Tensor outView = out.rawView(dropped, Shapes.contiguousStrides(dropped), 0);
        Tensor idxView = indicesKept == null ? null : indicesKept.rawView(dropped, Shapes.contiguousStrides(dropped), 0);
        x.backend().reduce(op, x, d, outView, idxView);
        outView.close();
        if (idxView != null) idxView.close();
        return out;
    }

    /** Integer sums are exact in I64; floating sums keep the dtype (accumulating in F32). */
    private static DType accType(Tensor x) {
        return x.dtype().isFloatingPoint() ? x.dtype() : DType.I64;
    }

    private static int[] dropDim(int[] shape, int d) {
        int[] r = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != d) r[j++] = shape[i];
        return r;
    }

    private static int[] ones(int n) {
        int[] r = new int[n];
        Arrays.fill(r, 1);
        return r;
    }

    private static int countTrue(boolean[] b) {
        int n = 0;
        for (boolean v : b) if (v) n++;
        return n;
    }
}

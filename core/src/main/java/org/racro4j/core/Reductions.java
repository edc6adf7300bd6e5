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
        boolean[] reduce = reducedDims("sum", dims, rank);
        Reduced r = reduceEach(ReduceOp.SUM, x, reduce, keepdim);
        int[] shape = x.shape();
        return Node.record(r.out(), "sum", x, g -> g.reshape(r.keptShape()).expand(shape));
    }

    /**
     * Which of {@code rank} dims {@code dims} names, after normalising negative dims. An empty list is an error
     * (the op's no-argument form reduces everything), and so is a repeated dim.
     */
    static boolean[] reducedDims(String op, int[] dims, int rank) {
        if (dims.length == 0) throw new IllegalArgumentException(op + ": no dims given; use " + op + "() to reduce all");
        boolean[] reduce = new boolean[rank];
        for (int d : dims) {
            int n = Shapes.dim(op, d, rank);
            if (reduce[n]) throw new IllegalArgumentException(op + ": dim " + d + " repeated in " + Arrays.toString(dims));
            reduce[n] = true;
        }
        return reduce;
    }

    /**
     * The largest (MAX) or smallest (MIN) element of x, 0-dimensional. Its gradient is split evenly among all
     * elements equal to it, as PyTorch's max() and min() do.
     */
    static Tensor extremeAll(ReduceOp op, Tensor x) {
        String name = op.name().toLowerCase();
        x.checkOpen(name);
        if (x.numel() == 0) throw new IllegalArgumentException(name + ": the tensor " + Shapes.str(x.shape()) + " is empty");
        return extremes(op, name, x.reshape(-1), new int[] {0}, false, true);
    }

    /**
     * PyTorch's amax / amin: the extreme value over several dims, with the gradient split evenly among the
     * elements that tie for it (unlike max(dim), which sends it all to the one index it returns).
     */
    static Tensor extremes(ReduceOp op, String name, Tensor x, int[] dims, boolean keepdim) {
        return extremes(op, name, x, dims, keepdim, false);
    }

    /**
     * When the result is NaN, PyTorch's max() and min() share the gradient among the NaN elements, while amax and
     * amin (nanTies false) compare NaN == NaN as false and so give the slice a NaN gradient.
     */
    private static Tensor extremes(ReduceOp op, String name, Tensor x, int[] dims, boolean keepdim, boolean nanTies) {
        x.checkOpen(name);
        if (x.dim() == 0) {
            // PyTorch treats a 0-d tensor as one element along dim 0 (or -1); the result stays 0-d
            for (int d : dims) Shapes.dim(name, d, 1);
            return extremes(op, name, x.reshape(1), new int[] {0}, false, nanTies);
        }
        int rank = x.dim();
        boolean[] reduce = reducedDims(name, dims, rank);
        for (int d = 0; d < rank; d++) {
            if (reduce[d] && x.size(d) == 0) {
                throw new IllegalArgumentException(name + ": dim " + d + " of shape " + Shapes.str(x.shape()) + " is empty");
            }
        }
        Reduced r = reduceEach(op, x, reduce, keepdim);
        int[] keptShape = r.keptShape();
        int[] reducedList = indicesOf(reduce);
        Tensor values = r.out();
        return Node.record(values, name, x, g -> {
            Tensor extreme = values.reshape(keptShape);
            Tensor tied = x.eq(extreme);
            if (nanTies) tied = tied.maximum(x.ne(x).mul(extreme.ne(extreme))); // or: both x and the result are NaN
            tied = tied.to(g.dtype());
            return g.reshape(keptShape).mul(tied).div(tied.sum(reducedList, true));
        });
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

    /** A reduction's result and the shape it has with the reduced dims kept as size 1. */
    private record Reduced(Tensor out, int[] keptShape) {}

    /**
     * op over every dim marked in {@code reduce} (at least one), one dim at a time from the highest, without autograd;
     * the reduced dims are dropped from the result unless keepdim.
     */
    private static Reduced reduceEach(ReduceOp op, Tensor x, boolean[] reduce, boolean keepdim) {
        Tensor kept = x;
        try (Autograd.Mode off = Autograd.noGrad()) {
            for (int d = reduce.length - 1; d >= 0; d--) {
                if (!reduce[d]) continue;
                Tensor next = reduceKeep(op, kept, d, null);
                if (kept != x) kept.close();
                kept = next;
            }
        }
        int[] keptShape = kept.shape();
        if (keepdim) return new Reduced(kept, keptShape);
        int[] squeezed = new int[reduce.length - countTrue(reduce)];
        for (int d = 0, j = 0; d < reduce.length; d++) if (!reduce[d]) squeezed[j++] = keptShape[d];
        Tensor out = kept.rawView(squeezed, Shapes.contiguousStrides(squeezed), 0);
        kept.close();
        return new Reduced(out, keptShape);
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

    private static int[] indicesOf(boolean[] b) {
        int[] r = new int[countTrue(b)];
        for (int i = 0, j = 0; i < b.length; i++) if (b[i]) r[j++] = i;
        return r;
    }

    private static int countTrue(boolean[] b) {
        int n = 0;
        for (boolean v : b) if (v) n++;
        return n;
    }
}

package org.racro4j.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.function.Supplier;

/** Gather/scatter, index select/add, embedding lookup, and cat/stack/split. */
final class IndexOps {
    private IndexOps() {}

    static Tensor gather(Tensor src, int dim, Tensor index) {
        src.checkOpen("gather");
        int d = Shapes.dim("gather", dim, src.dim());
        checkIndex("gather", index);
        Elementwise.checkSameDevice("gather", src, index);
        // PyTorch's rule: same rank, and index no larger than the input outside dim. Any strides are fine: both
        // backends walk index, src and out through their own strides.
        checkRank("gather", "input", src, index);
        checkNotLarger("gather", index, "input", src, d);
        Tensor out = Tensor.empty(src.dtype(), src.device(), index.shape());
        src.backend().gather(src, d, index, out);
        int[] shape = src.shape();
        return Node.record(out, "gather", src, g -> {
            Tensor z = Tensor.zeros(g.dtype(), g.device(), shape);
            g.backend().scatterAdd(z, d, index, g.contiguous());
            return z;
        });
    }

    static Tensor scatterAdd(Tensor self, int dim, Tensor index, Tensor src) {
        self.checkOpen("scatterAdd");
        src.checkOpen("scatterAdd");
        int d = Shapes.dim("scatterAdd", dim, self.dim());
        checkScatterShapes("scatterAdd", self, d, index, src);
        return freeingTemporaries(self, src, () -> {
            Tensor out = self.rawCast(self.dtype());
            // Only the part of src that index covers is read (PyTorch's rule); narrowing it here keeps every backend's
            // contract (index has src's shape). The narrowed view records a slice, so src's gradient is padded with zeros.
            Tensor part = narrowTo(src.to(self.dtype()), index.shape());
            self.backend().scatterAdd(out, d, index, part);
            return Node.record(out, "scatterAdd", new Tensor[] {self, part}, g -> new Tensor[] {
                    g, part.requiresGrad() ? g.gather(d, index) : null});
        });
    }

    /**
     * self with src's values written where index points along dim (torch.scatter, out of place). Where several
     * index entries hit one position, the last of them in index's row-major order wins.
     */
    static Tensor scatter(Tensor self, int dim, Tensor index, Tensor src) {
        self.checkOpen("scatter");
        src.checkOpen("scatter");
        int d = Shapes.dim("scatter", dim, self.dim());
        checkScatterShapes("scatter", self, d, index, src);
        requireFloating("scatter", self);
        return freeingTemporaries(self, src, () -> {
            Tensor part = narrowTo(src.to(self.dtype()), index.shape());
            Tensor writers = lastWriters(self, d, index);
            // Every hit position receives exactly one value and -0.0 from the overwritten entries: -0.0 is the one
            // number whose addition changes nothing (x + -0.0 == x bit for bit, +0.0 and NaN included), so the sum
            // below is an exact copy. The overwritten entries then also get no gradient, as the forward says.
            Tensor contribution = writers == null ? part
                    : Elementwise.where(writers, part, Tensor.full(-0f, self.dtype(), self.device()));
            Tensor values = scatterAdd(Tensor.full(-0f, self.dtype(), self.device(), self.shape()), d, index, contribution);
            return Elementwise.where(hits(self, d, index), values, self);
        });
    }

    /** self with {@code value} wherever index points along dim (torch.scatter with a scalar, out of place). */
    static Tensor scatter(Tensor self, int dim, Tensor index, float value) {
        self.checkOpen("scatter");
        int d = Shapes.dim("scatter", dim, self.dim());
        checkScatterShapes("scatter", self, d, index, null);
        requireFloating("scatter", self);
        return freeingTemporaries(self, null, () ->
                Elementwise.where(hits(self, d, index), Tensor.full(value, self.dtype(), self.device()), self));
    }

    /**
     * Runs an op built from other ops. When no autograd graph will hold on to its intermediates, they are created
     * in a scope of their own and freed on return, so the op frees its temporaries even when called outside any
     * scope; only the result is handed out.
     */
    private static Tensor freeingTemporaries(Tensor a, Tensor b, Supplier<Tensor> body) {
        boolean recording = Autograd.isEnabled() && (a.requiresGrad() || (b != null && b.requiresGrad()));
        if (recording) return body.get();
        try (Scope temporaries = Scope.open()) {
            return temporaries.keep(body.get());
        }
    }

    /** How many index entries land on each position of self (F32, self's shape): nonzero where scatter writes. */
    private static Tensor hits(Tensor self, int d, Tensor index) {
        Tensor counts = Tensor.zeros(DType.F32, self.device(), self.shape());
        try (Tensor one = Tensor.ones(DType.F32, self.device()); Tensor ones = one.expandRaw(index.shape(), "scatter")) {
            self.backend().scatterAdd(counts, d, index, ones);
        } catch (IndexOutOfBoundsException e) {
            counts.close();
            // name the op the caller used, not the kernel it is built on
            throw new IndexOutOfBoundsException(e.getMessage().replaceFirst("^scatterAdd:", "scatter:"));
        }
        return counts;
    }

    /**
     * A mask of index's shape (F32 on self's device) that is 1 for the entries that write last to their position
     * in row-major order and 0 for those overwritten after them; null when no two entries share a position.
     * Found on the host, which also reports an index out of range before any kernel runs.
     */
    private static Tensor lastWriters(Tensor self, int d, Tensor index) {
        long[] idx = index.toLongArray();
        int[] shape = index.shape();
        int[] selfStrides = Shapes.contiguousStrides(self.shape());
        int limit = self.size(d);
        int rank = shape.length;
        // target[e] = the position in self that index entry e (row-major) writes to
        int[] target = new int[idx.length];
        int[] coord = new int[rank];
        for (int e = 0; e < idx.length; e++) {
            long j = idx[e];
            if (j < 0 || j >= limit) {
                throw new IndexOutOfBoundsException("scatter: index " + j + " is out of range for dim " + d + " of size " + limit);
            }
            int at = 0;
            for (int a = 0; a < rank; a++) at += (a == d ? (int) j : coord[a]) * selfStrides[a];
            target[e] = at;
            for (int a = rank - 1; a >= 0 && ++coord[a] == shape[a]; a--) coord[a] = 0;
        }
        BitSet written = new BitSet();
        float[] keep = new float[idx.length];
        boolean overwrites = false;
        for (int e = idx.length - 1; e >= 0; e--) {
            if (written.get(target[e])) {
                overwrites = true;
            } else {
                keep[e] = 1f;
                written.set(target[e]);
            }
        }
        if (!overwrites) return null;
        Tensor host = Tensor.of(keep, shape);
        Tensor onDevice = host.to(self.device());
        if (onDevice != host) host.close();
        return onDevice;
    }

    /** t narrowed from 0 in every dim where it is larger than shape (a view; autograd pads the gradient back). */
    private static Tensor narrowTo(Tensor t, int[] shape) {
        Tensor r = t;
        for (int i = 0; i < shape.length; i++) {
            if (r.size(i) != shape[i]) r = r.narrow(i, 0, shape[i]);
        }
        return r;
    }

    /**
     * PyTorch's scatter rule: self, index and src (if given) have one rank; index is no larger than src in any
     * dim and no larger than self outside dim d.
     */
    private static void checkScatterShapes(String op, Tensor self, int d, Tensor index, Tensor src) {
        checkIndex(op, index);
        Elementwise.checkSameDevice(op, self, index);
        checkRank(op, "self", self, index);
        if (src != null) {
            Elementwise.checkSameDevice(op, self, src);
            checkRank(op, "src", src, index);
            checkNotLarger(op, index, "src", src, -1);
        }
        checkNotLarger(op, index, "self", self, d);
    }

    private static void checkRank(String op, String what, Tensor t, Tensor index) {
        if (index.dim() != t.dim()) {
            throw new IllegalArgumentException(op + ": index rank " + index.dim() + " differs from " + what + " rank " + t.dim()
                    + " (" + what + " " + Shapes.str(t.shape()) + ", index " + Shapes.str(index.shape()) + ")");
        }
    }

    /** index.size(i) &lt;= t.size(i) for every dim i except {@code exceptDim} (-1: every dim). */
    private static void checkNotLarger(String op, Tensor index, String what, Tensor t, int exceptDim) {
        for (int i = 0; i < t.dim(); i++) {
            if (i != exceptDim && index.size(i) > t.size(i)) {
                throw new IllegalArgumentException(op + ": index " + Shapes.str(index.shape()) + " is larger than " + what + " "
                        + Shapes.str(t.shape()) + " in dim " + i + " (" + index.size(i) + " > " + t.size(i) + ")");
            }
        }
    }

    private static void requireFloating(String op, Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": self must be floating (F32, BF16, F16), got " + t.dtype());
        }
    }

    static Tensor indexSelect(Tensor src, int dim, Tensor index) {
        src.checkOpen("indexSelect");
        int d = Shapes.dim("indexSelect", dim, src.dim());
        checkIndex("indexSelect", index);
        if (index.dim() != 1) throw new IllegalArgumentException("indexSelect: index must be 1-D, got " + Shapes.str(index.shape()));
        int[] shape = src.shape();
        int[] outShape = shape.clone();
        outShape[d] = index.size(0);
        Tensor out = Tensor.empty(src.dtype(), src.device(), outShape);
        src.backend().indexSelect(src, d, index, out);
        return Node.record(out, "indexSelect", src, g -> {
            Tensor z = Tensor.zeros(g.dtype(), g.device(), shape);
            g.backend().indexAdd(z, d, index, g.contiguous());
            return z;
        });
    }

    static Tensor indexAdd(Tensor self, int dim, Tensor index, Tensor src) {
        self.checkOpen("indexAdd");
        int d = Shapes.dim("indexAdd", dim, self.dim());
        checkIndex("indexAdd", index);
        int[] expect = self.shape();
        if (index.dim() != 1) throw new IllegalArgumentException("indexAdd: index must be 1-D, got " + Shapes.str(index.shape()));
        expect[d] = index.size(0);
        if (!Arrays.equals(expect, src.shape())) {
            throw new IllegalArgumentException("indexAdd: src shape " + Shapes.str(src.shape()) + ", expected " + Shapes.str(expect));
        }
        Tensor out = self.rawCast(self.dtype());
        Tensor srcc = src.to(self.dtype());
        self.backend().indexAdd(out, d, index, srcc);
        return Node.record(out, "indexAdd", new Tensor[] {self, srcc}, g -> new Tensor[] {
                g, srcc.requiresGrad() ? g.indexSelect(d, index) : null});
    }

    static Tensor embedding(Tensor weight, Tensor ids) {
        if (weight.dim() != 2) throw new IllegalArgumentException("embedding: weight must be [V, D], got " + Shapes.str(weight.shape()));
        int[] idShape = ids.shape();
        int[] outShape = Arrays.copyOf(idShape, idShape.length + 1);
        outShape[idShape.length] = weight.size(1);
        Tensor flat = ids.reshape(-1);
        try {
            return indexSelect(weight, 0, flat).reshape(outShape);
        } catch (IndexOutOfBoundsException e) {
            // name the op the caller used, not the one it is built on
            throw new IndexOutOfBoundsException("embedding: an id is out of range for a table of " + weight.size(0) + " rows ("
                    + e.getMessage() + ")");
        }
    }

    static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("cat: no tensors given");
        Tensor first = tensors.get(0);
        int d = Shapes.dim("cat", dim, first.dim());
        int[] outShape = first.shape();
        int total = 0;
        DType dt = first.dtype();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            t.checkOpen("cat");
            Elementwise.checkSameDevice("cat", first, t);
            if (t.dim() != first.dim()) {
                throw new IllegalArgumentException("cat: tensor " + i + " has rank " + t.dim() + ", tensor 0 has rank " + first.dim());
            }
            for (int k = 0; k < t.dim(); k++) {
                if (k != d && t.size(k) != first.size(k)) {
                    throw new IllegalArgumentException("cat: tensor " + i + " has shape " + Shapes.str(t.shape())
                            + ", which differs from tensor 0's " + Shapes.str(first.shape()) + " outside dim " + d);
                }
            }
            dt = DType.promote(dt, t.dtype());
            total += t.size(d);
        }
        outShape[d] = total;
        Tensor out = Tensor.empty(dt, first.device(), outShape);
        int[] sizes = new int[tensors.size()];
        int at = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            sizes[i] = t.size(d);
            Tensor region = out.rawSlice(d, at, sizes[i], 1);
            out.backend().copy(t, region);
            region.close();
            at += sizes[i];
        }
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        return Node.record(out, "cat", inputs, g -> {
            Tensor[] grads = new Tensor[inputs.length];
            int start = 0;
            for (int i = 0; i < inputs.length; i++) {
                if (inputs[i].requiresGrad()) grads[i] = g.narrow(d, start, sizes[i]).to(inputs[i].dtype());
                start += sizes[i];
            }
            return grads;
        });
    }

    static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("stack: no tensors given");
        int d = Shapes.dim("stack", dim, tensors.get(0).dim() + 1);
        List<Tensor> expanded = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (!Arrays.equals(t.shape(), tensors.get(0).shape())) {
                throw new IllegalArgumentException("stack: tensor " + i + " has shape " + Shapes.str(t.shape())
                        + ", tensor 0 has " + Shapes.str(tensors.get(0).shape()));
            }
            expanded.add(t.unsqueeze(d));
        }
        return cat(expanded, d);
    }

    static List<Tensor> split(Tensor x, int size, int dim) {
        if (size <= 0) throw new IllegalArgumentException("split: size must be positive, got " + size);
        int d = Shapes.dim("split", dim, x.dim());
        int n = x.size(d);
        int pieces = Math.max(1, (n + size - 1) / size);
        int[] sizes = new int[pieces];
        for (int i = 0; i < pieces; i++) sizes[i] = Math.min(size, n - i * size);
        return split(x, sizes, d);
    }

    static List<Tensor> split(Tensor x, int[] sizes, int dim) {
        int d = Shapes.dim("split", dim, x.dim());
        int sum = 0;
        for (int s : sizes) sum += s;
        if (sum != x.size(d)) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " add up to " + sum
                    + ", but dim " + d + " has size " + x.size(d));
        }
        List<Tensor> out = new ArrayList<>(sizes.length);
        int at = 0;
        for (int s : sizes) {
            out.add(x.narrow(d, at, s));
            at += s;
        }
        return out;
    }

    private static void checkIndex(String op, Tensor index) {
        index.checkOpen(op);
        if (index.dtype() != DType.I32 && index.dtype() != DType.I64) {
            throw new IllegalArgumentException(op + ": index must be I32 or I64, got " + index.dtype());
        }
    }
}

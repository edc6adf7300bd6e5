package org.racro4j.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Gather/scatter, index select/add, embedding lookup, and cat/stack/split. */
final class IndexOps {
    private IndexOps() {}

    static Tensor gather(Tensor src, int dim, Tensor index) {
        src.checkOpen("gather");
        int d = Shapes.dim("gather", dim, src.dim());
        checkIndex("gather", index);
        if (index.dim() != src.dim()) {
            throw new IllegalArgumentException("gather: index rank " + index.dim() + " differs from input rank " + src.dim()
                    + " (input " + Shapes.str(src.shape()) + ", index " + Shapes.str(index.shape()) + ")");
        }
        for (int i = 0; i < src.dim(); i++) {
            if (i != d && index.size(i) > src.size(i)) {
                throw new IllegalArgumentException("gather: index " + Shapes.str(index.shape()) + " is larger than input "
                        + Shapes.str(src.shape()) + " in dim " + i);
            }
        }
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
        int d = Shapes.dim("scatterAdd", dim, self.dim());
        checkIndex("scatterAdd", index);
        if (!Arrays.equals(index.shape(), src.shape()) || index.dim() != self.dim()) {
            throw new IllegalArgumentException("scatterAdd: index " + Shapes.str(index.shape()) + " and src "
                    + Shapes.str(src.shape()) + " must have the same shape and the rank of self " + Shapes.str(self.shape()));
        }
        Tensor out = self.rawCast(self.dtype());
        Tensor srcc = src.to(self.dtype());
        self.backend().scatterAdd(out, d, index, srcc);
        return Node.record(out, "scatterAdd", new Tensor[] {self, srcc}, g -> new Tensor[] {
                g, srcc.requiresGrad() ? g.gather(d, index) : null});
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

package org.racro4j.core.cpu;

import org.racro4j.core.Tensor;

/** index_select / index_add / gather / scatter_add with bounds checks that name the op and the position. */
final class CpuIndexing {
    private CpuIndexing() {}

    static void indexSelect(Tensor src, int dim, Tensor index, Tensor out) {
        long[] idx = indices("indexSelect", index, src.size(dim));
        int[] rest = dropDim(out.shape(), dim);
        int[][] strides = {dropDim(out.strides(), dim), dropDim(src.strides(), dim)};
        int outStep = out.stride(dim);
        int srcStep = src.stride(dim);
        Object sa = Floats.storage(src).array();
        Object da = Floats.storage(out).array();
        if (src.dtype() != out.dtype()) throw new IllegalArgumentException("indexSelect: out dtype differs from src");
        int rowElems = (int) org.racro4j.core.Shapes.numel(rest);
        Parallel.range(idx.length, Math.max(1, 4096 / Math.max(rowElems, 1)), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int[] offsets = {out.offset() + i * outStep, src.offset() + (int) idx[i] * srcStep};
                StridedLoop.forEachSerial(rest, strides, offsets,
                        (n, off, st) -> CpuElementwise.copyStrided(sa, off[1], st[1], da, off[0], st[0], n));
            }
        });
    }

    static void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        long[] idx = indices("indexAdd", index, dst.size(dim));
        int[] rest = dropDim(src.shape(), dim);
        int[][] strides = {dropDim(dst.strides(), dim), dropDim(src.strides(), dim)};
        if (!dst.dtype().isFloatingPoint()) {
            throw new UnsupportedOperationException("indexAdd: the CPU backend accumulates into floating tensors only, got " + dst.dtype());
        }
        // F32: d is the storage itself; BF16/F16: an F32 copy, accumulated in F32 and rounded once by commit.
        float[] d = Floats.read(dst);
        float[] s = Floats.read(src);
        for (int i = 0; i < idx.length; i++) {
            int[] offsets = {dst.offset() + (int) idx[i] * dst.stride(dim), src.offset() + i * src.stride(dim)};
            StridedLoop.forEach(rest, strides, offsets, (n, off, st) -> {
                for (int k = 0, o = off[0], q = off[1]; k < n; k++, o += st[0], q += st[1]) d[o] += s[q];
            });
        }
        Floats.commit(dst, d);
    }

    static void gather(Tensor src, int dim, Tensor index, Tensor out) {
        CpuStorage is = Floats.storage(index);
        CpuStorage ss = Floats.storage(src);
        CpuStorage os = Floats.storage(out);
        int limit = src.size(dim);
        int srcStep = src.stride(dim);
        int[] srcStrides = src.strides();
        srcStrides[dim] = 0;
        StridedLoop.forEach(out.shape(), new int[][] {out.strides(), index.strides(), srcStrides},
                new int[] {out.offset(), index.offset(), src.offset()}, (n, off, st) -> {
                    for (int k = 0, o = off[0], q = off[1], s = off[2]; k < n; k++, o += st[0], q += st[1], s += st[2]) {
                        long j = Floats.index(is, q);
                        if (j < 0 || j >= limit) throw outOfRange("gather", j, limit, dim);
                        copyElement(ss, s + (int) j * srcStep, os, o);
                    }
                });
    }

    static void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        CpuStorage is = Floats.storage(index);
        if (!dst.dtype().isFloatingPoint()) {
            throw new UnsupportedOperationException("scatterAdd: the CPU backend accumulates into floating tensors only, got " + dst.dtype());
        }
        // F32: d is the storage itself; BF16/F16: an F32 copy, accumulated in F32 and rounded once by commit.
        float[] d = Floats.read(dst);
        float[] s = Floats.read(src);
        int limit = dst.size(dim);
        int dstStep = dst.stride(dim);
        int[] dstStrides = dst.strides();
        dstStrides[dim] = 0;
        StridedLoop.forEachSerial(src.shape(), new int[][] {src.strides(), index.strides(), dstStrides},
                new int[] {src.offset(), index.offset(), dst.offset()}, (n, off, st) -> {
                    for (int k = 0, q = off[0], x = off[1], o = off[2]; k < n; k++, q += st[0], x += st[1], o += st[2]) {
                        long j = Floats.index(is, x);
                        if (j < 0 || j >= limit) throw outOfRange("scatterAdd", j, limit, dim);
                        d[o + (int) j * dstStep] += s[q];
                    }
                });
        Floats.commit(dst, d);
    }

    private static void copyElement(CpuStorage from, int i, CpuStorage to, int j) {
        switch (from.dtype()) {
            case F32 -> to.floats()[j] = from.floats()[i];
            case BF16, F16 -> to.shorts()[j] = from.bitsAt(i);
            case I32 -> to.ints()[j] = from.ints()[i];
            case I64 -> to.longs()[j] = from.longs()[i];
        }
    }

    /** Reads a 1-D index tensor, checking every entry against the size of the indexed dim. */
    private static long[] indices(String op, Tensor index, int limit) {
        CpuStorage is = Floats.storage(index);
        int n = index.size(0);
        int step = index.stride(0);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long j = Floats.index(is, index.offset() + i * step);
            if (j < 0 || j >= limit) {
                throw new IndexOutOfBoundsException(op + ": index " + j + " at position " + i + " is out of range for a dim of size " + limit);
            }
            out[i] = j;
        }
        return out;
    }

    private static IndexOutOfBoundsException outOfRange(String op, long j, int limit, int dim) {
        return new IndexOutOfBoundsException(op + ": index " + j + " is out of range for dim " + dim + " of size " + limit);
    }

    private static int[] dropDim(int[] a, int d) {
        int[] r = new int[a.length - 1];
        for (int i = 0, j = 0; i < a.length; i++) if (i != d) r[j++] = a[i];
        return r;
    }
}

package org.racro4j.core.cpu;

import org.racro4j.core.DType;
import org.racro4j.core.ReduceOp;
import org.racro4j.core.Tensor;

/**
 * Reductions over one dim. Each output element reduces a run of x (stride x.stride(dim)); runs along a
 * contiguous dim are summed with vectors (when the Vector API is on), others one element at a time. Floating sums
 * accumulate in double.
 */
final class CpuReduce {
    private CpuReduce() {}

    static void reduce(ReduceOp op, Tensor x, int dim, Tensor out, Tensor indices) {
        int n = x.size(dim);
        int step = x.stride(dim);
        int[] xShape = x.shape();
        int[] xStrides = x.strides();
        int[] outShape = out.shape();
        int[] xOuter = new int[outShape.length];
        for (int d = 0, j = 0; d < xShape.length; d++) if (d != dim) xOuter[j++] = xStrides[d];
        CpuStorage os = Floats.storage(out);
        if (op == ReduceOp.SUM && !x.dtype().isFloatingPoint()) {
            CpuStorage xs = Floats.storage(x);
            StridedLoop.forEach(outShape, new int[][] {out.strides(), xOuter}, new int[] {out.offset(), x.offset()}, (cnt, off, st) -> {
                for (int i = 0, o = off[0], b = off[1]; i < cnt; i++, o += st[0], b += st[1]) {
                    long s = 0;
                    for (int k = 0, p = b; k < n; k++, p += step) s += xs.getLong(p);
                    os.setLong(o, s);
                }
            });
            return;
        }
        float[] xs = Floats.read(x);
        float[] res = Floats.writable(out);
        CpuStorage is = indices == null ? null : Floats.storage(indices);
        int[] idxStrides = indices == null ? out.strides() : indices.strides();
        int idxOffset = indices == null ? 0 : indices.offset();
        StridedLoop.forEach(outShape, new int[][] {out.strides(), xOuter, idxStrides}, new int[] {out.offset(), x.offset(), idxOffset},
                (cnt, off, st) -> {
                    for (int i = 0, o = off[0], b = off[1], q = off[2]; i < cnt; i++, o += st[0], b += st[1], q += st[2]) {
                        if (op == ReduceOp.SUM) {
                            res[o] = (float) sumRun(xs, b, step, n);
                        } else {
                            boolean max = op == ReduceOp.MAX;
                            float best = xs[b];
                            int at = 0;
                            for (int k = 1, p = b + step; k < n; k++, p += step) {
                                float v = xs[p];
                                if (Float.isNaN(best)) break;               // NaN propagates, as in PyTorch
                                if (Float.isNaN(v) || (max ? v > best : v < best)) {
                                    best = v;
                                    at = k;
                                }
                            }
                            res[o] = best;
                            if (is != null) is.setLong(q, at);
                        }
                    }
                });
        Floats.commit(out, res);
    }

    /** Sum of n values at base, base+step, ...; vector lanes for unit stride, accumulated in double. */
    static double sumRun(float[] x, int base, int step, int n) {
        if (step == 1 && VectorApi.ENABLED) return LaneSums.sum(x, base, n);
        double total = 0;
        for (int k = 0, p = base; k < n; k++, p += step) total += x[p];
        return total;
    }
}

package org.racro4j.kernels.cuda;

import static org.racro4j.kernels.cuda.LaunchSupport.aligned16;
import static org.racro4j.kernels.cuda.LaunchSupport.code;
import static org.racro4j.kernels.cuda.LaunchSupport.floatingPack;
import static org.racro4j.kernels.cuda.LaunchSupport.requireContiguous;
import static org.racro4j.kernels.cuda.LaunchSupport.sameDtype;
import static org.racro4j.kernels.cuda.LaunchSupport.suffix;
import static org.racro4j.kernels.cuda.LaunchSupport.vectorRows;

import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.DType;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;

/**
 * Launches the fused row kernels, one block per row of the last dim: softmax.cu, norms.cu, cross_entropy.cu and
 * rope.cu. Kernels named {@code <name>_<f32|bf16|f16>} are instantiated per floating dtype of x (T below); the
 * norms' {@code _wf32} variants take F32 weights (W) for a narrower x.
 */
final class RowLaunchers {
    private final LaunchSupport k;
    private final DeviceOps gpu;
    private final ElementwiseLaunchers elementwise;
    private final IndexChecks checks;

    RowLaunchers(LaunchSupport support, ElementwiseLaunchers elementwise, IndexChecks checks) {
        this.k = support;
        this.gpu = support.gpu;
        this.elementwise = elementwise;
        this.checks = checks;
    }

    private static int cols(Tensor t) {
        return t.dim() == 0 ? 1 : t.size(-1);
    }

    private static long rows(Tensor t) {
        int c = cols(t);
        return c == 0 ? 0 : t.numel() / c;
    }

    // ---------------------------------------------------------------------------------------- softmax.cu

    /** {@code softmax_<T>(const T* x, T* y, int C, int log_softmax, int vec)}. */
    void softmax(Tensor x, Tensor out, boolean log) {
        long rows = rows(x);
        if (rows == 0) return;
        requireContiguous("softmax", x, out);
        int c = cols(x);
        long xa = k.addr(x);
        long oa = k.addr(out);
        gpu.launch("softmax", "softmax_" + suffix(x.dtype()), LaunchShape.rows(rows, c),
                new KernelArgs().ptr(xa).ptr(oa).i32(c).i32(log ? 1 : 0).i32(vectorRows(c, x.dtype(), xa, oa) ? 1 : 0));
    }

    /** {@code softmax_backward_<T>(const T* y, const T* gy, T* gx, int C, int log_softmax, int vec)}. */
    void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log) {
        long rows = rows(y);
        if (rows == 0) return;
        requireContiguous("softmaxBackward", y, gy, gx);
        sameDtype("softmaxBackward", y, gy, gx);
        int c = cols(y);
        long ya = k.addr(y);
        long ga = k.addr(gy);
        long xa = k.addr(gx);
        gpu.launch("softmax", "softmax_backward_" + suffix(y.dtype()), LaunchShape.rows(rows, c),
                new KernelArgs().ptr(ya).ptr(ga).ptr(xa).i32(c).i32(log ? 1 : 0).i32(vectorRows(c, y.dtype(), ya, ga, xa) ? 1 : 0));
    }

    // ---------------------------------------------------------------------------------------- norms.cu

    /**
     * Norm weights (and bias) in a dtype the kernels take: x's own, or F32 (the "_wf32" kernels). Anything else,
     * or a non-contiguous weight, is copied into temporary blocks first.
     */
    private final class NormWeights implements AutoCloseable {
        final String kernelSuffix;
        final long w;
        final long b;
        private final List<CachingAllocator.Block> temps = new ArrayList<>();

        NormWeights(DType xType, Tensor weight, Tensor bias) {
            DType use = weight.dtype() == xType || weight.dtype() == DType.F32 ? weight.dtype() : xType;
            this.kernelSuffix = suffix(xType) + (use != xType ? "_wf32" : "");
            this.w = weight(weight, use);
            this.b = bias == null ? 0 : weight(bias, use);
        }

        private long weight(Tensor t, DType use) {
            if (t.dtype() == use && t.isContiguous()) return k.addr(t);
            CachingAllocator.Block block = elementwise.contiguousCopy(t, use);
            temps.add(block);
            return block.address();
        }

        @Override
        public void close() {
            for (CachingAllocator.Block block : temps) gpu.allocator().free(block);
        }
    }

    /**
     * {@code layernorm_<T>[_wf32](const T* x, const W* w, const W* b, T* y, float* mean, float* rstd, int C,
     * float eps, int vec)}.
     */
    void layerNorm(Tensor x, Tensor w, Tensor b, float eps, Tensor y, Tensor mean, Tensor rstd) {
        long rows = rows(x);
        if (rows == 0) return;
        requireContiguous("layerNorm", x, y, mean, rstd);
        int c = cols(x);
        try (NormWeights nw = new NormWeights(x.dtype(), w, b)) {
            long xa = k.addr(x);
            long ya = k.addr(y);
            boolean vec = c % floatingPack(x.dtype()) == 0 && aligned16(xa, ya, nw.w) && (nw.b == 0 || aligned16(nw.b))
                    && vectorRows(c, x.dtype(), xa, ya);
            gpu.launch("norms", "layernorm_" + nw.kernelSuffix, LaunchShape.rows(rows, c), new KernelArgs().ptr(xa).ptr(nw.w).ptr(nw.b)
                    .ptr(ya).ptr(k.addr(mean)).ptr(k.addr(rstd)).i32(c).f32(eps).i32(vec ? 1 : 0));
        }
    }

    void layerNormBackward(Tensor gy, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gx, Tensor gw, Tensor gb) {
        normBackward(true, gy, x, w, mean, rstd, gx, gw, gb);
    }

    /** {@code rmsnorm_<T>[_wf32](const T* x, const W* w, T* y, float* rstd, int C, float eps, int vec)}. */
    void rmsNorm(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        long rows = rows(x);
        if (rows == 0) return;
        requireContiguous("rmsNorm", x, y, rstd);
        int c = cols(x);
        try (NormWeights nw = new NormWeights(x.dtype(), w, null)) {
            long xa = k.addr(x);
            long ya = k.addr(y);
            boolean vec = c % floatingPack(x.dtype()) == 0 && aligned16(xa, ya, nw.w) && vectorRows(c, x.dtype(), xa, ya);
            gpu.launch("norms", "rmsnorm_" + nw.kernelSuffix, LaunchShape.rows(rows, c), new KernelArgs().ptr(xa).ptr(nw.w).ptr(ya)
                    .ptr(k.addr(rstd)).i32(c).f32(eps).i32(vec ? 1 : 0));
        }
    }

    void rmsNormBackward(Tensor gy, Tensor x, Tensor w, Tensor rstd, Tensor gx, Tensor gw) {
        normBackward(false, gy, x, w, null, rstd, gx, gw, null);
    }

    /**
     * {@code norm_backward_<T>[_wf32](int layer, const T* gy, const T* x, const W* w, const float* mean,
     * const float* rstd, T* gx, int rows, int C, float* gw_part, float* gb_part)}, then {@link #columnSums} of the
     * per-block partial weight (and bias) gradients.
     */
    private void normBackward(boolean layer, Tensor gy, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gx, Tensor gw, Tensor gb) {
        String op = layer ? "layerNormBackward" : "rmsNormBackward";
        long rows = rows(x);
        int c = cols(x);
        if (rows == 0 || c == 0) {
            if (gw != null) elementwise.fill(gw, 0);
            if (gb != null) elementwise.fill(gb, 0);
            return;
        }
        requireContiguous(op, gy, x, gx, rstd, mean);
        if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": " + rows + " rows exceed one launch");
        List<CachingAllocator.Block> temps = new ArrayList<>();
        try (NormWeights nw = new NormWeights(x.dtype(), w, null)) {
            long gya = k.addr(gy);
            if (gy.dtype() != x.dtype()) {
                CachingAllocator.Block g = elementwise.contiguousCopy(gy, x.dtype());
                temps.add(g);
                gya = g.address();
            }
            int grid = (int) Math.min(rows, 4L * gpu.multiprocessors());
            CachingAllocator.Block gwPart = gw == null ? null : gpu.allocator().allocate((long) grid * c * 4);
            CachingAllocator.Block gbPart = gb == null ? null : gpu.allocator().allocate((long) grid * c * 4);
            if (gwPart != null) temps.add(gwPart);
            if (gbPart != null) temps.add(gbPart);
            gpu.launch("norms", "norm_backward_" + nw.kernelSuffix, new LaunchShape(grid, 1, 1, LaunchShape.rowThreads(c, 8), 0),
                    new KernelArgs().i32(layer ? 1 : 0).ptr(gya).ptr(k.addr(x)).ptr(nw.w).ptr(mean == null ? 0 : k.addr(mean))
                            .ptr(k.addr(rstd)).ptr(k.addr(gx)).i32((int) rows).i32(c).ptr(gwPart == null ? 0 : gwPart.address())
                            .ptr(gbPart == null ? 0 : gbPart.address()));
            if (gw != null) columnSums(gwPart, grid, c, gw);
            if (gb != null) columnSums(gbPart, grid, c, gb);
        } finally {
            for (CachingAllocator.Block b : temps) gpu.allocator().free(b);
        }
    }

    /**
     * dst[j] = sum over parts of partial[p][j], written in dst's dtype (dst contiguous, else through a temporary):
     * {@code column_sums(const float* partial, int parts, int C, void* out, int out_dt)}.
     */
    private void columnSums(CachingAllocator.Block partial, int parts, int c, Tensor dst) {
        if (dst.isContiguous()) {
            gpu.launch("norms", "column_sums", LaunchShape.linear(c, LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                    new KernelArgs().ptr(partial.address()).i32(parts).i32(c).ptr(k.addr(dst)).i32(code(dst.dtype())));
            return;
        }
        CachingAllocator.Block tmp = gpu.allocator().allocate((long) c * dst.dtype().byteSize());
        try {
            gpu.launch("norms", "column_sums", LaunchShape.linear(c, LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                    new KernelArgs().ptr(partial.address()).i32(parts).i32(c).ptr(tmp.address()).i32(code(dst.dtype())));
            StridedSpace s = StridedSpace.of(dst.shape(), dst.strides(), Shapes.contiguousStrides(dst.shape()));
            elementwise.launchCopy(s, k.addr(dst), dst.dtype(), tmp.address(), dst.dtype());
        } finally {
            gpu.allocator().free(tmp);
        }
    }

    // ---------------------------------------------------------------------------------------- cross_entropy.cu

    /**
     * {@code cross_entropy_<T>(const T* logits, const void* target, int target_dt, i64 t_stride, int ignore_index,
     * float* loss, float* lse, int V, u64* err, int vec)}; a target out of range goes through {@link IndexChecks}.
     */
    void crossEntropy(Tensor logits, Tensor target, int ignoreIndex, Tensor loss, Tensor lse) {
        long rows = logits.size(0);
        int v = logits.size(1);
        if (rows == 0) return;
        requireContiguous("crossEntropy", logits, loss, lse);
        long la = k.addr(logits);
        long tStride = target.dim() == 0 ? 0 : target.stride(0);
        gpu.launch("cross_entropy", "cross_entropy_" + suffix(logits.dtype()), LaunchShape.rows(rows, v),
                new KernelArgs().ptr(la).ptr(k.addr(target)).i32(code(target.dtype())).i64(tStride).i32(ignoreIndex).ptr(k.addr(loss))
                        .ptr(k.addr(lse)).i32(v).ptr(checks.errorWord).i32(vectorRows(v, logits.dtype(), la) ? 1 : 0));
        checks.afterIndexKernel("crossEntropy", target, (offset, t) -> new IndexOutOfBoundsException("crossEntropy: target " + t
                + " at row " + (tStride == 0 ? 0 : offset / tStride) + " is out of range [0, " + v + ") (ignoreIndex is " + ignoreIndex + ")"));
    }

    /**
     * {@code cross_entropy_backward_<T>(const T* logits, const void* target, int target_dt, i64 t_stride,
     * const float* lse, const float* g_loss, i64 g_stride, int ignore_index, T* g_logits, int V, int vec)}.
     */
    void crossEntropyBackward(Tensor logits, Tensor target, Tensor lse, Tensor gLoss, int ignoreIndex, Tensor gLogits) {
        long rows = logits.size(0);
        int v = logits.size(1);
        if (rows == 0) return;
        requireContiguous("crossEntropyBackward", logits, lse, gLogits);
        sameDtype("crossEntropyBackward", logits, gLogits);
        CachingAllocator.Block g = null;
        long ga = k.addr(gLoss);
        long gStride = gLoss.dim() == 0 ? 0 : gLoss.stride(0);
        if (gLoss.dtype() != DType.F32) {
            g = elementwise.contiguousCopy(gLoss, DType.F32);
            ga = g.address();
            gStride = gLoss.dim() == 0 ? 0 : 1;
        }
        try {
            long la = k.addr(logits);
            long oa = k.addr(gLogits);
            gpu.launch("cross_entropy", "cross_entropy_backward_" + suffix(logits.dtype()), LaunchShape.rows(rows, v),
                    new KernelArgs().ptr(la).ptr(k.addr(target)).i32(code(target.dtype())).i64(target.dim() == 0 ? 0 : target.stride(0))
                            .ptr(k.addr(lse)).ptr(ga).i64(gStride).i32(ignoreIndex).ptr(oa).i32(v)
                            .i32(vectorRows(v, logits.dtype(), la, oa) ? 1 : 0));
        } finally {
            if (g != null) gpu.allocator().free(g);
        }
    }

    // ---------------------------------------------------------------------------------------- rope.cu

    /**
     * {@code rope_<T>(const T* x, const void* cos_t, int cos_dt, const void* sin_t, int sin_dt, T* out, i64 rows,
     * int T_len, int D, int inverse)}.
     */
    void rope(Tensor x, Tensor cos, Tensor sin, Tensor out, boolean inverse) {
        if (x.numel() == 0) return;
        requireContiguous("rope", x, cos, sin, out);
        sameDtype("rope", x, out);
        int d = x.size(-1);
        int t = x.size(-2);
        long rows = x.numel() / d;
        gpu.launch("rope", "rope_" + suffix(x.dtype()), LaunchShape.linear(rows * (d / 2), LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                new KernelArgs().ptr(k.addr(x)).ptr(k.addr(cos)).i32(code(cos.dtype())).ptr(k.addr(sin)).i32(code(sin.dtype()))
                        .ptr(k.addr(out)).i64(rows).i32(t).i32(d).i32(inverse ? 1 : 0));
    }
}

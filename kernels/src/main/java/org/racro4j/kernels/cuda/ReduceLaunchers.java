package org.racro4j.kernels.cuda;

import static org.racro4j.kernels.cuda.LaunchSupport.code;

import org.racro4j.core.ReduceOp;
import org.racro4j.core.Tensor;

/**
 * Launches reduce.cu: sum, max and min over one dim, one output per thread or per block, with the reduced dim
 * split over blockIdx.y (and finished by a second kernel) when there are too few outputs to fill the GPU.
 *
 * <p>Kernels: {@code reduce_per_thread} and {@code reduce_per_block}, both {@code (int op, StridedSpace outs,
 * i64 num_out, const void* x, int x_dt, i64 n, i64 step, int splits, void* out, int out_dt, i64* indices,
 * u64* partial_value, i64* partial_index)}, and {@code reduce_finish(int op, StridedSpace outs, i64 num_out,
 * int x_dt, int splits, void* out, int out_dt, i64* indices, const u64* partial_value, const i64* partial_index)}.
 * op is the ReduceOp ordinal (R_* in the generated ops.cuh).
 */
final class ReduceLaunchers {
    private final LaunchSupport k;
    private final DeviceOps gpu;
    private final ElementwiseLaunchers elementwise;

    ReduceLaunchers(LaunchSupport support, ElementwiseLaunchers elementwise) {
        this.k = support;
        this.gpu = support.gpu;
        this.elementwise = elementwise;
    }

    void reduce(ReduceOp op, Tensor x, int dim, Tensor out, Tensor indices) {
        int n = x.size(dim);
        long step = x.stride(dim);
        int[] outShape = out.shape();
        int[] xOuter = dropDim(x.strides(), dim);
        int[] idxStrides = indices == null ? new int[outShape.length] : indices.strides();
        StridedSpace outs = StridedSpace.of(outShape, out.strides(), xOuter, idxStrides);
        long numOut = outs.numel();
        if (numOut == 0) return;
        if (n == 0) {
            if (op != ReduceOp.SUM) throw new IllegalArgumentException(op.name().toLowerCase() + ": dim " + dim + " is empty");
            elementwise.fill(out, 0);
            return;
        }
        long xa = k.addr(x);
        long oa = k.addr(out);
        long ia = indices == null ? 0 : k.addr(indices);
        int sms = gpu.multiprocessors();
        boolean perThread = (step != 1 && numOut >= 2048) || (numOut >= 64L * sms && n <= 32);
        String kernel;
        LaunchShape shape;
        int splits = 1;
        if (perThread) {
            // Too few outputs to fill the GPU with one thread each: split n into slices over blockIdx.y.
            long targetThreads = 8L * sms * LaunchShape.THREADS;
            if (numOut < targetThreads && n >= 64) {
                splits = (int) Math.min(Math.min(LaunchShape.ceilDiv(targetThreads, numOut), LaunchShape.ceilDiv(n, 16)), 1024);
            }
            LaunchShape lin = LaunchShape.linear(numOut, LaunchShape.THREADS, LaunchShape.MAX_GRID_X);
            kernel = "reduce_per_thread";
            shape = new LaunchShape(lin.gridX(), splits, 1, LaunchShape.THREADS, 0);
        } else {
            if (numOut < 2L * sms && n >= 8192) {
                splits = (int) Math.min(Math.min(LaunchShape.ceilDiv(n, 4096), Math.max(1, 4L * sms / numOut)), 1024);
            }
            kernel = "reduce_per_block";
            shape = new LaunchShape((int) Math.min(numOut, LaunchShape.MAX_GRID_X), splits, 1, LaunchShape.THREADS, 0);
        }
        CachingAllocator.Block partials = splits > 1 ? gpu.allocator().allocate(numOut * splits * 16) : null;
        long pv = partials == null ? 0 : partials.address();
        long pi = partials == null ? 0 : partials.address() + numOut * splits * 8;
        try {
            gpu.launch("reduce", kernel, shape, new KernelArgs().i32(op.ordinal()).struct(outs.pack()).i64(numOut).ptr(xa)
                    .i32(code(x.dtype())).i64(n).i64(step).i32(splits).ptr(oa).i32(code(out.dtype())).ptr(ia).ptr(pv).ptr(pi));
            if (splits > 1) {
                gpu.launch("reduce", "reduce_finish", LaunchShape.linear(numOut, LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                        new KernelArgs().i32(op.ordinal()).struct(outs.pack()).i64(numOut).i32(code(x.dtype())).i32(splits).ptr(oa)
                                .i32(code(out.dtype())).ptr(ia).ptr(pv).ptr(pi));
            }
        } finally {
            if (partials != null) gpu.allocator().free(partials);   // stream order keeps it alive for the kernels queued above
        }
    }

    private static int[] dropDim(int[] a, int d) {
        int[] r = new int[a.length - 1];
        for (int i = 0, j = 0; i < a.length; i++) if (i != d) r[j++] = a[i];
        return r;
    }
}

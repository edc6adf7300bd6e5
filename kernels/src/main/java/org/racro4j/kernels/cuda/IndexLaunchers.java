package org.racro4j.kernels.cuda;

import static org.racro4j.kernels.cuda.LaunchSupport.code;

import org.racro4j.core.Tensor;

/**
 * Launches indexing.cu: indexSelect, indexAdd, gather and scatterAdd. Every kernel checks its indices and
 * reports the first bad one through the error word ({@link IndexChecks}), its last argument.
 */
final class IndexLaunchers {
    private final LaunchSupport k;
    private final DeviceOps gpu;
    private final IndexChecks checks;

    IndexLaunchers(LaunchSupport support, IndexChecks checks) {
        this.k = support;
        this.gpu = support.gpu;
        this.checks = checks;
    }

    /**
     * {@code index_select(StridedSpace s, i64 numel, void* out, const void* src, int elem_bytes, i64 src_dim_stride,
     * i64 src_dim_size, const void* index, int index_dt, i64 index_stride, u64* err)}.
     */
    void indexSelect(Tensor src, int dim, Tensor index, Tensor out) {
        if (src.dtype() != out.dtype()) throw new IllegalArgumentException("indexSelect: out dtype differs from src");
        if (out.numel() == 0) return;
        int[] srcStrides = src.strides();
        srcStrides[dim] = 0;
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), srcStrides, coordinateStrides(out.dim(), dim));
        long indexStride = index.stride(0);
        int limit = src.size(dim);
        gpu.launch("indexing", "index_select", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(k.addr(out))
                .ptr(k.addr(src)).i32(src.dtype().byteSize()).i64(src.stride(dim)).i64(limit).ptr(k.addr(index)).i32(code(index.dtype()))
                .i64(indexStride).ptr(checks.errorWord));
        checks.afterIndexKernel("indexSelect", index, (offset, j) -> new IndexOutOfBoundsException("indexSelect: index " + j
                + " at position " + (indexStride == 0 ? 0 : offset / indexStride) + " is out of range for a dim of size " + limit));
    }

    /**
     * {@code index_add(StridedSpace s, i64 numel, void* dst, int dst_dt, i64 dst_dim_stride, i64 dst_dim_size,
     * const void* src, int src_dt, const void* index, int index_dt, i64 index_stride, u64* err)}.
     */
    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        requireAccumulator("indexAdd", dst);
        if (src.numel() == 0) return;
        int[] dstStrides = dst.strides();
        dstStrides[dim] = 0;
        StridedSpace s = StridedSpace.of(src.shape(), src.strides(), dstStrides, coordinateStrides(src.dim(), dim));
        long indexStride = index.stride(0);
        int limit = dst.size(dim);
        gpu.launch("indexing", "index_add", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(k.addr(dst))
                .i32(code(dst.dtype())).i64(dst.stride(dim)).i64(limit).ptr(k.addr(src)).i32(code(src.dtype())).ptr(k.addr(index))
                .i32(code(index.dtype())).i64(indexStride).ptr(checks.errorWord));
        checks.afterIndexKernel("indexAdd", index, (offset, j) -> new IndexOutOfBoundsException("indexAdd: index " + j
                + " at position " + (indexStride == 0 ? 0 : offset / indexStride) + " is out of range for a dim of size " + limit));
    }

    /**
     * {@code gather(StridedSpace s, i64 numel, void* out, const void* src, int elem_bytes, i64 src_dim_stride,
     * i64 src_dim_size, const void* index, int index_dt, u64* err)}.
     */
    void gather(Tensor src, int dim, Tensor index, Tensor out) {
        if (out.numel() == 0) return;
        if (src.dtype() != out.dtype()) throw new IllegalArgumentException("gather: out dtype differs from src");
        int[] srcStrides = src.strides();
        srcStrides[dim] = 0;
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), index.strides(), srcStrides);
        int limit = src.size(dim);
        gpu.launch("indexing", "gather", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(k.addr(out))
                .ptr(k.addr(src)).i32(src.dtype().byteSize()).i64(src.stride(dim)).i64(limit).ptr(k.addr(index)).i32(code(index.dtype()))
                .ptr(checks.errorWord));
        checks.afterIndexKernel("gather", index, (offset, j) -> new IndexOutOfBoundsException("gather: index " + j
                + " is out of range for dim " + dim + " of size " + limit));
    }

    /**
     * {@code scatter_add(StridedSpace s, i64 numel, void* dst, int dst_dt, i64 dst_dim_stride, i64 dst_dim_size,
     * const void* src, int src_dt, const void* index, int index_dt, u64* err)}.
     */
    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        requireAccumulator("scatterAdd", dst);
        if (src.numel() == 0) return;
        int[] dstStrides = dst.strides();
        dstStrides[dim] = 0;
        StridedSpace s = StridedSpace.of(src.shape(), src.strides(), index.strides(), dstStrides);
        int limit = dst.size(dim);
        gpu.launch("indexing", "scatter_add", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(k.addr(dst))
                .i32(code(dst.dtype())).i64(dst.stride(dim)).i64(limit).ptr(k.addr(src)).i32(code(src.dtype())).ptr(k.addr(index))
                .i32(code(index.dtype())).ptr(checks.errorWord));
        checks.afterIndexKernel("scatterAdd", index, (offset, j) -> new IndexOutOfBoundsException("scatterAdd: index " + j
                + " is out of range for dim " + dim + " of size " + limit));
    }

    private static void requireAccumulator(String op, Tensor dst) {
        if (!dst.dtype().isFloatingPoint()) {
            throw new UnsupportedOperationException(op + ": the CUDA backend accumulates into F32, BF16 or F16 tensors, got " + dst.dtype());
        }
    }

    /** Strides that make an operand's "offset" the coordinate along dim: 1 there, 0 elsewhere. */
    private static int[] coordinateStrides(int rank, int dim) {
        int[] s = new int[rank];
        s[dim] = 1;
        return s;
    }
}

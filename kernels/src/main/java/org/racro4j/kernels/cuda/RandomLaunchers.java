package org.racro4j.kernels.cuda;

import static org.racro4j.kernels.cuda.LaunchSupport.suffix;

import org.racro4j.core.DType;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;

/** Launches philox.cu (random fills) and sampling.cu (token sampling), both on the Philox4x32-10 stream of philox.cuh. */
final class RandomLaunchers {
    private final LaunchSupport k;
    private final DeviceOps gpu;
    private final ElementwiseLaunchers elementwise;

    RandomLaunchers(LaunchSupport support, ElementwiseLaunchers elementwise) {
        this.k = support;
        this.gpu = support.gpu;
        this.elementwise = elementwise;
    }

    /** {@code philox_<f32|bf16|f16>(T* dst, i64 n, u64 seed, u64 offset, int normal, float a, float b)}. */
    void random(Tensor dst, long seed, long offset, boolean normal, float a, float b) {
        if (!dst.isContiguous()) throw new IllegalArgumentException("random: destination must be contiguous");
        long n = dst.numel();
        if (n == 0) return;
        gpu.launch("philox", "philox_" + suffix(dst.dtype()), LaunchShape.linear(LaunchShape.ceilDiv(n, 4), LaunchShape.THREADS,
                LaunchShape.MAX_GRID_X), new KernelArgs().ptr(k.addr(dst)).i64(n).i64(seed).i64(offset).i32(normal ? 1 : 0).f32(a).f32(b));
    }

    /**
     * {@code sample_tokens_<f32|bf16|f16>(const T* logits, int V, float temperature, int top_k, float top_p, u64 seed,
     * u64 offset, i64* out, i64 out_stride, u32* keys_a, u32* keys_b, int* idx_a, int* idx_b)}: one 1024-thread block
     * per row; the four scratch planes (rows * V entries of 4 bytes each) are only needed, and only allocated, when
     * sampling (temperature &gt; 0). A non-I64 out gets the tokens through an I64 temporary.
     */
    void sampleTokens(Tensor logits, float temperature, int topK, float topP, long seed, long offset, Tensor out) {
        if (logits.dim() != 2 || !logits.isContiguous()) {
            throw new IllegalArgumentException("sampleTokens: logits must be a contiguous [B, V] tensor, got " + Shapes.str(logits.shape()));
        }
        int rows = logits.size(0);
        int v = logits.size(1);
        if (rows == 0) return;
        if (v == 0) throw new IllegalArgumentException("sampleTokens: the vocabulary dim is empty");
        CachingAllocator.Block scratch = temperature > 0f ? gpu.allocator().allocate((long) rows * v * 16) : null;
        CachingAllocator.Block outTmp = out.dtype() == DType.I64 ? null : gpu.allocator().allocate((long) rows * 8);
        try {
            long base = scratch == null ? 0 : scratch.address();
            long plane = (long) rows * v * 4;
            long oa = outTmp == null ? k.addr(out) : outTmp.address();
            long oStride = outTmp == null ? out.stride(0) : 1;
            gpu.launch("sampling", "sample_tokens_" + suffix(logits.dtype()), new LaunchShape(rows, 1, 1, 1024, 0),
                    new KernelArgs().ptr(k.addr(logits)).i32(v).f32(temperature).i32(topK).f32(topP).i64(seed).i64(offset).ptr(oa).i64(oStride)
                            .ptr(base).ptr(base == 0 ? 0 : base + plane).ptr(base == 0 ? 0 : base + 2 * plane)
                            .ptr(base == 0 ? 0 : base + 3 * plane));
            if (outTmp != null) {
                StridedSpace s = StridedSpace.of(out.shape(), out.strides(), new int[] {1});
                elementwise.launchCopy(s, k.addr(out), out.dtype(), outTmp.address(), DType.I64);
            }
        } finally {
            if (scratch != null) gpu.allocator().free(scratch);
            if (outTmp != null) gpu.allocator().free(outTmp);
        }
    }
}

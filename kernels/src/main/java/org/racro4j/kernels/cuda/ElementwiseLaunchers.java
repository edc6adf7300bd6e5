package org.racro4j.kernels.cuda;

import static org.racro4j.kernels.cuda.LaunchSupport.aligned16;
import static org.racro4j.kernels.cuda.LaunchSupport.code;
import static org.racro4j.kernels.cuda.LaunchSupport.floatingPack;
import static org.racro4j.kernels.cuda.LaunchSupport.suffix;

import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.HalfFloats;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;
import org.racro4j.core.UnaryOp;

/**
 * Launches copy.cu and elementwise.cu: copy, fill, unary, binary and where. Each launch packs the arguments of
 * the kernel named in its comment, in that order; StridedSpace is packed by {@link StridedSpace#pack()}.
 */
final class ElementwiseLaunchers {
    private final LaunchSupport k;
    private final DeviceOps gpu;

    ElementwiseLaunchers(LaunchSupport support) {
        this.k = support;
        this.gpu = support.gpu;
    }

    void copy(Tensor src, Tensor dst) {
        if (dst.numel() == 0) return;
        StridedSpace s = StridedSpace.of(dst.shape(), dst.strides(), src.strides());
        if (src.dtype() == dst.dtype() && s.isDense(0) && s.isDense(1)) {
            gpu.copyDeviceToDevice(k.addr(dst), k.addr(src), dst.numel() * dst.dtype().byteSize());
            return;
        }
        launchCopy(s, k.addr(dst), dst.dtype(), k.addr(src), src.dtype());
    }

    /** {@code copy_strided(StridedSpace s, i64 numel, void* dst, int dst_dt, const void* src, int src_dt)}. */
    void launchCopy(StridedSpace s, long dst, DType dstType, long src, DType srcType) {
        gpu.launch("copy", "copy_strided", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel())
                .ptr(dst).i32(code(dstType)).ptr(src).i32(code(srcType)));
    }

    /** A contiguous copy of t in dtype {@code to}, in a block the caller frees (after queuing its kernels). */
    CachingAllocator.Block contiguousCopy(Tensor t, DType to) {
        CachingAllocator.Block block = gpu.allocator().allocate(t.numel() * to.byteSize());
        if (t.numel() > 0) {
            StridedSpace s = StridedSpace.of(t.shape(), Shapes.contiguousStrides(t.shape()), t.strides());
            launchCopy(s, block.address(), to, k.addr(t), t.dtype());
        }
        return block;
    }

    /**
     * {@code fill_contig(void* dst, i64 n, int elem_bytes, u64 bits)} for a dense, aligned tensor, else
     * {@code fill_strided(StridedSpace s, i64 numel, void* dst, int elem_bytes, u64 bits)}.
     */
    void fill(Tensor dst, double value) {
        if (dst.numel() == 0) return;
        long bits = switch (dst.dtype()) {
            case F32 -> Float.floatToRawIntBits((float) value) & 0xffffffffL;
            case BF16 -> HalfFloats.floatToBf16((float) value) & 0xffffL;
            case F16 -> HalfFloats.floatToF16((float) value) & 0xffffL;
            case I32 -> ((int) value) & 0xffffffffL;
            case I64 -> (long) value;
        };
        int size = dst.dtype().byteSize();
        StridedSpace s = StridedSpace.of(dst.shape(), dst.strides());
        long address = k.addr(dst);
        if (s.isDense(0) && aligned16(address)) {
            long vectors = LaunchShape.ceilDiv(dst.numel() * size, 16);
            gpu.launch("copy", "fill_contig", LaunchShape.linear(vectors, LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                    new KernelArgs().ptr(address).i64(dst.numel()).i32(size).i64(bits));
        } else {
            gpu.launch("copy", "fill_strided", LaunchShape.strided(s),
                    new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(address).i32(size).i64(bits));
        }
    }

    /**
     * {@code unary_contig_<f32|bf16|f16>(int op, const T* x, T* y, i64 n, float p0, float p1)} for dense, aligned
     * floating tensors of one dtype, else {@code unary_strided(int op, StridedSpace s, i64 numel, void* out,
     * int out_dt, const void* x, int x_dt, float p0, float p1)}. op is the UnaryOp ordinal (U_* in the generated ops.cuh).
     */
    void unary(UnaryOp op, Tensor x, Tensor out, float p0, float p1) {
        long n = out.numel();
        if (n == 0) return;
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), x.strides());
        long xa = k.addr(x);
        long oa = k.addr(out);
        if (x.dtype() == out.dtype() && x.dtype().isFloatingPoint() && s.isDense(0) && s.isDense(1) && aligned16(xa, oa)) {
            gpu.launch("elementwise", "unary_contig_" + suffix(x.dtype()),
                    LaunchShape.linear(LaunchShape.ceilDiv(n, floatingPack(x.dtype())), LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                    new KernelArgs().i32(op.ordinal()).ptr(xa).ptr(oa).i64(n).f32(p0).f32(p1));
        } else {
            gpu.launch("elementwise", "unary_strided", LaunchShape.strided(s), new KernelArgs().i32(op.ordinal()).struct(s.pack())
                    .i64(n).ptr(oa).i32(code(out.dtype())).ptr(xa).i32(code(x.dtype())).f32(p0).f32(p1));
        }
    }

    /**
     * {@code binary_contig_<f32|bf16|f16>(int op, const T* a, const T* b, T* out, i64 n, int b_scalar)} for dense
     * (or scalar b), aligned floating tensors of one dtype and the ops up to POW, else {@code binary_strided(int op,
     * StridedSpace s, i64 numel, void* out, int out_dt, const void* a, int a_dt, const void* b, int b_dt)}. op is
     * the BinaryOp ordinal (B_* in ops.cuh).
     */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        long n = out.numel();
        if (n == 0) return;
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), a.strides(), b.strides());
        long aa = k.addr(a);
        long ba = k.addr(b);
        long oa = k.addr(out);
        DType dt = out.dtype();
        boolean sameFloat = dt.isFloatingPoint() && a.dtype() == dt && b.dtype() == dt;
        boolean bScalar = s.isBroadcastScalar(2);
        if (sameFloat && op.ordinal() <= BinaryOp.POW.ordinal() && s.isDense(0) && s.isDense(1) && (s.isDense(2) || bScalar)
                && aligned16(aa, oa) && (bScalar || aligned16(ba))) {
            gpu.launch("elementwise", "binary_contig_" + suffix(dt),
                    LaunchShape.linear(LaunchShape.ceilDiv(n, floatingPack(dt)), LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                    new KernelArgs().i32(op.ordinal()).ptr(aa).ptr(ba).ptr(oa).i64(n).i32(bScalar ? 1 : 0));
        } else {
            gpu.launch("elementwise", "binary_strided", LaunchShape.strided(s), new KernelArgs().i32(op.ordinal()).struct(s.pack())
                    .i64(n).ptr(oa).i32(code(dt)).ptr(aa).i32(code(a.dtype())).ptr(ba).i32(code(b.dtype())));
        }
    }

    /**
     * {@code where_strided(StridedSpace s, i64 numel, void* out, const void* cond, int cond_dt, const void* a,
     * const void* b, int elem_bytes)}.
     */
    void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        long n = out.numel();
        if (n == 0) return;
        if (a.dtype() != out.dtype() || b.dtype() != out.dtype()) {
            throw new IllegalArgumentException("where: a (" + a.dtype() + ") and b (" + b.dtype() + ") must have out's dtype " + out.dtype());
        }
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), cond.strides(), a.strides(), b.strides());
        gpu.launch("elementwise", "where_strided", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(n).ptr(k.addr(out))
                .ptr(k.addr(cond)).i32(code(cond.dtype())).ptr(k.addr(a)).ptr(k.addr(b)).i32(out.dtype().byteSize()));
    }
}

package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.Backend;
import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.HalfFloats;
import org.racro4j.core.MemoryStats;
import org.racro4j.core.ReduceOp;
import org.racro4j.core.Shapes;
import org.racro4j.core.Storage;
import org.racro4j.core.Tensor;
import org.racro4j.core.UnaryOp;

/**
 * The CUDA backend: every primitive of {@link Backend} as a run-time compiled kernel (sources in
 * {@code org/racro4j/kernels/cuda/*.cu}, one file per family, each with its math, launch shape and bytes moved),
 * matmul through cuBLAS when it loads and a tiled kernel otherwise. All work is queued on one stream; host
 * transfers go through pinned staging buffers; memory comes from a caching allocator.
 *
 * <p>Semantics follow the CPU backend, which the GPU tests compare against. Where the two can differ by design:
 * floating sums accumulate in float here (double on the CPU); integer binary ops and integer max/min are exact
 * in int64 here (the CPU goes through float); indexAdd/scatterAdd also accept BF16 and F16 destinations.
 *
 * <p>A bad index (gather, scatter, index select/add, cross-entropy targets) raises the CPU backend's
 * IndexOutOfBoundsException at the call, which costs a synchronisation; with
 * {@code -D}{@value #PROP_DEFER_INDEX_CHECKS}{@code =true} the check waits for the next synchronising call
 * (download, synchronize) and names the ops that may have caused it.
 */
public final class CudaBackend implements Backend {
    public static final String PROP_DEFER_INDEX_CHECKS = "racro4j.cuda.deferIndexChecks";

    private static final long NO_ERROR = -1L;

    private final Device device;
    private final CudaDevice gpu;
    private final CublasGemm cublas;
    private final CudaGemm gemm;
    private final CudaAttention attention;
    private final String libraryNotes;
    /** Device address of the 8-byte error word of common.cuh (report_bad_index). */
    private final long errorWord;
    private volatile boolean deferIndexChecks;
    private final List<String> uncheckedIndexOps = new ArrayList<>();
    /** Index-checking ops queued while a graph is being captured (their check runs after each replay). */
    private final List<String> capturedIndexOps = new ArrayList<>();

    CudaBackend(CudaDevice gpu, CublasGemm cublas, String cublasWhyNot, TensorMapSpec.Encoder tma, String tmaWhyNot) {
        this.device = Device.of("cuda:" + gpu.index);
        this.gpu = gpu;
        this.cublas = cublas;
        this.gemm = new CudaGemm(this, gpu, cublas, tma, this::addr);
        this.attention = new CudaAttention(this, gpu, this::addr);
        this.libraryNotes = (cublas != null ? cublas.description() : "no cuBLAS (" + cublasWhyNot + ")")
                + (tma != null ? "" : "; no TMA descriptors (" + tmaWhyNot + ")");
        this.deferIndexChecks = Boolean.getBoolean(PROP_DEFER_INDEX_CHECKS);
        this.errorWord = gpu.errorWord;
        resetErrorWord();
    }

    /** What this backend runs on and with, one line. */
    public String describe() {
        return gpu.describe() + "; BF16 matmul by " + gemm.describe(DType.BF16) + ", F32 by " + gemm.describe(DType.F32) + "; "
                + libraryNotes;
    }

    /** The GEMM kernel of the last product, and any tensor-core kernel that failed its first-use check. */
    public String gemmReport() {
        return gemm.report();
    }

    /**
     * Whether index checks (gather, scatter, embedding, cross-entropy targets) wait for the next synchronising call
     * instead of costing one each: a whole training step then runs with no host round trip per op.
     */
    public void setDeferIndexChecks(boolean defer) {
        this.deferIndexChecks = defer;
    }

    /** How many times the host has waited for this device (synchronize, downloads), for tests of whole steps. */
    public long hostSyncs() {
        return gpu.hostSyncs();
    }

    @Override
    public Device device() {
        return device;
    }

    // ============================================================================================ memory

    @Override
    public Storage allocate(DType dtype, long numel) {
        if (numel < 0) throw new IllegalArgumentException("allocate: negative element count " + numel);
        return new CudaStorage(this, dtype, numel, gpu.allocator.allocate(numel * dtype.byteSize()));
    }

    @Override
    public void free(Storage storage) {
        gpu.allocator.free(((CudaStorage) storage).block());
    }

    @Override
    public MemoryStats memoryStats() {
        return gpu.allocator.stats();
    }

    @Override
    public void resetPeakMemory() {
        gpu.allocator.resetPeak();
    }

    /** Returns cached, unused device memory to the driver; the bytes released. */
    public long releaseCachedMemory() {
        return gpu.allocator.releaseCached();
    }

    @Override
    public void upload(Storage dst, long dstByteOffset, ByteBuffer src) {
        CudaStorage s = own(dst, "upload");
        checkRange("upload", s, dstByteOffset, src.remaining());
        gpu.upload(s.address() + dstByteOffset, src);
    }

    @Override
    public void download(Storage src, long srcByteOffset, ByteBuffer dst) {
        CudaStorage s = own(src, "download");
        checkRange("download", s, srcByteOffset, dst.remaining());
        gpu.download(s.address() + srcByteOffset, dst);
        checkDeferredIndices();
    }

    @Override
    public void synchronize() {
        gpu.synchronize();
        checkDeferredIndices();
    }

    private static void checkRange(String op, CudaStorage s, long byteOffset, long bytes) {
        int es = s.dtype().byteSize();
        if (byteOffset % es != 0 || bytes % es != 0 || byteOffset < 0 || byteOffset + bytes > s.byteSize()) {
            throw new IllegalArgumentException("cuda " + op + ": " + bytes + " bytes at byte offset " + byteOffset
                    + " do not fit a " + s.dtype() + " storage of " + s.byteSize() + " bytes");
        }
    }

    private CudaStorage own(Storage s, String op) {
        if (!(s instanceof CudaStorage cs) || s.backend() != this) {
            throw new IllegalArgumentException(op + ": storage belongs to " + s.backend().device() + ", not " + device);
        }
        return cs;
    }

    /** The device address of a tensor's first element. */
    private long addr(Tensor t) {
        return own(t.storage(), "cuda kernel").address() + (long) t.offset() * t.dtype().byteSize();
    }

    private static int code(DType d) {
        return d.ordinal();
    }

    private static String suffix(DType d) {
        return switch (d) {
            case F32 -> "f32";
            case BF16 -> "bf16";
            case F16 -> "f16";
            default -> throw new IllegalArgumentException("this CUDA kernel needs a floating tensor, got " + d);
        };
    }

    private static boolean aligned16(long... addresses) {
        for (long a : addresses) if ((a & 15) != 0) return false;
        return true;
    }

    private static int floatingPack(DType d) {
        return 16 / d.byteSize();
    }

    // ============================================================================================ elementwise

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (dst.numel() == 0) return;
        StridedSpace s = StridedSpace.of(dst.shape(), dst.strides(), src.strides());
        if (src.dtype() == dst.dtype() && s.isDense(0) && s.isDense(1)) {
            gpu.copyDeviceToDevice(addr(dst), addr(src), dst.numel() * dst.dtype().byteSize());
            return;
        }
        launchCopy(s, addr(dst), dst.dtype(), addr(src), src.dtype());
    }

    private void launchCopy(StridedSpace s, long dst, DType dstType, long src, DType srcType) {
        gpu.launch("copy", "copy_strided", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel())
                .ptr(dst).i32(code(dstType)).ptr(src).i32(code(srcType)));
    }

    /** A contiguous copy of t in dtype {@code to}, in a block the caller frees (after queuing its kernels). */
    private CachingAllocator.Block contiguousCopy(Tensor t, DType to) {
        CachingAllocator.Block block = gpu.allocator.allocate(t.numel() * to.byteSize());
        if (t.numel() > 0) {
            StridedSpace s = StridedSpace.of(t.shape(), Shapes.contiguousStrides(t.shape()), t.strides());
            launchCopy(s, block.address(), to, addr(t), t.dtype());
        }
        return block;
    }

    @Override
    public void fill(Tensor dst, double value) {
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
        long address = addr(dst);
        if (s.isDense(0) && aligned16(address)) {
            long vectors = LaunchShape.ceilDiv(dst.numel() * size, 16);
            gpu.launch("copy", "fill_contig", LaunchShape.linear(vectors, LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                    new KernelArgs().ptr(address).i64(dst.numel()).i32(size).i64(bits));
        } else {
            gpu.launch("copy", "fill_strided", LaunchShape.strided(s),
                    new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(address).i32(size).i64(bits));
        }
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out, float p0, float p1) {
        long n = out.numel();
        if (n == 0) return;
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), x.strides());
        long xa = addr(x);
        long oa = addr(out);
        if (x.dtype() == out.dtype() && x.dtype().isFloatingPoint() && s.isDense(0) && s.isDense(1) && aligned16(xa, oa)) {
            gpu.launch("elementwise", "unary_contig_" + suffix(x.dtype()),
                    LaunchShape.linear(LaunchShape.ceilDiv(n, floatingPack(x.dtype())), LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                    new KernelArgs().i32(op.ordinal()).ptr(xa).ptr(oa).i64(n).f32(p0).f32(p1));
        } else {
            gpu.launch("elementwise", "unary_strided", LaunchShape.strided(s), new KernelArgs().i32(op.ordinal()).struct(s.pack())
                    .i64(n).ptr(oa).i32(code(out.dtype())).ptr(xa).i32(code(x.dtype())).f32(p0).f32(p1));
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        long n = out.numel();
        if (n == 0) return;
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), a.strides(), b.strides());
        long aa = addr(a);
        long ba = addr(b);
        long oa = addr(out);
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

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        long n = out.numel();
        if (n == 0) return;
        if (a.dtype() != out.dtype() || b.dtype() != out.dtype()) {
            throw new IllegalArgumentException("where: a (" + a.dtype() + ") and b (" + b.dtype() + ") must have out's dtype " + out.dtype());
        }
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), cond.strides(), a.strides(), b.strides());
        gpu.launch("elementwise", "where_strided", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(n).ptr(addr(out))
                .ptr(addr(cond)).i32(code(cond.dtype())).ptr(addr(a)).ptr(addr(b)).i32(out.dtype().byteSize()));
    }

    // ============================================================================================ reductions

    @Override
    public void reduce(ReduceOp op, Tensor x, int dim, Tensor out, Tensor indices) {
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
            fill(out, 0);
            return;
        }
        long xa = addr(x);
        long oa = addr(out);
        long ia = indices == null ? 0 : addr(indices);
        int sms = gpu.multiprocessors;
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
        CachingAllocator.Block partials = splits > 1 ? gpu.allocator.allocate(numOut * splits * 16) : null;
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
            if (partials != null) gpu.allocator.free(partials);   // stream order keeps it alive for the kernels queued above
        }
    }

    private static int[] dropDim(int[] a, int d) {
        int[] r = new int[a.length - 1];
        for (int i = 0, j = 0; i < a.length; i++) if (i != d) r[j++] = a[i];
        return r;
    }

    // ============================================================================================ matmul

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        int batch = out.size(0);
        int m = out.size(1);
        int n = out.size(2);
        int k = a.size(2);
        if ((long) batch * m * n == 0) return;
        if (!out.isContiguous()) throw new IllegalArgumentException("matmul: out must be contiguous");
        DType dt = out.dtype();
        if (a.dtype() != dt || b.dtype() != dt) {
            throw new IllegalArgumentException("matmul: dtypes differ (" + a.dtype() + ", " + b.dtype() + ", out " + dt + ")");
        }
        gemm.run(a, b, out, GemmEpilogue.plain(alpha, beta), null);
    }

    /**
     * out [batch, M, N] (contiguous) = epilogue(a [batch, M, K] @ b [batch, K, N]), with a fused bias, activation and
     * residual add (see {@link GemmEpilogue}), on the best GEMM kernel that can run it.
     */
    public void matmul(Tensor a, Tensor b, Tensor out, GemmEpilogue epilogue) {
        checkMatmul(a, b, out);
        if ((long) out.size(0) * out.size(1) * out.size(2) == 0) return;
        gemm.run(a, b, out, epilogue, null);
    }

    /**
     * Like {@link #matmul(Tensor, Tensor, Tensor, GemmEpilogue)} but on one rung of the ladder only (the GEMM bench);
     * returns what ran, or null when that rung cannot run this product here.
     */
    public GemmPlan.Choice matmulOn(GemmPlan.Rung rung, Tensor a, Tensor b, Tensor out, GemmEpilogue epilogue) {
        checkMatmul(a, b, out);
        return gemm.run(a, b, out, epilogue, rung);
    }

    /** The device the GEMM selection rules see (architecture, multiprocessors, cuBLAS, TMA). */
    public GemmPlan.Device gemmDevice() {
        return gemm.caps();
    }

    private static void checkMatmul(Tensor a, Tensor b, Tensor out) {
        if (a.dim() != 3 || b.dim() != 3 || out.dim() != 3 || a.size(0) != out.size(0) || b.size(0) != out.size(0)
                || a.size(1) != out.size(1) || b.size(2) != out.size(2) || a.size(2) != b.size(1)) {
            throw new IllegalArgumentException("matmul: expected a [B, M, K], b [B, K, N], out [B, M, N], got " + Shapes.str(a.shape()) + ", "
                    + Shapes.str(b.shape()) + ", " + Shapes.str(out.shape()));
        }
        if (!out.isContiguous()) throw new IllegalArgumentException("matmul: out must be contiguous");
        if (a.dtype() != out.dtype() || b.dtype() != out.dtype()) {
            throw new IllegalArgumentException("matmul: dtypes differ (" + a.dtype() + ", " + b.dtype() + ", out " + out.dtype() + ")");
        }
    }

    // ============================================================================================ attention

    @Override
    public boolean supportsFusedAttention(DType dtype, int headDim) {
        return gpu.major >= 8 && CudaAttention.supports(dtype, headDim);   // mma.sync.m16n8k16 with BF16 is sm_80+
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale, Tensor out, Tensor lse) {
        requireAttention(q, k, v);
        attention.forward(q, k, v, keyMask, causal, scale, out, lse);
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale, Tensor out, Tensor lse,
                                  Tensor gOut, Tensor gq, Tensor gk, Tensor gv) {
        requireAttention(q, k, v);
        attention.backward(q, k, v, keyMask, causal, scale, out, lse, gOut, gq, gk, gv);
    }

    private static void requireAttention(Tensor q, Tensor k, Tensor v) {
        if (!CudaAttention.supports(q.dtype(), q.size(3)) || k.dtype() != q.dtype() || v.dtype() != q.dtype() || v.size(3) != q.size(3)) {
            throw new IllegalArgumentException("fused attention runs BF16/F16 q, k, v of one dtype with head dim 64 or 128, got q "
                    + q.dtype() + " " + Shapes.str(q.shape()) + ", k " + k.dtype() + ", v " + v.dtype() + " " + Shapes.str(v.shape()));
        }
    }

    @Override
    public boolean supportsDecodeAttention(DType dtype, int headDim) {
        return gpu.major >= 8 && CudaAttention.supportsDecode(dtype, headDim);   // attention.cu is compiled as one family
    }

    @Override
    public void decodeAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale, Tensor out) {
        if (!CudaAttention.supportsDecode(q.dtype(), q.size(3)) || kCache.dtype() != q.dtype() || vCache.dtype() != q.dtype()) {
            throw new IllegalArgumentException("decode attention runs F32/BF16/F16 with head dim 64 or 128, got q " + q.dtype() + " "
                    + Shapes.str(q.shape()) + ", caches " + kCache.dtype());
        }
        attention.decode(q, kCache, vCache, lengths, keyMask, scale, out);
    }

    // ============================================================================================ graphs

    @Override
    public boolean supportsGraphs() {
        return true;
    }

    @Override
    public Graph capture(Runnable work) {
        gpu.makeCurrent();
        CachingAllocator.GraphPool pool = gpu.allocator.beginGraphPool();
        synchronized (capturedIndexOps) {
            capturedIndexOps.clear();
        }
        jcuda.driver.CUgraphExec exec = null;
        boolean ok = false;
        gpu.beginCapture();
        try {
            work.run();
            ok = true;
        } finally {
            try {
                exec = gpu.endCapture(ok);
            } finally {
                gpu.allocator.endGraphPool();
                if (exec == null) gpu.allocator.releaseGraphPool(pool);
            }
        }
        List<String> ops;
        synchronized (capturedIndexOps) {
            ops = new ArrayList<>(capturedIndexOps);
            capturedIndexOps.clear();
        }
        return new CudaGraph(this, gpu, exec, pool, ops);
    }

    /** After a graph replay: the index checks its kernels did wait for the next synchronising call. */
    void deferIndexChecks(List<String> ops) {
        if (ops.isEmpty()) return;
        synchronized (uncheckedIndexOps) {
            for (String op : ops) if (uncheckedIndexOps.size() < 16) uncheckedIndexOps.add(op + " (in a CUDA graph)");
        }
    }

    // ============================================================================================ fused rows

    private static int cols(Tensor t) {
        return t.dim() == 0 ? 1 : t.size(-1);
    }

    private static long rows(Tensor t) {
        int c = cols(t);
        return c == 0 ? 0 : t.numel() / c;
    }

    private static void requireContiguous(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && !t.isContiguous()) {
                throw new IllegalArgumentException(op + ": the CUDA kernel needs contiguous tensors, got shape " + Shapes.str(t.shape())
                        + " with strides " + Shapes.str(t.strides()));
            }
        }
    }

    /** Whether rows of c elements of dtype d, at these addresses, can move as 16-byte vectors. */
    private static boolean vectorRows(int c, DType d, long... addresses) {
        return (long) c * d.byteSize() % 16 == 0 && aligned16(addresses);
    }

    @Override
    public void softmax(Tensor x, Tensor out, boolean log) {
        long rows = rows(x);
        if (rows == 0) return;
        requireContiguous("softmax", x, out);
        int c = cols(x);
        long xa = addr(x);
        long oa = addr(out);
        gpu.launch("softmax", "softmax_" + suffix(x.dtype()), LaunchShape.rows(rows, c),
                new KernelArgs().ptr(xa).ptr(oa).i32(c).i32(log ? 1 : 0).i32(vectorRows(c, x.dtype(), xa, oa) ? 1 : 0));
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log) {
        long rows = rows(y);
        if (rows == 0) return;
        requireContiguous("softmaxBackward", y, gy, gx);
        sameDtype("softmaxBackward", y, gy, gx);
        int c = cols(y);
        long ya = addr(y);
        long ga = addr(gy);
        long xa = addr(gx);
        gpu.launch("softmax", "softmax_backward_" + suffix(y.dtype()), LaunchShape.rows(rows, c),
                new KernelArgs().ptr(ya).ptr(ga).ptr(xa).i32(c).i32(log ? 1 : 0).i32(vectorRows(c, y.dtype(), ya, ga, xa) ? 1 : 0));
    }

    private static void sameDtype(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t.dtype() != ts[0].dtype()) {
                throw new IllegalArgumentException(op + ": the CUDA kernel needs one dtype, got " + ts[0].dtype() + " and " + t.dtype());
            }
        }
    }

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
            if (t.dtype() == use && t.isContiguous()) return addr(t);
            CachingAllocator.Block block = contiguousCopy(t, use);
            temps.add(block);
            return block.address();
        }

        @Override
        public void close() {
            for (CachingAllocator.Block block : temps) gpu.allocator.free(block);
        }
    }

    @Override
    public void layerNorm(Tensor x, Tensor w, Tensor b, float eps, Tensor y, Tensor mean, Tensor rstd) {
        long rows = rows(x);
        if (rows == 0) return;
        requireContiguous("layerNorm", x, y, mean, rstd);
        int c = cols(x);
        try (NormWeights nw = new NormWeights(x.dtype(), w, b)) {
            long xa = addr(x);
            long ya = addr(y);
            boolean vec = c % floatingPack(x.dtype()) == 0 && aligned16(xa, ya, nw.w) && (nw.b == 0 || aligned16(nw.b))
                    && vectorRows(c, x.dtype(), xa, ya);
            gpu.launch("norms", "layernorm_" + nw.kernelSuffix, LaunchShape.rows(rows, c), new KernelArgs().ptr(xa).ptr(nw.w).ptr(nw.b)
                    .ptr(ya).ptr(addr(mean)).ptr(addr(rstd)).i32(c).f32(eps).i32(vec ? 1 : 0));
        }
    }

    @Override
    public void layerNormBackward(Tensor gy, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gx, Tensor gw, Tensor gb) {
        normBackward(true, gy, x, w, mean, rstd, gx, gw, gb);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        long rows = rows(x);
        if (rows == 0) return;
        requireContiguous("rmsNorm", x, y, rstd);
        int c = cols(x);
        try (NormWeights nw = new NormWeights(x.dtype(), w, null)) {
            long xa = addr(x);
            long ya = addr(y);
            boolean vec = c % floatingPack(x.dtype()) == 0 && aligned16(xa, ya, nw.w) && vectorRows(c, x.dtype(), xa, ya);
            gpu.launch("norms", "rmsnorm_" + nw.kernelSuffix, LaunchShape.rows(rows, c), new KernelArgs().ptr(xa).ptr(nw.w).ptr(ya)
                    .ptr(addr(rstd)).i32(c).f32(eps).i32(vec ? 1 : 0));
        }
    }

    @Override
    public void rmsNormBackward(Tensor gy, Tensor x, Tensor w, Tensor rstd, Tensor gx, Tensor gw) {
        normBackward(false, gy, x, w, null, rstd, gx, gw, null);
    }

    private void normBackward(boolean layer, Tensor gy, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gx, Tensor gw, Tensor gb) {
        String op = layer ? "layerNormBackward" : "rmsNormBackward";
        long rows = rows(x);
        int c = cols(x);
        if (rows == 0 || c == 0) {
            if (gw != null) fill(gw, 0);
            if (gb != null) fill(gb, 0);
            return;
        }
        requireContiguous(op, gy, x, gx, rstd, mean);
        if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": " + rows + " rows exceed one launch");
        List<CachingAllocator.Block> temps = new ArrayList<>();
        try (NormWeights nw = new NormWeights(x.dtype(), w, null)) {
            long gya = addr(gy);
            if (gy.dtype() != x.dtype()) {
                CachingAllocator.Block g = contiguousCopy(gy, x.dtype());
                temps.add(g);
                gya = g.address();
            }
            int grid = (int) Math.min(rows, 4L * gpu.multiprocessors);
            CachingAllocator.Block gwPart = gw == null ? null : gpu.allocator.allocate((long) grid * c * 4);
            CachingAllocator.Block gbPart = gb == null ? null : gpu.allocator.allocate((long) grid * c * 4);
            if (gwPart != null) temps.add(gwPart);
            if (gbPart != null) temps.add(gbPart);
            gpu.launch("norms", "norm_backward_" + nw.kernelSuffix, new LaunchShape(grid, 1, 1, LaunchShape.rowThreads(c, 8), 0),
                    new KernelArgs().i32(layer ? 1 : 0).ptr(gya).ptr(addr(x)).ptr(nw.w).ptr(mean == null ? 0 : addr(mean)).ptr(addr(rstd))
                            .ptr(addr(gx)).i32((int) rows).i32(c).ptr(gwPart == null ? 0 : gwPart.address())
                            .ptr(gbPart == null ? 0 : gbPart.address()));
            if (gw != null) columnSums(gwPart, grid, c, gw);
            if (gb != null) columnSums(gbPart, grid, c, gb);
        } finally {
            for (CachingAllocator.Block b : temps) gpu.allocator.free(b);
        }
    }

    /** dst[j] = sum over parts of partial[p][j], written in dst's dtype (dst contiguous, else through a temporary). */
    private void columnSums(CachingAllocator.Block partial, int parts, int c, Tensor dst) {
        if (dst.isContiguous()) {
            gpu.launch("norms", "column_sums", LaunchShape.linear(c, LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                    new KernelArgs().ptr(partial.address()).i32(parts).i32(c).ptr(addr(dst)).i32(code(dst.dtype())));
            return;
        }
        CachingAllocator.Block tmp = gpu.allocator.allocate((long) c * dst.dtype().byteSize());
        try {
            gpu.launch("norms", "column_sums", LaunchShape.linear(c, LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                    new KernelArgs().ptr(partial.address()).i32(parts).i32(c).ptr(tmp.address()).i32(code(dst.dtype())));
            StridedSpace s = StridedSpace.of(dst.shape(), dst.strides(), Shapes.contiguousStrides(dst.shape()));
            launchCopy(s, addr(dst), dst.dtype(), tmp.address(), dst.dtype());
        } finally {
            gpu.allocator.free(tmp);
        }
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor target, int ignoreIndex, Tensor loss, Tensor lse) {
        long rows = logits.size(0);
        int v = logits.size(1);
        if (rows == 0) return;
        requireContiguous("crossEntropy", logits, loss, lse);
        long la = addr(logits);
        long tStride = target.dim() == 0 ? 0 : target.stride(0);
        gpu.launch("cross_entropy", "cross_entropy_" + suffix(logits.dtype()), LaunchShape.rows(rows, v),
                new KernelArgs().ptr(la).ptr(addr(target)).i32(code(target.dtype())).i64(tStride).i32(ignoreIndex).ptr(addr(loss))
                        .ptr(addr(lse)).i32(v).ptr(errorWord).i32(vectorRows(v, logits.dtype(), la) ? 1 : 0));
        afterIndexKernel("crossEntropy", target, (offset, t) -> new IndexOutOfBoundsException("crossEntropy: target " + t + " at row "
                + (tStride == 0 ? 0 : offset / tStride) + " is out of range [0, " + v + ") (ignoreIndex is " + ignoreIndex + ")"));
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor target, Tensor lse, Tensor gLoss, int ignoreIndex, Tensor gLogits) {
        long rows = logits.size(0);
        int v = logits.size(1);
        if (rows == 0) return;
        requireContiguous("crossEntropyBackward", logits, lse, gLogits);
        sameDtype("crossEntropyBackward", logits, gLogits);
        CachingAllocator.Block g = null;
        long ga = addr(gLoss);
        long gStride = gLoss.dim() == 0 ? 0 : gLoss.stride(0);
        if (gLoss.dtype() != DType.F32) {
            g = contiguousCopy(gLoss, DType.F32);
            ga = g.address();
            gStride = gLoss.dim() == 0 ? 0 : 1;
        }
        try {
            long la = addr(logits);
            long oa = addr(gLogits);
            gpu.launch("cross_entropy", "cross_entropy_backward_" + suffix(logits.dtype()), LaunchShape.rows(rows, v),
                    new KernelArgs().ptr(la).ptr(addr(target)).i32(code(target.dtype())).i64(target.dim() == 0 ? 0 : target.stride(0))
                            .ptr(addr(lse)).ptr(ga).i64(gStride).i32(ignoreIndex).ptr(oa).i32(v)
                            .i32(vectorRows(v, logits.dtype(), la, oa) ? 1 : 0));
        } finally {
            if (g != null) gpu.allocator.free(g);
        }
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, Tensor out, boolean inverse) {
        if (x.numel() == 0) return;
        requireContiguous("rope", x, cos, sin, out);
        sameDtype("rope", x, out);
        int d = x.size(-1);
        int t = x.size(-2);
        long rows = x.numel() / d;
        gpu.launch("rope", "rope_" + suffix(x.dtype()), LaunchShape.linear(rows * (d / 2), LaunchShape.THREADS, LaunchShape.MAX_GRID_X),
                new KernelArgs().ptr(addr(x)).ptr(addr(cos)).i32(code(cos.dtype())).ptr(addr(sin)).i32(code(sin.dtype())).ptr(addr(out))
                        .i64(rows).i32(t).i32(d).i32(inverse ? 1 : 0));
    }

    // ============================================================================================ indexing

    @Override
    public void indexSelect(Tensor src, int dim, Tensor index, Tensor out) {
        if (src.dtype() != out.dtype()) throw new IllegalArgumentException("indexSelect: out dtype differs from src");
        if (out.numel() == 0) return;
        int[] srcStrides = src.strides();
        srcStrides[dim] = 0;
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), srcStrides, coordinateStrides(out.dim(), dim));
        long indexStride = index.stride(0);
        int limit = src.size(dim);
        gpu.launch("indexing", "index_select", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(addr(out))
                .ptr(addr(src)).i32(src.dtype().byteSize()).i64(src.stride(dim)).i64(limit).ptr(addr(index)).i32(code(index.dtype()))
                .i64(indexStride).ptr(errorWord));
        afterIndexKernel("indexSelect", index, (offset, j) -> new IndexOutOfBoundsException("indexSelect: index " + j + " at position "
                + (indexStride == 0 ? 0 : offset / indexStride) + " is out of range for a dim of size " + limit));
    }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        requireAccumulator("indexAdd", dst);
        if (src.numel() == 0) return;
        int[] dstStrides = dst.strides();
        dstStrides[dim] = 0;
        StridedSpace s = StridedSpace.of(src.shape(), src.strides(), dstStrides, coordinateStrides(src.dim(), dim));
        long indexStride = index.stride(0);
        int limit = dst.size(dim);
        gpu.launch("indexing", "index_add", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(addr(dst))
                .i32(code(dst.dtype())).i64(dst.stride(dim)).i64(limit).ptr(addr(src)).i32(code(src.dtype())).ptr(addr(index))
                .i32(code(index.dtype())).i64(indexStride).ptr(errorWord));
        afterIndexKernel("indexAdd", index, (offset, j) -> new IndexOutOfBoundsException("indexAdd: index " + j + " at position "
                + (indexStride == 0 ? 0 : offset / indexStride) + " is out of range for a dim of size " + limit));
    }

    @Override
    public void gather(Tensor src, int dim, Tensor index, Tensor out) {
        if (out.numel() == 0) return;
        if (src.dtype() != out.dtype()) throw new IllegalArgumentException("gather: out dtype differs from src");
        int[] srcStrides = src.strides();
        srcStrides[dim] = 0;
        StridedSpace s = StridedSpace.of(out.shape(), out.strides(), index.strides(), srcStrides);
        int limit = src.size(dim);
        gpu.launch("indexing", "gather", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(addr(out))
                .ptr(addr(src)).i32(src.dtype().byteSize()).i64(src.stride(dim)).i64(limit).ptr(addr(index)).i32(code(index.dtype()))
                .ptr(errorWord));
        afterIndexKernel("gather", index, (offset, j) -> new IndexOutOfBoundsException("gather: index " + j
                + " is out of range for dim " + dim + " of size " + limit));
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        requireAccumulator("scatterAdd", dst);
        if (src.numel() == 0) return;
        int[] dstStrides = dst.strides();
        dstStrides[dim] = 0;
        StridedSpace s = StridedSpace.of(src.shape(), src.strides(), index.strides(), dstStrides);
        int limit = dst.size(dim);
        gpu.launch("indexing", "scatter_add", LaunchShape.strided(s), new KernelArgs().struct(s.pack()).i64(s.numel()).ptr(addr(dst))
                .i32(code(dst.dtype())).i64(dst.stride(dim)).i64(limit).ptr(addr(src)).i32(code(src.dtype())).ptr(addr(index))
                .i32(code(index.dtype())).ptr(errorWord));
        afterIndexKernel("scatterAdd", index, (offset, j) -> new IndexOutOfBoundsException("scatterAdd: index " + j
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

    // ---------------------------------------------------------------------------------------- index checks

    @FunctionalInterface
    private interface IndexError {
        RuntimeException at(long indexOffset, long value);
    }

    /** After a kernel that validates indices: throws the CPU backend's exception for the first bad one. */
    private void afterIndexKernel(String op, Tensor index, IndexError error) {
        if (gpu.capturing()) {
            synchronized (capturedIndexOps) {
                if (capturedIndexOps.size() < 16) capturedIndexOps.add(op);
            }
            return;
        }
        if (deferIndexChecks) {
            synchronized (uncheckedIndexOps) {
                if (uncheckedIndexOps.size() < 16) uncheckedIndexOps.add(op);
            }
            return;
        }
        long word = readErrorWord();
        if (word == NO_ERROR) return;
        resetErrorWord();
        long offset = word - 1;
        throw error.at(offset, readIndexElement(index, offset));
    }

    private void checkDeferredIndices() {
        List<String> ops;
        synchronized (uncheckedIndexOps) {
            if (uncheckedIndexOps.isEmpty()) return;
            ops = new ArrayList<>(uncheckedIndexOps);
            uncheckedIndexOps.clear();
        }
        long word = readErrorWord();
        if (word == NO_ERROR) return;
        resetErrorWord();
        throw new IndexOutOfBoundsException("an index out of range (at element " + (word - 1) + " of its index tensor) was skipped by one of "
                + ops + " since the last check; run without -D" + PROP_DEFER_INDEX_CHECKS + " to fail at the call itself");
    }

    private long readErrorWord() {
        ByteBuffer bb = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(errorWord, bb);
        return bb.getLong(0);
    }

    private void resetErrorWord() {
        gpu.memset32(errorWord, -1, 2);
    }

    private long readIndexElement(Tensor index, long offset) {
        int size = index.dtype().byteSize();
        ByteBuffer bb = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(addr(index) + offset * size, bb);
        return size == 8 ? bb.getLong(0) : bb.getInt(0);
    }

    // ============================================================================================ random

    @Override
    public void random(Tensor dst, long seed, long offset, boolean normal, float a, float b) {
        if (!dst.isContiguous()) throw new IllegalArgumentException("random: destination must be contiguous");
        long n = dst.numel();
        if (n == 0) return;
        gpu.launch("philox", "philox_" + suffix(dst.dtype()), LaunchShape.linear(LaunchShape.ceilDiv(n, 4), LaunchShape.THREADS,
                LaunchShape.MAX_GRID_X), new KernelArgs().ptr(addr(dst)).i64(n).i64(seed).i64(offset).i32(normal ? 1 : 0).f32(a).f32(b));
    }

    @Override
    public void sampleTokens(Tensor logits, float temperature, int topK, float topP, long seed, long offset, Tensor out) {
        if (logits.dim() != 2 || !logits.isContiguous()) {
            throw new IllegalArgumentException("sampleTokens: logits must be a contiguous [B, V] tensor, got " + Shapes.str(logits.shape()));
        }
        int rows = logits.size(0);
        int v = logits.size(1);
        if (rows == 0) return;
        if (v == 0) throw new IllegalArgumentException("sampleTokens: the vocabulary dim is empty");
        CachingAllocator.Block scratch = temperature > 0f ? gpu.allocator.allocate((long) rows * v * 16) : null;
        CachingAllocator.Block outTmp = out.dtype() == DType.I64 ? null : gpu.allocator.allocate((long) rows * 8);
        try {
            long base = scratch == null ? 0 : scratch.address();
            long plane = (long) rows * v * 4;
            long oa = outTmp == null ? addr(out) : outTmp.address();
            long oStride = outTmp == null ? out.stride(0) : 1;
            gpu.launch("sampling", "sample_tokens_" + suffix(logits.dtype()), new LaunchShape(rows, 1, 1, 1024, 0),
                    new KernelArgs().ptr(addr(logits)).i32(v).f32(temperature).i32(topK).f32(topP).i64(seed).i64(offset).ptr(oa).i64(oStride)
                            .ptr(base).ptr(base == 0 ? 0 : base + plane).ptr(base == 0 ? 0 : base + 2 * plane)
                            .ptr(base == 0 ? 0 : base + 3 * plane));
            if (outTmp != null) {
                StridedSpace s = StridedSpace.of(out.shape(), out.strides(), new int[] {1});
                launchCopy(s, addr(out), out.dtype(), outTmp.address(), DType.I64);
            }
        } finally {
            if (scratch != null) gpu.allocator.free(scratch);
            if (outTmp != null) gpu.allocator.free(outTmp);
        }
    }

    // ============================================================================================ optimizer

    /** sizeof(AdamWTensor) in adamw.cu. */
    static final int ADAMW_TENSOR_BYTES = 64;
    /** Elements per block of adamw_multi. */
    static final int ADAMW_CHUNK = 4096;

    @Override
    public void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamWHyper h) {
        int count = params.size();
        if (grads.size() != count || m.size() != count || v.size() != count) {
            throw new IllegalArgumentException("adamw: " + count + " params but " + grads.size() + " grads, " + m.size() + " m and "
                    + v.size() + " v");
        }
        ByteBuffer table = ByteBuffer.allocate(count * ADAMW_TENSOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long blocks = 0;
        int entries = 0;
        for (int t = 0; t < count; t++) {
            Tensor p = params.get(t);
            Tensor g = grads.get(t);
            Tensor mt = m.get(t);
            Tensor vt = v.get(t);
            if (!p.isContiguous() || !g.isContiguous() || !mt.isContiguous() || !vt.isContiguous()) {
                throw new IllegalArgumentException("adamw: tensors must be contiguous (param " + t + ", shape " + Shapes.str(p.shape()) + ")");
            }
            if (!p.dtype().isFloatingPoint() || mt.dtype() != DType.F32 || vt.dtype() != DType.F32
                    || (g.dtype() != DType.F32 && g.dtype() != p.dtype())) {
                throw new IllegalArgumentException("adamw: param " + t + " is " + p.dtype() + " with grad " + g.dtype() + ", m " + mt.dtype()
                        + ", v " + vt.dtype() + "; m and v must be F32 and the grad F32 or the param's dtype");
            }
            long n = p.numel();
            if (g.numel() != n || mt.numel() != n || vt.numel() != n) {
                throw new IllegalArgumentException("adamw: param " + t + " has " + n + " elements but its grad/m/v have " + g.numel() + "/"
                        + mt.numel() + "/" + vt.numel());
            }
            if (n == 0) continue;
            long pa = addr(p);
            long ga = addr(g);
            long ma = addr(mt);
            long va = addr(vt);
            boolean vec = p.dtype() == DType.F32 && g.dtype() == DType.F32 && aligned16(pa, ga, ma, va);
            table.putLong(pa).putLong(ga).putLong(ma).putLong(va).putLong(n).putLong(blocks);
            table.putInt(code(p.dtype())).putInt(code(g.dtype())).putInt(vec ? 1 : 0).putInt(0);
            blocks += LaunchShape.ceilDiv(n, ADAMW_CHUNK);
            entries++;
        }
        if (entries == 0) return;
        if (blocks > Integer.MAX_VALUE) throw new IllegalArgumentException("adamw: " + blocks + " blocks exceed one launch");
        table.flip();
        double bc1 = 1.0 - Math.pow(h.beta1(), h.step());
        double bc2 = 1.0 - Math.pow(h.beta2(), h.step());
        ByteBuffer scalars = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        scalars.putFloat(h.beta1()).putFloat(h.beta2()).putFloat(1f - h.beta1()).putFloat(1f - h.beta2()).putFloat(h.eps())
                .putFloat((float) (h.lr() / bc1)).putFloat((float) (1.0 / Math.sqrt(bc2))).putFloat(1f - h.lr() * h.weightDecay());
        CachingAllocator.Block tableBlock = gpu.allocator.allocate(table.remaining());
        try {
            gpu.upload(tableBlock.address(), table);
            gpu.launch("adamw", "adamw_multi", new LaunchShape((int) blocks, 1, 1, LaunchShape.THREADS, 0),
                    new KernelArgs().ptr(tableBlock.address()).i32(entries).struct(scalars.array()));
        } finally {
            gpu.allocator.free(tableBlock);
        }
    }

    // ============================================================================================ extras

    /** Milliseconds the work queued by {@code work} takes on this backend's stream (CUDA events). */
    public float timeMillis(Runnable work) {
        return gpu.time(work);
    }

    /** A device-to-device copy of {@code bytes} between two storages (the bandwidth baseline). */
    public void copyBytes(Storage dst, Storage src, long bytes) {
        gpu.copyDeviceToDevice(own(dst, "copyBytes").address(), own(src, "copyBytes").address(), bytes);
    }

    @Override
    public void close() {
        if (cublas != null) cublas.close();
        gpu.close();
    }
}

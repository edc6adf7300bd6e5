package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.util.List;

import jcuda.driver.CUstream;

import org.racro4j.core.Backend;
import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.DecodeAttentionKernel;
import org.racro4j.core.Device;
import org.racro4j.core.FusedAttention;
import org.racro4j.core.GraphCapture;
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
 *
 * <p>This class holds the memory side (allocation, transfers, synchronisation) and hands every kernel to the
 * launcher of its family: {@link ElementwiseLaunchers} (copy.cu, elementwise.cu), {@link ReduceLaunchers}
 * (reduce.cu), {@link RowLaunchers} (softmax.cu, norms.cu, cross_entropy.cu, rope.cu), {@link IndexLaunchers}
 * (indexing.cu, with the index-error protocol in {@link IndexChecks}), {@link RandomLaunchers} (philox.cu,
 * sampling.cu), {@link AdamWLauncher} (adamw.cu), {@link CudaGemm} and {@link CudaAttention} (the GEMM and
 * attention families); {@link GraphRecorder} captures graphs.
 */
public final class CudaBackend implements Backend, FusedAttention, DecodeAttentionKernel, GraphCapture {
    public static final String PROP_DEFER_INDEX_CHECKS = "racro4j.cuda.deferIndexChecks";

    private final Device device;
    private final CudaDevice gpu;
    private final CublasGemm cublas;
    private final CudaGemm gemm;
    private final CudaAttention attention;
    private final String libraryNotes;
    private final IndexChecks indexChecks;
    private final ElementwiseLaunchers elementwise;
    private final ReduceLaunchers reductions;
    private final RowLaunchers rows;
    private final IndexLaunchers indexing;
    private final RandomLaunchers random;
    private final AdamWLauncher adamw;
    private final GraphRecorder graphs;

    CudaBackend(CudaDevice gpu, CublasGemm cublas, String cublasWhyNot, TensorMapSpec.Encoder tma, String tmaWhyNot) {
        this.device = Device.of("cuda:" + gpu.index);
        this.gpu = gpu;
        this.cublas = cublas;
        this.gemm = new CudaGemm(this, gpu, cublas, tma == null ? null : tma::encode, this::addr);
        this.attention = new CudaAttention(this, gpu, this::addr);
        this.libraryNotes = (cublas != null ? cublas.description() : "no cuBLAS (" + cublasWhyNot + ")")
                + (tma != null ? "" : "; no TMA descriptors (" + tmaWhyNot + ")");
        LaunchSupport support = new LaunchSupport(gpu, this::addr);
        this.indexChecks = new IndexChecks(support, Boolean.getBoolean(PROP_DEFER_INDEX_CHECKS));
        this.elementwise = new ElementwiseLaunchers(support);
        this.reductions = new ReduceLaunchers(support, elementwise);
        this.rows = new RowLaunchers(support, elementwise, indexChecks);
        this.indexing = new IndexLaunchers(support, indexChecks);
        this.random = new RandomLaunchers(support, elementwise);
        this.adamw = new AdamWLauncher(support);
        this.graphs = new GraphRecorder(this, gpu, indexChecks);
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
        indexChecks.setDefer(defer);
    }

    /** How many times the host has waited for this device (synchronize, downloads), for tests of whole steps. */
    public long hostSyncs() {
        return gpu.hostSyncs();
    }

    @Override
    public Device device() {
        return device;
    }

    /** The device this backend drives, for the GPU tests of this package (raw launches, staging statistics). */
    CudaDevice gpu() {
        return gpu;
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
        indexChecks.checkDeferred();
    }

    @Override
    public void synchronize() {
        gpu.synchronize();
        indexChecks.checkDeferred();
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

    // ============================================================================================ elementwise (copy.cu, elementwise.cu)

    @Override
    public void copy(Tensor src, Tensor dst) {
        elementwise.copy(src, dst);
    }

    @Override
    public void fill(Tensor dst, double value) {
        elementwise.fill(dst, value);
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out, float p0, float p1) {
        elementwise.unary(op, x, out, p0, p1);
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        elementwise.binary(op, a, b, out);
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        elementwise.where(cond, a, b, out);
    }

    // ============================================================================================ reductions (reduce.cu)

    @Override
    public void reduce(ReduceOp op, Tensor x, int dim, Tensor out, Tensor indices) {
        reductions.reduce(op, x, dim, out, indices);
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
    public boolean supportsAttention(DType dtype, int headDim) {
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
    public boolean supportsDecode(DType dtype, int headDim) {
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
    public Graph capture(Runnable work) {
        return graphs.capture(work);
    }

    /** After a graph replay: the index checks its kernels did wait for the next synchronising call. */
    void deferIndexChecks(List<String> ops) {
        indexChecks.deferReplayed(ops);
    }

    // ============================================================================================ fused rows (softmax.cu, norms.cu, cross_entropy.cu, rope.cu)

    @Override
    public void softmax(Tensor x, Tensor out, boolean log) {
        rows.softmax(x, out, log);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log) {
        rows.softmaxBackward(y, gy, gx, log);
    }

    @Override
    public void layerNorm(Tensor x, Tensor w, Tensor b, float eps, Tensor y, Tensor mean, Tensor rstd) {
        rows.layerNorm(x, w, b, eps, y, mean, rstd);
    }

    @Override
    public void layerNormBackward(Tensor gy, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gx, Tensor gw, Tensor gb) {
        rows.layerNormBackward(gy, x, w, mean, rstd, gx, gw, gb);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        rows.rmsNorm(x, w, eps, y, rstd);
    }

    @Override
    public void rmsNormBackward(Tensor gy, Tensor x, Tensor w, Tensor rstd, Tensor gx, Tensor gw) {
        rows.rmsNormBackward(gy, x, w, rstd, gx, gw);
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor target, int ignoreIndex, Tensor loss, Tensor lse) {
        rows.crossEntropy(logits, target, ignoreIndex, loss, lse);
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor target, Tensor lse, Tensor gLoss, int ignoreIndex, Tensor gLogits) {
        rows.crossEntropyBackward(logits, target, lse, gLoss, ignoreIndex, gLogits);
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, Tensor out, boolean inverse) {
        rows.rope(x, cos, sin, out, inverse);
    }

    // ============================================================================================ indexing (indexing.cu)

    @Override
    public void indexSelect(Tensor src, int dim, Tensor index, Tensor out) {
        indexing.indexSelect(src, dim, index, out);
    }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        indexing.indexAdd(dst, dim, index, src);
    }

    @Override
    public void gather(Tensor src, int dim, Tensor index, Tensor out) {
        indexing.gather(src, dim, index, out);
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        indexing.scatterAdd(dst, dim, index, src);
    }

    // ============================================================================================ random (philox.cu, sampling.cu)

    @Override
    public void random(Tensor dst, long seed, long offset, boolean normal, float a, float b) {
        random.random(dst, seed, offset, normal, a, b);
    }

    @Override
    public void sampleTokens(Tensor logits, float temperature, int topK, float topP, long seed, long offset, Tensor out) {
        random.sampleTokens(logits, temperature, topK, topP, seed, offset, out);
    }

    // ============================================================================================ optimizer (adamw.cu)

    @Override
    public void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamWHyper h) {
        adamw.adamw(params, grads, m, v, h);
    }

    // ============================================================================================ bench access

    /**
     * The stream all of this backend's work is queued on, with the device's context made current on the calling
     * thread: for the kernels bench's event timing and raw copies (org.racro4j.kernels.bench.CudaTimer). Work queued
     * on it behind the backend's back must leave every buffer the backend owns as it was.
     */
    public CUstream benchStream() {
        gpu.makeCurrent();
        return gpu.stream;
    }

    /**
     * Checks the return code of a driver call the benches made on {@link #benchStream}: a failure throws as the
     * backend's own calls do, and a sticky one is recorded as the device's fault, so later operations are refused
     * with it instead of meeting a dead context one by one.
     */
    public void checkBenchCall(int rc, String call) {
        gpu.checkAsync(rc, call);
    }

    @Override
    public void close() {
        if (cublas != null) cublas.close();
        gpu.close();
    }
}

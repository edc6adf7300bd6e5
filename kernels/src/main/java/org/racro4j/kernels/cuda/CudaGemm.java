package org.racro4j.kernels.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;

import org.racro4j.core.Backend;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;

/**
 * Runs products on the rung {@link GemmPlan} picks, and checks each tensor-core kernel once before trusting it.
 *
 * <p>The check ("qualification"): the first time a kernel of rung 2 or 3 would run, it computes a small product
 * with the same dtype and operand majorness (several tiles, ragged edges, two batches, padded rows, a K that runs
 * through its ring of pipeline stages more than once, see {@link GemmCheck}) and the result is compared with the
 * tiled kernel's, element by element and in norm; a kernel that disagrees is never used again in this process, and
 * {@link #report()} says so. It costs a few milliseconds once per kernel and guards against a kernel that
 * compiles but computes garbage on hardware it was never run on. {@code -Dracro4j.cuda.gemmCheck=false} skips it.
 * Nothing is qualified while a graph is being captured (that would need a host round trip): unqualified kernels
 * are passed over then.
 *
 * <p>A rung that fails to run a product hands it to the next one as {@link GemmFallback} decides: a failed cuBLAS
 * call also switches cuBLAS off for the process (the reason is in {@link #report()}), a sticky CUDA fault or a hung
 * kernel is rethrown.
 */
final class CudaGemm {
    static final String PROP_CHECK = "racro4j.cuda.gemmCheck";
    /** A check product takes well under a millisecond; a kernel still running after this is stuck. */
    static final long CHECK_TIMEOUT_MS = 20_000;

    /** A kernel under check that never finished: fatal for the stream, so it is not swallowed like a wrong result. */
    static final class KernelHang extends IllegalStateException {
        KernelHang(String message) {
            super(message);
        }
    }

    /** The backend whose device the check products are made on. */
    private final Backend backend;
    private final DeviceOps gpu;
    private final CublasGemm cublas;
    /** Encodes a TMA descriptor (cuTensorMapEncodeTiled), or null where none can be. */
    private final Function<TensorMapSpec, byte[]> tma;
    /** What the device offers; loses cuBLAS when a cuBLAS product fails. */
    private volatile GemmPlan.Device caps;
    /** Why cuBLAS was switched off after a failure, or null. */
    private volatile String cublasOff;
    private final GemmPlan.Rung preferred;
    private final boolean tf32;
    private final boolean check;
    private final ToLongFunction<Tensor> addr;
    /** kernel name -> null when it passed, else why it failed. */
    private final Map<String, String> verdicts = new ConcurrentHashMap<>();
    private final Map<String, Boolean> checked = new ConcurrentHashMap<>();
    private volatile GemmPlan.Choice last;

    CudaGemm(Backend backend, DeviceOps gpu, CublasGemm cublas, Function<TensorMapSpec, byte[]> tma, ToLongFunction<Tensor> addr) {
        this.backend = backend;
        this.gpu = gpu;
        this.cublas = cublas;
        this.tma = tma;
        this.addr = addr;
        this.caps = new GemmPlan.Device(gpu.major(), gpu.minor(), gpu.multiprocessors(), cublas != null, tma != null);
        this.preferred = GemmPlan.parsePreference(System.getProperty(GemmPlan.PROP_GEMM));
        this.tf32 = Boolean.getBoolean(GemmPlan.PROP_TF32);
        this.check = !"false".equalsIgnoreCase(System.getProperty(PROP_CHECK));
    }

    GemmPlan.Device caps() {
        return caps;
    }

    /** The rung order for products of dtype, one line. */
    String describe(DType dtype) {
        List<String> names = new ArrayList<>();
        for (GemmPlan.Rung r : GemmPlan.order(dtype, caps, preferred, tf32)) names.add(r.name().toLowerCase());
        return String.join(" > ", names) + (cublasOff == null ? "" : " (cublas disabled after a failure, see gemmReport)");
    }

    /** What was run last and which kernels failed their check. */
    String report() {
        StringBuilder sb = new StringBuilder();
        GemmPlan.Choice c = last;
        sb.append("last product on ").append(c == null ? "(none yet)" : c.describe());
        if (cublasOff != null) sb.append("; cublas disabled: ").append(cublasOff);
        verdicts.forEach((k, why) -> sb.append("; ").append(k).append(" disabled: ").append(why));
        return sb.toString();
    }

    /** The problem of a product out = epilogue(a @ b) on 3-D views. */
    GemmPlan.Problem problem(Tensor a, Tensor b, Tensor out, GemmEpilogue ep) {
        return new GemmPlan.Problem(out.dtype(), out.size(1), out.size(2), a.size(2), out.size(0), a.stride(1), a.stride(2), a.stride(0),
                b.stride(1), b.stride(2), b.stride(0), addr.applyAsLong(a), addr.applyAsLong(b), addr.applyAsLong(out), ep.fused());
    }

    /**
     * out [batch, M, N] (contiguous) = epilogue(a [batch, M, K] @ b [batch, K, N]) on the best rung that can run it, or
     * only on {@code only} when given (null when that rung cannot). Returns the choice that ran.
     */
    GemmPlan.Choice run(Tensor a, Tensor b, Tensor out, GemmEpilogue ep, GemmPlan.Rung only) {
        ep.validate(out.dtype(), out.size(0), out.size(1), out.size(2));
        GemmPlan.Problem p = problem(a, b, out, ep);
        List<GemmPlan.Choice> choices;
        if (only != null) {
            GemmPlan.Choice c = GemmPlan.plan(only, p, caps, tf32 || only == GemmPlan.Rung.MMA);
            if (c == null) return null;
            choices = List.of(c);
        } else {
            choices = GemmPlan.candidates(p, caps, preferred, tf32);
        }
        return GemmFallback.runFirst(choices, only != null, c -> only != null || trusted(c), c -> {
            launch(c, p, ep);
            last = c;
        }, this::disableCublas, p::toString);
    }

    /** Takes cuBLAS off the ladder for the rest of the process (the first reason is kept). */
    synchronized void disableCublas(String why) {
        if (cublasOff != null) return;
        cublasOff = why;
        GemmPlan.Device d = caps;
        caps = new GemmPlan.Device(d.major(), d.minor(), d.multiprocessors(), false, d.tensorMaps());
    }

    /** Launches choice c for problem p. */
    void launch(GemmPlan.Choice c, GemmPlan.Problem p, GemmEpilogue ep) {
        long bias = ep.bias() == null ? 0 : addr.applyAsLong(ep.bias());
        long residual = ep.residual() == null ? 0 : addr.applyAsLong(ep.residual());
        switch (c.rung()) {
            case CUBLAS -> {
                GemmLayout l = GemmLayout.of(p.m(), p.n(), p.k(), p.aBatch(), p.aRow(), p.aCol(), p.bBatch(), p.bRow(), p.bCol());
                gpu.makeCurrent();   // cuBLAS uses the calling thread's current context
                cublas.gemm(l, p.dtype(), p.batch(), p.aAddress(), p.bAddress(), p.cAddress(), ep.alpha(), ep.beta());
            }
            case TILED -> gpu.launch(c.family(), c.kernel(), c.shape(), new KernelArgs().ptr(p.aAddress()).ptr(p.bAddress())
                    .ptr(p.cAddress()).i32(p.m()).i32(p.n()).i32(p.k()).i64(p.aBatch()).i64(p.aRow()).i64(p.aCol()).i64(p.bBatch())
                    .i64(p.bRow()).i64(p.bCol()).i32(p.batch()).struct(ep.pack(bias, residual)));
            case MMA -> gpu.launch(c.family(), c.kernel(), c.shape(), new KernelArgs().ptr(p.aAddress()).ptr(p.bAddress())
                    .ptr(p.cAddress()).i32(p.m()).i32(p.n()).i32(p.k()).i64(c.lda()).i64(c.ldb()).i64(p.aBatch()).i64(p.bBatch())
                    .i32(p.batch()).struct(ep.pack(bias, residual)));
            case WGMMA -> {
                byte[] mapA = tma.apply(GemmPlan.tensorMapA(p, c, p.aAddress()));
                byte[] mapB = tma.apply(GemmPlan.tensorMapB(p, c, p.bAddress()));
                boolean aBatched = p.batch() > 1 && p.aBatch() != 0;
                boolean bBatched = p.batch() > 1 && p.bBatch() != 0;
                gpu.launch(c.family(), c.kernel(), c.shape(), new KernelArgs().struct(mapA).struct(mapB).ptr(p.cAddress()).i32(p.m())
                        .i32(p.n()).i32(p.k()).i32(aBatched ? 1 : 0).i32(bBatched ? 1 : 0).struct(ep.pack(bias, residual)));
            }
        }
    }

    /** Whether c may run: rungs 0 and 1 always; a tensor-core kernel once it passed its check. */
    private boolean trusted(GemmPlan.Choice c) {
        if (c.rung() == GemmPlan.Rung.CUBLAS || c.rung() == GemmPlan.Rung.TILED || !check) return true;
        if (checked.containsKey(c.kernel())) return verdicts.get(c.kernel()) == null;
        if (gpu.capturing()) return false;
        String why;
        try {
            why = qualify(c);
        } catch (RuntimeException e) {
            // A hang or a sticky fault: the stream or context is dead behind it, nothing after it would run either.
            if (GemmFallback.stickyFault(e)) throw e;
            why = "its check failed to run: " + e;
        }
        if (why != null) verdicts.put(c.kernel(), why);
        checked.put(c.kernel(), true);
        return why == null;
    }

    /**
     * Runs c on a product with c's dtype and operand majorness whose K wraps c's stage ring ({@link GemmCheck#shape})
     * and compares with the tiled kernel, element by element and in norm ({@link GemmCheck#compare}).
     */
    private String qualify(GemmPlan.Choice c) {
        DType dt = GemmCheck.dtype(c);
        GemmCheck.Shape s = GemmCheck.shape(c);
        int m = s.m(), n = s.n(), k = s.k(), batch = s.batch();
        float alpha = 0.5f;
        Device dev = backend.device();
        try (org.racro4j.core.Scope scope = org.racro4j.core.Scope.open()) {
            Tensor a = operand(dev, dt, batch, m, k, c.aKMajor(), 1);
            Tensor bT = operand(dev, dt, batch, n, k, c.bKMajor(), 2);   // [batch, n, k] view
            Tensor b = bT.transpose(1, 2);
            Tensor got = Tensor.empty(dt, dev, batch, m, n);
            Tensor want = Tensor.empty(dt, dev, batch, m, n);
            GemmEpilogue ep = GemmEpilogue.plain(alpha, 0f);
            GemmPlan.Problem p = problem(a, b, got, ep);
            GemmPlan.Problem pw = problem(a, b, want, ep);
            GemmPlan.Choice planned = c.rung() == GemmPlan.Rung.WGMMA ? GemmPlan.wgmma(p, caps, c.config()) : GemmPlan.plan(c.rung(), p, caps, true);
            if (planned == null || !planned.kernel().equals(c.kernel())) {
                return "its check product maps to " + (planned == null ? "no kernel" : planned.kernel());
            }
            launch(planned, p, ep);
            if (!gpu.finishesWithin(CHECK_TIMEOUT_MS)) {
                throw new KernelHang("GEMM kernel " + c.kernel() + " did not finish its " + m + "x" + n + "x" + k + " check product within "
                        + CHECK_TIMEOUT_MS / 1000 + " s: it hangs on this GPU (restart the process with -D" + GemmPlan.PROP_GEMM
                        + "=mma, or tiled, to keep off it)");
            }
            launch(GemmPlan.plan(GemmPlan.Rung.TILED, pw, caps, false), pw, ep);
            // Operands are standard normal (rms 1), so |alpha| rms(a) rms(b) = |alpha|.
            GemmCheck.Bound bound = GemmCheck.bound(dt, dt == DType.F32, k, Math.abs(alpha));
            String bad = GemmCheck.compare(got.toFloatArray(), want.toFloatArray(), batch, m, n, bound);
            return bad == null ? null : "its check product (" + dt + ", " + m + "x" + n + "x" + k + ", batch " + batch + ", " + c.layoutName()
                    + ") differs from the tiled kernel's: " + bad;
        }
    }

    /**
     * A [batch, rows, k] operand with random values: K-major (rows of k elements, padded to a 16-byte multiple plus
     * 8) or the transpose of a [batch, k, rows] row-major tensor (padded likewise).
     */
    private static Tensor operand(Device dev, DType dt, int batch, int rows, int k, boolean kMajor, long seed) {
        org.racro4j.core.random.Generator gen = new org.racro4j.core.random.Generator(seed);
        if (kMajor) {
            int ld = (int) GemmPlan.roundUp(k, 8) + 8;
            return Tensor.randn(gen, dt, dev, batch, rows, ld).narrow(2, 0, k);
        }
        int ld = (int) GemmPlan.roundUp(rows, 8) + 8;
        return Tensor.randn(gen, dt, dev, batch, k, ld).narrow(2, 0, rows).transpose(1, 2);
    }
}

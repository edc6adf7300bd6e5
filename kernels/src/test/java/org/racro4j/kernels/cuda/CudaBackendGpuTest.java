package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.racro4j.core.Backend;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.MemoryStats;
import org.racro4j.core.ReduceOp;
import org.racro4j.core.Tensor;
import org.racro4j.core.UnaryOp;
import org.racro4j.core.random.Generator;

/**
 * Every CUDA primitive against the CPU backend on random inputs of awkward sizes (not multiples of any block
 * size), strided and transposed views and broadcasts, in F32 and BF16, with tolerances by dtype. Inputs are
 * never zeros. Skipped, with the reason, where the machine has no NVIDIA GPU; failed where it has one and the backend
 * cannot open it ({@link GpuTestRule}).
 */
@Tag("gpu")
class CudaBackendGpuTest {
    private static Device cuda;
    private static Backend gpu;
    private static Backend cpu;

    private static BackendProvider.Availability availability;

    @BeforeAll
    static void openTheGpuIfThereIsOne() {
        availability = GpuTestRule.cudaAvailability();
        if (!availability.available()) return;
        cuda = Device.of("cuda:0");
        gpu = cuda.backend();
        cpu = Device.CPU.backend();
        System.out.println("CUDA GPU tests on " + ((CudaBackend) gpu).describe());
    }

    /** Each test is skipped on its own, so that every report lists it with the reason. */
    @BeforeEach
    void needsAGpu() {
        assumeTrue(GpuTestRule.canRun(availability), "CUDA GPU test skipped: " + availability.description());
    }

    // ============================================================================================ helpers

    /** The same data on the CPU and on the GPU, viewed the same way. */
    private record Pair(Tensor cpu, Tensor gpu) {
        Pair view(UnaryOperator<Tensor> f) {
            return new Pair(f.apply(cpu), f.apply(gpu));
        }

        Tensor on(Backend b) {
            return b == CudaBackendGpuTest.cpu ? cpu : gpu;
        }
    }

    private static Pair randn(long seed, DType dt, int... shape) {
        Tensor c = Tensor.randn(new Generator(seed), shape).to(dt);
        return new Pair(c, c.to(cuda));
    }

    /** Strictly positive values (for log, sqrt, rsqrt, pow). */
    private static Pair positive(long seed, DType dt, int... shape) {
        Tensor c = Tensor.rand(new Generator(seed), shape).mul(2f).add(0.05f).to(dt);
        return new Pair(c, c.to(cuda));
    }

    private static Pair empty(DType dt, int... shape) {
        return new Pair(Tensor.empty(dt, Device.CPU, shape), Tensor.empty(dt, cuda, shape));
    }

    private static Pair longs(long[] values, int... shape) {
        Tensor c = Tensor.ofLongs(values, shape);
        return new Pair(c, c.to(cuda));
    }

    private static double rtol(DType dt) {
        return switch (dt) {
            case BF16 -> 1.0 / 128 + 1e-4;   // one bf16 ulp: both sides round an F32 that may differ in its last bits
            case F16 -> 1.0 / 1024 + 1e-5;
            default -> 2e-5;
        };
    }

    private static void assertClose(String what, Tensor expected, Tensor actual, double rtol, double atol) {
        assertClose(what, expected, actual, rtol, atol, null, 0);
    }

    private static void assertClose(String what, Pair p, double rtol, double atol) {
        assertClose(what, p.cpu(), p.gpu(), rtol, atol);
    }

    /**
     * As above, with gamma * slack[i] more allowed at element i (slack null: none), for an error that scales with
     * something other than the result: the terms a sum is made of, the sensitivity of a formula to a rounded input.
     */
    private static void assertClose(String what, Tensor expected, Tensor actual, double rtol, double atol, Tensor slack, double gamma) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        float[] g = slack == null ? null : slack.toFloatArray();
        List<String> bad = new ArrayList<>();
        int count = 0;
        for (int i = 0; i < e.length; i++) {
            boolean ok;
            if (Float.isNaN(e[i]) || Float.isNaN(a[i])) ok = Float.isNaN(e[i]) && Float.isNaN(a[i]);
            else if (Float.isInfinite(e[i]) || Float.isInfinite(a[i])) ok = e[i] == a[i];
            else ok = Math.abs(e[i] - a[i]) <= atol + rtol * Math.abs(e[i]) + (g == null ? 0 : gamma * g[i]);
            if (!ok) {
                count++;
                if (bad.size() < 5) bad.add("[" + i + "] cpu " + e[i] + " gpu " + a[i] + (g == null ? "" : " slack " + gamma * g[i]));
            }
        }
        if (count > 0) fail(what + ": " + count + " of " + e.length + " elements differ beyond rtol " + rtol + " atol " + atol
                + (g == null ? "" : " and the slack") + ": " + bad);
    }

    // ============================================================================================ memory and copies

    @Test
    void uploadDownloadRoundTripThroughSeveralStagingBuffers() {
        int n = 5_000_003;   // 20 MB: more than the 16 MiB staging ring (CudaDevice.STAGING_BYTES), five pieces that wrap it
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = i * 0.5f - 7;
        Tensor c = Tensor.of(data, n);
        Tensor g = c.to(cuda);
        assertArrayEquals(data, g.toFloatArray());
        ByteBuffer part = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(g.storage(), 4L * 1000, part);
        assertEquals(12, part.position(), "download advances the buffer");
        part.flip();
        assertEquals(data[1000], part.getFloat());
        assertEquals(data[1001], part.getFloat());
        assertEquals(data[1002], part.getFloat());
    }

    @Test
    void memoryIsReleasedDeterministicallyAndReused() {
        gpu.synchronize();
        MemoryStats before = gpu.memoryStats();
        for (int round = 0; round < 3; round++) {
            List<Tensor> ts = new ArrayList<>();
            for (int i = 0; i < 20; i++) ts.add(Tensor.empty(DType.F32, cuda, 1000 + i * 777));
            ts.add(Tensor.empty(DType.BF16, cuda, 3_000_001));
            for (Tensor t : ts) t.close();
        }
        MemoryStats after = gpu.memoryStats();
        assertEquals(before.bytesInUse(), after.bytesInUse(), "every closed tensor's bytes are back");
        assertEquals(before.liveStorages(), after.liveStorages());
        Tensor again = Tensor.empty(DType.BF16, cuda, 3_000_001);
        assertEquals(after.allocations(), gpu.memoryStats().allocations(), "a cached block is reused without cuMemAlloc");
        again.close();
        assertTrue(after.bytesReserved() >= after.bytesInUse());
    }

    @Test
    void copiesWithViewsAndConversions() {
        Pair x = randn(1, DType.F32, 37, 129);
        // contiguous, same dtype (cuMemcpy)
        Pair same = empty(DType.F32, 37, 129);
        cpu.copy(x.cpu(), same.cpu());
        gpu.copy(x.gpu(), same.gpu());
        assertClose("copy", same, 0, 0);
        // transposed view to BF16, F16, I32, I64
        for (DType to : new DType[] {DType.BF16, DType.F16, DType.I32, DType.I64, DType.F32}) {
            Pair src = x.view(t -> t.mul(3f).transpose(0, 1));
            Pair dst = empty(to, 129, 37);
            cpu.copy(src.cpu(), dst.cpu());
            gpu.copy(src.gpu(), dst.gpu());
            assertClose("copy transposed F32 -> " + to, dst, 0, 0);
        }
        // a narrowed, offset view into a strided destination
        Pair big = empty(DType.BF16, 40, 140);
        cpu.fill(big.cpu(), 1.5);
        gpu.fill(big.gpu(), 1.5);
        Pair region = big.view(t -> t.narrow(0, 2, 37).narrow(1, 5, 129));
        cpu.copy(x.cpu(), region.cpu());
        gpu.copy(x.gpu(), region.gpu());
        assertClose("copy into a narrowed BF16 view", big, 0, 0);
        // broadcast source
        Pair row = randn(2, DType.F32, 1, 129);
        Pair wide = empty(DType.F32, 37, 129);
        cpu.copy(row.cpu().expand(37, 129), wide.cpu());
        gpu.copy(row.gpu().expand(37, 129), wide.gpu());
        assertClose("copy of an expanded row", wide, 0, 0);
        // integers both ways, beyond float precision
        Pair ints = longs(new long[] {1L << 40, -3, (1L << 31) + 5, 7}, 4);
        Pair i32 = empty(DType.I32, 4);
        cpu.copy(ints.cpu(), i32.cpu());
        gpu.copy(ints.gpu(), i32.gpu());
        assertArrayEquals(i32.cpu().toLongArray(), i32.gpu().toLongArray());
    }

    @Test
    void fills() {
        for (DType dt : DType.values()) {
            Pair t = empty(dt, 1001, 3);
            cpu.fill(t.cpu(), -2.75);
            gpu.fill(t.gpu(), -2.75);
            assertClose("fill " + dt, t, 0, 0);
            Pair view = t.view(v -> v.transpose(0, 1).narrow(1, 1, 999));
            cpu.fill(view.cpu(), 3e9);
            gpu.fill(view.gpu(), 3e9);
            assertClose("strided fill " + dt, t, 0, 0);
        }
    }

    // ============================================================================================ elementwise

    @Test
    void everyUnaryOpContiguousAndTransposed() {
        for (UnaryOp op : UnaryOp.values()) {
            // log1p too: randn's values below -1 would make NaNs of half of it (NaN matches NaN, testing nothing)
            boolean needsPositive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW_SCALAR
                    || op == UnaryOp.LOG1P;
            float p0 = op == UnaryOp.POW_SCALAR ? 1.7f : op == UnaryOp.CLAMP || op == UnaryOp.IN_RANGE ? -0.5f : 0.75f;
            float p1 = op == UnaryOp.CLAMP || op == UnaryOp.IN_RANGE ? 0.8f : 0f;
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                for (boolean transposed : new boolean[] {false, true}) {
                    long seed = 10 + op.ordinal();
                    Pair x = needsPositive ? positive(seed, dt, 1003, 517) : randn(seed, dt, 1003, 517);
                    Pair in = transposed ? x.view(t -> t.transpose(0, 1)) : x;
                    Pair out = empty(dt, in.cpu().shape());
                    cpu.unary(op, in.cpu(), out.cpu(), p0, p1);
                    gpu.unary(op, in.gpu(), out.gpu(), p0, p1);
                    // F32: a few float ulps (CUDA's float functions against Java's double ones); 1e-6 absolute
                    // covers the cancellation in 1 + tanh and 1 + erf far out in GELU's negative tail.
                    assertClose("unary " + op + " " + dt + (transposed ? " transposed" : " contiguous"), out.cpu(), out.gpu(),
                            dt == DType.F32 ? 1e-4 : rtol(dt), 1e-6, op == UnaryOp.GELU_TANH_GRAD ? geluTanhGradSensitivity(in.cpu()) : null,
                            4 * 0x1p-24);
                }
            }
        }
    }

    /**
     * GELU_TANH_GRAD = 0.5 (1 + th) + 0.5 x (1 - th^2) d, th = tanh(u), d = sqrt(2/pi) (1 + 3 0.044715 x^2), cancels far
     * in the negative tail, where th is next to -1: an error e in th moves the result by about (0.5 + |x| d) e, about 18
     * times e at x = -5. CUDA's tanhf is within 2 ulps, the CPU's tanh is rounded once (half an ulp) and th^2 rounds once
     * more on either side: 4 ulps of a th below 1 in size, 4 * 2^-24, times this sensitivity (the gamma of the call).
     * With 2 ulps in tanhf alone the result moves by 1.5e-6 at x = -4.52 (this test's data, against -2.7e-5), half as much
     * again as the element-wise bound allows there, which alone would fail a correct kernel.
     */
    private static Tensor geluTanhGradSensitivity(Tensor x) {
        float[] v = x.toFloatArray();
        float[] s = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            double d = Math.sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * v[i] * v[i]);
            s[i] = (float) (0.5 + Math.abs(v[i]) * d);
        }
        return Tensor.of(s, x.shape());
    }

    /**
     * The math primitives where their accuracy is hard: sin and cos far from 0 (CUDA's argument reduction), log1p and
     * expm1 near 0 (relative accuracy), log1p down towards -1 and erf into its tails. F32, relative tolerance of a
     * few ulps and no absolute slack: CUDA's functions are within 2 ulps, the CPU's rounded once from double.
     */
    @Test
    void mathOpsAtTheirHardPoints() {
        Pair wide = randn(50, DType.F32, 1001, 7).view(t -> t.mul(35f));
        Pair tiny = randn(51, DType.F32, 7, 1001).view(t -> t.mul(1e-4f));
        Pair nearMinusOne = positive(52, DType.F32, 1001, 7).view(t -> t.mul(0.47f).sub(0.999f));   // in (-0.98, 0)
        Pair tails = randn(53, DType.F32, 1001, 7).view(t -> t.mul(2.5f));
        Object[][] cases = {
                {UnaryOp.SIN, wide}, {UnaryOp.COS, wide}, {UnaryOp.SIN, tiny}, {UnaryOp.COS, tiny},
                {UnaryOp.LOG1P, tiny}, {UnaryOp.EXPM1, tiny}, {UnaryOp.LOG1P, nearMinusOne}, {UnaryOp.EXPM1, tails},
                {UnaryOp.ERF, tiny}, {UnaryOp.ERF, tails}};
        for (Object[] c : cases) {
            UnaryOp op = (UnaryOp) c[0];
            for (boolean transposed : new boolean[] {false, true}) {
                Pair in = transposed ? ((Pair) c[1]).view(t -> t.transpose(0, 1)) : (Pair) c[1];
                Pair out = empty(DType.F32, in.cpu().shape());
                cpu.unary(op, in.cpu(), out.cpu(), 0f, 0f);
                gpu.unary(op, in.gpu(), out.gpu(), 0f, 0f);
                assertClose("unary " + op + (transposed ? " transposed" : " contiguous") + " at its hard points", out, 5e-7, 0);
            }
        }
    }

    @Test
    void everyBinaryOpWithBroadcasting() {
        for (BinaryOp op : BinaryOp.values()) {
            Pair a = op == BinaryOp.POW ? positive(30, DType.F32, 37, 129) : randn(30, DType.F32, 37, 129);
            Pair b = randn(31, DType.F32, 129);
            Pair be = b.view(t -> t.expand(37, 129));
            Pair out = empty(DType.F32, 37, 129);
            cpu.binary(op, a.cpu(), be.cpu(), out.cpu());
            gpu.binary(op, a.gpu(), be.gpu(), out.gpu());
            assertClose("binary " + op + " row-broadcast", out, 1e-5, 1e-7);
            // contiguous BF16 with an odd element count, and a scalar broadcast
            if (!op.isComparison()) {
                Pair x = op == BinaryOp.POW ? positive(32, DType.BF16, 1_000_003) : randn(32, DType.BF16, 1_000_003);
                Pair y = randn(33, DType.BF16, 1_000_003);
                Pair o = empty(DType.BF16, 1_000_003);
                cpu.binary(op, x.cpu(), y.cpu(), o.cpu());
                gpu.binary(op, x.gpu(), y.gpu(), o.gpu());
                assertClose("binary " + op + " bf16 contiguous", o, rtol(DType.BF16), 1e-6);
                Pair s = randn(34, DType.BF16, 1).view(t -> t.expand(1_000_003));
                cpu.binary(op, x.cpu(), s.cpu(), o.cpu());
                gpu.binary(op, x.gpu(), s.gpu(), o.gpu());
                assertClose("binary " + op + " bf16 scalar", o, rtol(DType.BF16), 1e-6);
            }
        }
    }

    @Test
    void integerBinaryOpsAndWhere() {
        Pair a = longs(new long[] {5, -7, 1 << 20, 3, 9, -1}, 2, 3);
        Pair b = longs(new long[] {2, 4, -6}, 3);
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.MAXIMUM, BinaryOp.MINIMUM}) {
            Pair o = empty(DType.I64, 2, 3);
            cpu.binary(op, a.cpu(), b.cpu().expand(2, 3), o.cpu());
            gpu.binary(op, a.gpu(), b.gpu().expand(2, 3), o.gpu());
            assertArrayEquals(o.cpu().toLongArray(), o.gpu().toLongArray(), "I64 " + op);
        }
        Pair o = empty(DType.F32, 2, 3);
        cpu.binary(BinaryOp.GE, a.cpu(), b.cpu().expand(2, 3), o.cpu());
        gpu.binary(BinaryOp.GE, a.gpu(), b.gpu().expand(2, 3), o.gpu());
        assertClose("I64 GE", o, 0, 0);

        Pair x = randn(40, DType.BF16, 301, 67);
        Pair y = randn(41, DType.BF16, 67);
        Pair cond = empty(DType.F32, 301, 67);
        cpu.binary(BinaryOp.GT, x.cpu(), y.cpu().expand(301, 67), cond.cpu());
        gpu.binary(BinaryOp.GT, x.gpu(), y.gpu().expand(301, 67), cond.gpu());
        Pair w = empty(DType.BF16, 67, 301);
        Pair xt = x.view(t -> t.transpose(0, 1));
        Pair ye = y.view(t -> t.unsqueeze(1).expand(67, 301));
        Pair ct = cond.view(t -> t.transpose(0, 1));
        cpu.where(ct.cpu(), xt.cpu(), ye.cpu(), w.cpu());
        gpu.where(ct.gpu(), xt.gpu(), ye.gpu(), w.gpu());
        assertClose("where", w, 0, 0);
    }

    // ============================================================================================ reductions

    @Test
    void reductionsOverEveryDim() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            Pair x = randn(50, dt, 13, 517, 7);
            for (int dim = 0; dim < 3; dim++) {
                int[] outShape = dropDim(x.cpu().shape(), dim);
                for (ReduceOp op : ReduceOp.values()) {
                    Pair out = empty(dt, outShape);
                    Pair idx = op == ReduceOp.SUM ? null : empty(DType.I64, outShape);
                    cpu.reduce(op, x.cpu(), dim, out.cpu(), idx == null ? null : idx.cpu());
                    gpu.reduce(op, x.gpu(), dim, out.gpu(), idx == null ? null : idx.gpu());
                    int n = x.cpu().size(dim);
                    double atol = op == ReduceOp.SUM ? 1e-5 * Math.sqrt(n) : 0;
                    assertClose(op + " over dim " + dim + " " + dt, out, op == ReduceOp.SUM ? rtol(dt) : 0, atol);
                    if (idx != null) assertArrayEquals(idx.cpu().toLongArray(), idx.gpu().toLongArray(), op + " indices, dim " + dim);
                }
            }
        }
    }

    @Test
    void longReductionsAndTiesAndNaN() {
        Pair x = randn(51, DType.F32, 1_000_003);
        Pair s = empty(DType.F32);
        cpu.reduce(ReduceOp.SUM, x.cpu(), 0, s.cpu(), null);
        gpu.reduce(ReduceOp.SUM, x.gpu(), 0, s.gpu(), null);
        assertClose("sum of 1e6 values (split over blocks)", s, 1e-4, 1e-2);
        Pair m = empty(DType.F32);
        Pair mi = empty(DType.I64);
        cpu.reduce(ReduceOp.MAX, x.cpu(), 0, m.cpu(), mi.cpu());
        gpu.reduce(ReduceOp.MAX, x.gpu(), 0, m.gpu(), mi.gpu());
        assertClose("max of 1e6", m, 0, 0);
        assertArrayEquals(mi.cpu().toLongArray(), mi.gpu().toLongArray());

        float[] ties = new float[20001];
        for (int i = 0; i < ties.length; i++) ties[i] = (i % 97) * 0.25f - 3;
        ties[17000] = Float.NaN;
        ties[19000] = Float.NaN;
        Tensor tc = Tensor.of(ties, 20001);
        Pair t = new Pair(tc, tc.to(cuda));
        for (ReduceOp op : new ReduceOp[] {ReduceOp.MAX, ReduceOp.MIN}) {
            Pair v = empty(DType.F32);
            Pair i = empty(DType.I64);
            cpu.reduce(op, t.cpu(), 0, v.cpu(), i.cpu());
            gpu.reduce(op, t.gpu(), 0, v.gpu(), i.gpu());
            assertClose(op + " with NaN", v, 0, 0);
            assertArrayEquals(i.cpu().toLongArray(), i.gpu().toLongArray(), op + ": the first NaN wins");
            Pair noNan = t.view(z -> z.narrow(0, 0, 16000));
            cpu.reduce(op, noNan.cpu(), 0, v.cpu(), i.cpu());
            gpu.reduce(op, noNan.gpu(), 0, v.gpu(), i.gpu());
            assertArrayEquals(i.cpu().toLongArray(), i.gpu().toLongArray(), op + ": the first of tied extremes wins");
        }
        Tensor intsCpu = Tensor.ofInts(new int[] {2_000_000_000, 2_000_000_000, 5}, 3);
        Pair ints = new Pair(intsCpu, intsCpu.to(cuda));
        Pair isum = empty(DType.I64);
        cpu.reduce(ReduceOp.SUM, ints.cpu(), 0, isum.cpu(), null);
        gpu.reduce(ReduceOp.SUM, ints.gpu(), 0, isum.gpu(), null);
        assertArrayEquals(new long[] {4_000_000_005L}, isum.gpu().toLongArray());
    }

    @Test
    void columnReductionSplitOverSlices() {
        // 3000 outputs reducing a strided dim of 5000: one thread per output, n split over blockIdx.y
        Pair x = randn(52, DType.F32, 5000, 3000);
        for (ReduceOp op : ReduceOp.values()) {
            Pair out = empty(DType.F32, 3000);
            Pair idx = op == ReduceOp.SUM ? null : empty(DType.I64, 3000);
            cpu.reduce(op, x.cpu(), 0, out.cpu(), idx == null ? null : idx.cpu());
            gpu.reduce(op, x.gpu(), 0, out.gpu(), idx == null ? null : idx.gpu());
            assertClose(op + " over 5000 rows", out, op == ReduceOp.SUM ? 1e-4 : 0, op == ReduceOp.SUM ? 1e-3 : 0);
            if (idx != null) assertArrayEquals(idx.cpu().toLongArray(), idx.gpu().toLongArray(), op + " indices over 5000 rows");
        }
    }

    private static int[] dropDim(int[] a, int d) {
        int[] r = new int[a.length - 1];
        for (int i = 0, j = 0; i < a.length; i++) if (i != d) r[j++] = a[i];
        return r;
    }

    // ============================================================================================ matmul

    @Test
    void matmulLayoutsAndDtypes() {
        // K never a multiple of 8: every row of A (and column of B) ends in a partial 16-byte copy
        int[][] shapes = {{3, 65, 130, 97}, {1, 1, 257, 33}, {2, 129, 1, 63}, {4, 33, 47, 1}};
        for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            for (int[] s : shapes) {
                int batch = s[0], m = s[1], n = s[2], k = s[3];
                for (boolean at : new boolean[] {false, true}) {
                    for (boolean bt : new boolean[] {false, true}) {
                        Pair a = at ? randn(60, dt, batch, k, m).view(t -> t.transpose(1, 2)) : randn(60, dt, batch, m, k);
                        Pair b = bt ? randn(61, dt, batch, n, k).view(t -> t.transpose(1, 2)) : randn(61, dt, batch, k, n);
                        Pair out = randn(62, dt, batch, m, n);
                        Tensor magnitude = productMagnitude(a.cpu(), b.cpu(), out.cpu(), 0.75f, 0.5f);
                        cpu.matmul(a.cpu(), b.cpu(), out.cpu(), 0.75f, 0.5f);
                        gpu.matmul(a.gpu(), b.gpu(), out.gpu(), 0.75f, 0.5f);
                        String what = "matmul " + dt + " " + java.util.Arrays.toString(s) + " aT=" + at + " bT=" + bt;
                        assertClose(what, out.cpu(), out.gpu(), dt == DType.F32 ? 1e-4 : 2 * rtol(dt), 1e-4 * Math.sqrt(k) * (dt == DType.F32 ? 1 : 20),
                                magnitude, ranOnCublas() ? cublasReduction(dt) : 0);
                    }
                }
            }
        }
        // batch-broadcast B (stride 0) and an expanded A with stride-0 rows (tiled kernel: cuBLAS cannot take it)
        Pair a = randn(63, DType.F32, 1, 1, 40).view(t -> t.expand(3, 31, 40));
        Pair b = randn(64, DType.F32, 1, 40, 29).view(t -> t.expand(3, 40, 29));
        Pair out = empty(DType.F32, 3, 31, 29);
        cpu.matmul(a.cpu(), b.cpu(), out.cpu(), 1f, 0f);
        gpu.matmul(a.gpu(), b.gpu(), out.gpu(), 1f, 0f);
        assertClose("matmul with stride-0 rows and batches", out, 1e-4, 1e-4);
    }

    /** |alpha| |A| |B| + |beta| |C| in F32, on the CPU (before the product overwrites C): what a sum of its terms is made of. */
    private static Tensor productMagnitude(Tensor a, Tensor b, Tensor c, float alpha, float beta) {
        Tensor m = Tensor.empty(DType.F32, Device.CPU, c.shape());
        cpu.matmul(a.to(DType.F32).abs(), b.to(DType.F32).abs(), m, Math.abs(alpha), 0f);
        return m.add(c.to(DType.F32).abs().mul(Math.abs(beta)));
    }

    /** Whether the backend's last product ran on cuBLAS. */
    private static boolean ranOnCublas() {
        return ((CudaBackend) gpu).gemmReport().startsWith("last product on cublas");
    }

    /**
     * cuBLAS with a BF16 or F16 output may add its split-K partial sums in the output type (its default, which CublasGemm
     * keeps: it does not set CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION). Each partial is then rounded once to the
     * output type, by at most half an ulp of it, u = 2^-8 (BF16) or 2^-11 (F16), and the partials' sizes add up to at most
     * |alpha A B + beta C|: u times that, doubled for the rounding of their sum, as FastKernelsGpuTest.cublasReduction
     * allows. Without it, two BF16 partials of size 4 to 8 may be off by 2^-6 each, which the element-wise bound of
     * matmulLayoutsAndDtypes (2e-3 sqrt(K) next to a small result) does not cover. None for F32 (F32 partials).
     */
    private static double cublasReduction(DType dt) {
        return switch (dt) {
            case BF16 -> 2 * 0x1p-8;
            case F16 -> 2 * 0x1p-11;
            default -> 0;
        };
    }

    // ============================================================================================ rows

    @Test
    void softmaxForwardAndBackward() {
        int[] widths = {1, 7, 1000, 4096, 50001};
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            for (int c : widths) {
                for (boolean log : new boolean[] {false, true}) {
                    Pair x = randn(70 + c, dt, 33, c).view(t -> t.mul(3f));
                    if (c > 10) {
                        // masked logits, as attention and vocab masks produce
                        Tensor mask = Tensor.full(Float.NEGATIVE_INFINITY, DType.F32, Device.CPU, 33, 5).to(dt);
                        x.cpu().narrow(1, 3, 5).copyFrom(mask);
                        x.gpu().narrow(1, 3, 5).copyFrom(mask);
                    }
                    Pair y = empty(dt, 33, c);
                    cpu.softmax(x.cpu(), y.cpu(), log);
                    gpu.softmax(x.gpu(), y.gpu(), log);
                    String what = (log ? "logSoftmax " : "softmax ") + dt + " C=" + c;
                    assertClose(what, y, rtol(dt) * (dt == DType.F32 ? 10 : 1), dt == DType.F32 ? 1e-6 : 1e-4);
                    Pair gy = randn(80 + c, dt, 33, c);
                    Pair gx = empty(dt, 33, c);
                    cpu.softmaxBackward(y.cpu(), gy.cpu(), gx.cpu(), log);
                    gpu.softmaxBackward(y.cpu().to(cuda), gy.gpu(), gx.gpu(), log);   // same y on both sides
                    assertClose(what + " backward", gx, rtol(dt) * (dt == DType.F32 ? 10 : 2), dt == DType.F32 ? 1e-5 : 2e-3);
                }
            }
        }
    }

    @Test
    void layerNormAndRmsNorm() {
        int[] widths = {768, 1001, 4096};
        DType[][] combos = {{DType.F32, DType.F32}, {DType.BF16, DType.BF16}, {DType.BF16, DType.F32}, {DType.F32, DType.BF16}};
        for (DType[] combo : combos) {
            DType xt = combo[0], wt = combo[1];
            for (int c : widths) {
                int rows = 67;
                Pair x = randn(90 + c, xt, rows, c).view(t -> t.mul(2f).add(0.3f));
                Pair w = randn(91 + c, wt, c).view(t -> t.mul(0.5f).add(1f));
                Pair b = randn(92 + c, wt, c);
                String what = "x " + xt + " w " + wt + " C=" + c;
                Pair y = empty(xt, rows, c);
                Pair mean = empty(DType.F32, rows);
                Pair rstd = empty(DType.F32, rows);
                cpu.layerNorm(x.cpu(), w.cpu(), b.cpu(), 1e-5f, y.cpu(), mean.cpu(), rstd.cpu());
                gpu.layerNorm(x.gpu(), w.gpu(), b.gpu(), 1e-5f, y.gpu(), mean.gpu(), rstd.gpu());
                assertClose("layerNorm " + what, y, rtol(xt) * (xt == DType.F32 ? 10 : 1), 1e-4);
                assertClose("layerNorm mean " + what, mean, 1e-4, 1e-5);
                assertClose("layerNorm rstd " + what, rstd, 1e-4, 1e-6);
                Pair gy = randn(93 + c, xt, rows, c);
                Pair gx = empty(xt, rows, c);
                Pair gw = empty(wt, c);
                Pair gb = empty(wt, c);
                cpu.layerNormBackward(gy.cpu(), x.cpu(), w.cpu(), mean.cpu(), rstd.cpu(), gx.cpu(), gw.cpu(), gb.cpu());
                gpu.layerNormBackward(gy.gpu(), x.gpu(), w.gpu(), mean.cpu().to(cuda), rstd.cpu().to(cuda), gx.gpu(), gw.gpu(), gb.gpu());
                assertClose("layerNorm gx " + what, gx, rtol(xt) * (xt == DType.F32 ? 50 : 2), 1e-3);
                assertClose("layerNorm gw " + what, gw, rtol(wt) * (wt == DType.F32 ? 50 : 2), 1e-3 * Math.sqrt(rows));
                assertClose("layerNorm gb " + what, gb, rtol(wt) * (wt == DType.F32 ? 50 : 2), 1e-3 * Math.sqrt(rows));

                Pair ry = empty(xt, rows, c);
                Pair rr = empty(DType.F32, rows);
                cpu.rmsNorm(x.cpu(), w.cpu(), 1e-6f, ry.cpu(), rr.cpu());
                gpu.rmsNorm(x.gpu(), w.gpu(), 1e-6f, ry.gpu(), rr.gpu());
                assertClose("rmsNorm " + what, ry, rtol(xt) * (xt == DType.F32 ? 10 : 1), 1e-4);
                assertClose("rmsNorm rstd " + what, rr, 1e-4, 1e-6);
                Pair rgx = empty(xt, rows, c);
                Pair rgw = empty(wt, c);
                cpu.rmsNormBackward(gy.cpu(), x.cpu(), w.cpu(), rr.cpu(), rgx.cpu(), rgw.cpu());
                gpu.rmsNormBackward(gy.gpu(), x.gpu(), w.gpu(), rr.cpu().to(cuda), rgx.gpu(), rgw.gpu());
                assertClose("rmsNorm gx " + what, rgx, rtol(xt) * (xt == DType.F32 ? 50 : 2), 1e-3);
                assertClose("rmsNorm gw " + what, rgw, rtol(wt) * (wt == DType.F32 ? 50 : 2), 1e-3 * Math.sqrt(rows));
            }
        }
    }

    @Test
    void crossEntropyForwardBackwardAndBadTargets() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            for (int v : new int[] {5, 1000, 32003}) {
                int rows = 37;
                Pair logits = randn(100 + v, dt, rows, v).view(t -> t.mul(2f));
                long[] t = new long[rows];
                for (int r = 0; r < rows; r++) t[r] = r % 9 == 4 ? -100 : (r * 7919L) % v;
                Pair target = longs(t, rows);
                Pair loss = empty(DType.F32, rows);
                Pair lse = empty(DType.F32, rows);
                cpu.crossEntropy(logits.cpu(), target.cpu(), -100, loss.cpu(), lse.cpu());
                gpu.crossEntropy(logits.gpu(), target.gpu(), -100, loss.gpu(), lse.gpu());
                assertClose("crossEntropy loss " + dt + " V=" + v, loss, 1e-5, 1e-5);
                assertClose("crossEntropy lse " + dt + " V=" + v, lse, 1e-5, 1e-5);
                Pair g = randn(101 + v, DType.F32, rows);
                Pair gl = empty(dt, rows, v);
                cpu.crossEntropyBackward(logits.cpu(), target.cpu(), lse.cpu(), g.cpu(), -100, gl.cpu());
                gpu.crossEntropyBackward(logits.gpu(), target.gpu(), lse.cpu().to(cuda), g.gpu(), -100, gl.gpu());
                assertClose("crossEntropy backward " + dt + " V=" + v, gl, rtol(dt) * (dt == DType.F32 ? 10 : 1), 1e-6);
            }
        }
        Pair logits = randn(102, DType.F32, 4, 10);
        Pair bad = longs(new long[] {1, 2, 10, 3}, 4);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> gpu.crossEntropy(logits.gpu(), bad.gpu(), -100, Tensor.empty(DType.F32, cuda, 4), Tensor.empty(DType.F32, cuda, 4)));
        assertEquals("crossEntropy: target 10 at row 2 is out of range [0, 10) (ignoreIndex is -100)", e.getMessage());
    }

    @Test
    void rotaryEmbeddingForwardAndInverse() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            int t = 37, d = 66;
            Pair x = randn(110, dt, 3, 5, t, d);
            Pair cos = randn(111, DType.F32, t, d / 2);
            Pair sin = randn(112, DType.F32, t, d / 2);
            for (boolean inverse : new boolean[] {false, true}) {
                Pair out = empty(dt, 3, 5, t, d);
                cpu.rope(x.cpu(), cos.cpu(), sin.cpu(), out.cpu(), inverse);
                gpu.rope(x.gpu(), cos.gpu(), sin.gpu(), out.gpu(), inverse);
                assertClose("rope " + dt + (inverse ? " inverse" : ""), out, rtol(dt) * (dt == DType.F32 ? 5 : 1), 1e-6);
            }
        }
    }

    // ============================================================================================ indexing

    @Test
    void embeddingLookupIndexAddGatherScatter() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            Pair table = randn(120, dt, 1001, 67);
            long[] ids = {5, 1000, 0, 5, 17, 999, 5};
            Pair idx = longs(ids, ids.length);
            Pair out = empty(dt, ids.length, 67);
            cpu.indexSelect(table.cpu(), 0, idx.cpu(), out.cpu());
            gpu.indexSelect(table.gpu(), 0, idx.gpu(), out.gpu());
            assertClose("indexSelect " + dt, out, 0, 0);
            Pair small = table.view(tt -> tt.narrow(1, 0, 60));
            Pair idx2 = longs(new long[] {59, 0, 3, 3, 30, 1, 2}, 7);
            Pair out2 = empty(dt, 1001, 7);
            cpu.indexSelect(small.cpu(), 1, idx2.cpu(), out2.cpu());
            gpu.indexSelect(small.gpu(), 1, idx2.gpu(), out2.gpu());
            assertClose("indexSelect dim 1 of a narrowed view " + dt, out2, 0, 0);
        }
        // index_add with repeated indices (F32: what the CPU supports)
        Pair dst = randn(121, DType.F32, 50, 33);
        Pair src = randn(122, DType.F32, 7, 33);
        Pair idx = longs(new long[] {5, 49, 0, 5, 17, 5, 2}, 7);
        cpu.indexAdd(dst.cpu(), 0, idx.cpu(), src.cpu());
        gpu.indexAdd(dst.gpu(), 0, idx.gpu(), src.gpu());
        assertClose("indexAdd with repeats", dst, 1e-6, 1e-6);
        // gather and scatter_add along each dim of a 3-D tensor, I32 and I64 indices
        Pair x = randn(123, DType.F32, 6, 9, 11);
        for (int dim = 0; dim < 3; dim++) {
            int[] ishape = {5, 8, 10};
            int limit = x.cpu().size(dim);
            int n = 5 * 8 * 10;
            int[] iv = new int[n];
            for (int i = 0; i < n; i++) iv[i] = (i * 31 + 7) % limit;
            Tensor ic = Tensor.ofInts(iv, ishape);
            Pair index = new Pair(ic, ic.to(cuda));
            Pair g = empty(DType.F32, ishape);
            cpu.gather(x.cpu(), dim, index.cpu(), g.cpu());
            gpu.gather(x.gpu(), dim, index.gpu(), g.gpu());
            assertClose("gather dim " + dim, g, 0, 0);
            Pair acc = randn(124, DType.F32, 6, 9, 11);
            cpu.scatterAdd(acc.cpu(), dim, index.cpu(), g.cpu());
            gpu.scatterAdd(acc.gpu(), dim, index.gpu(), g.gpu());
            assertClose("scatterAdd dim " + dim, acc, 1e-6, 1e-6);
        }
        Pair bad = longs(new long[] {1, 2, 1001}, 3);
        Pair table = randn(125, DType.F32, 1001, 4);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> gpu.indexSelect(table.gpu(), 0, bad.gpu(), Tensor.empty(DType.F32, cuda, 3, 4)));
        assertEquals("indexSelect: index 1001 at position 2 is out of range for a dim of size 1001", e.getMessage());
        // the error word was reset: the next good call passes
        Pair good = longs(new long[] {1, 2, 3}, 3);
        gpu.indexSelect(table.gpu(), 0, good.gpu(), Tensor.empty(DType.F32, cuda, 3, 4));
    }

    // ============================================================================================ random

    @Test
    void philoxIsIdenticalToTheCpu() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            for (int n : new int[] {1, 3, 4, 5, 1_000_003}) {
                Pair u = empty(dt, n);
                cpu.random(u.cpu(), 1234567L, 99, false, -2f, 3f);
                gpu.random(u.gpu(), 1234567L, 99, false, -2f, 3f);
                assertClose("uniform " + dt + " n=" + n + " (bit-identical)", u, 0, 0);
                Pair g = empty(dt, n);
                cpu.random(g.cpu(), -5L, (1L << 32) - 2, true, 0.5f, 2f);
                gpu.random(g.gpu(), -5L, (1L << 32) - 2, true, 0.5f, 2f);
                assertClose("normal " + dt + " n=" + n, g, dt == DType.F32 ? 1e-6 : rtol(dt), 1e-6);
            }
        }
    }

    @Test
    void samplingMatchesTheCpu() {
        int rows = 37;
        for (int v : new int[] {2, 1000, 50001}) {
            Pair logits = randn(130 + v, DType.F32, rows, v).view(t -> t.mul(3f));
            // ties: the same logit at several indices
            float[] tie = new float[v];
            java.util.Arrays.fill(tie, -1f);
            tie[v - 1] = 4f;
            tie[v / 2] = 4f;
            logits.cpu().select(0, 0).copyFrom(Tensor.of(tie, v));
            logits.gpu().select(0, 0).copyFrom(Tensor.of(tie, v));
            float[][] settings = {{0f, 0, 1f}, {1f, 0, 1f}, {0.7f, 50, 1f}, {1.3f, 0, 0.9f}, {0.9f, 20, 0.5f}, {1f, 1, 1f}};
            for (float[] s : settings) {
                for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                    Pair l = logits.view(t -> t.to(dt));
                    Pair out = empty(DType.I64, rows);
                    for (long seed : new long[] {1, 77, -3}) {
                        cpu.sampleTokens(l.cpu(), s[0], (int) s[1], s[2], seed, 11, out.cpu());
                        gpu.sampleTokens(l.gpu(), s[0], (int) s[1], s[2], seed, 11, out.gpu());
                        assertArrayEquals(out.cpu().toLongArray(), out.gpu().toLongArray(), "sampleTokens V=" + v + " " + dt + " T=" + s[0]
                                + " topK=" + (int) s[1] + " topP=" + s[2] + " seed=" + seed);
                    }
                }
            }
        }
    }

    // ============================================================================================ optimizer

    @Test
    void adamwIsBitIdenticalForF32AndMatchesForBf16() {
        List<Pair> p = new ArrayList<>();
        List<Pair> g = new ArrayList<>();
        List<Pair> m = new ArrayList<>();
        List<Pair> v = new ArrayList<>();
        int[][] shapes = {{1_000_003}, {3, 5}, {4096}, {7}};
        DType[] pt = {DType.F32, DType.F32, DType.BF16, DType.BF16};
        DType[] gt = {DType.F32, DType.F32, DType.BF16, DType.F32};
        for (int i = 0; i < shapes.length; i++) {
            p.add(randn(140 + i, pt[i], shapes[i]));
            g.add(randn(150 + i, gt[i], shapes[i]));
            m.add(randn(160 + i, DType.F32, shapes[i]).view(t -> t.mul(0.1f)));
            v.add(positive(170 + i, DType.F32, shapes[i]).view(t -> t.mul(0.01f)));
        }
        for (long step = 1; step <= 3; step++) {
            Backend.AdamWHyper h = new Backend.AdamWHyper(3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, step);
            cpu.adamw(p.stream().map(Pair::cpu).toList(), g.stream().map(Pair::cpu).toList(), m.stream().map(Pair::cpu).toList(),
                    v.stream().map(Pair::cpu).toList(), h);
            gpu.adamw(p.stream().map(Pair::gpu).toList(), g.stream().map(Pair::gpu).toList(), m.stream().map(Pair::gpu).toList(),
                    v.stream().map(Pair::gpu).toList(), h);
        }
        for (int i = 0; i < shapes.length; i++) {
            assertClose("adamw param " + i + " " + pt[i], p.get(i), 0, 0);
            assertClose("adamw m " + i, m.get(i), 0, 0);
            assertClose("adamw v " + i, v.get(i), 0, 0);
        }
    }
}

package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.racro4j.core.GraphCapture;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.kernels.cuda.GemmPlan.Rung;

/**
 * The GEMM ladder, the fused attention kernels, decode attention and graph capture against the CPU backend on
 * random inputs of awkward sizes (ragged tiles, padded rows, transposed views, broadcast batches), never zeros.
 * References are computed on the CPU in F32 from the very values the GPU got (rounded to BF16/F16 first), and
 * compared by relative error over the whole output, ||gpu - cpu|| / ||cpu||, with bounds by dtype: F32 1e-5, TF32
 * 3e-3, F16 3e-3, BF16 1.5e-2 (gradients: 2x). Skipped, with the reason, where the machine has no NVIDIA GPU;
 * failed where it has one and the backend cannot open it ({@link GpuTestRule}).
 */
@Tag("gpu")
class FastKernelsGpuTest {
    private static Device cuda;
    private static CudaBackend gpu;
    private static BackendProvider.Availability availability;

    @BeforeAll
    static void openTheGpuIfThereIsOne() {
        availability = GpuTestRule.cudaAvailability();
        if (!availability.available()) return;
        cuda = Device.of("cuda:0");
        gpu = (CudaBackend) cuda.backend();
        System.out.println("fast-kernel GPU tests on " + gpu.describe());
    }

    @BeforeEach
    void needsAGpu() {
        assumeTrue(GpuTestRule.canRun(availability), "CUDA GPU test skipped: " + availability.description());
    }

    // ============================================================================================ helpers

    /** Random values on the CPU in dtype dt (so the CPU reference sees exactly what the GPU gets). */
    private static Tensor randn(long seed, DType dt, int... shape) {
        return Tensor.randn(new Generator(seed), shape).to(dt);
    }

    private static double bound(DType dt) {
        return switch (dt) {
            case BF16 -> 1.5e-2;
            case F16 -> 3e-3;
            default -> 1e-5;
        };
    }

    /** ||got - want|| / ||want||; fails on NaN or infinities where the reference is finite. */
    private static double relativeError(String what, float[] got, float[] want) {
        assertEquals(want.length, got.length, what + ": element count");
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            if (!Float.isFinite(got[i]) && Float.isFinite(want[i])) fail(what + ": element " + i + " is " + got[i] + ", want " + want[i]);
            double e = got[i] - want[i];
            num += e * e;
            den += (double) want[i] * want[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    /**
     * At most half an ulp of dt relative to the value: what rounding the kernel's F32 result into dt costs (BF16 keeps 8
     * significant bits, F16 11, F32 24).
     */
    private static double rounding(DType dt) {
        return switch (dt) {
            case BF16 -> 0x1p-8;
            case F16 -> 0x1p-11;
            default -> 0x1p-24;
        };
    }

    /**
     * GEMM with F32 accumulation over K terms: the textbook componentwise bound |fl(A B) - A B| <= K u |A| |B|, with
     * u = 2^-23 (tensor cores may truncate, not round, when they align their sums), doubled for the CPU reference's own
     * error. TF32 rounds both inputs to 11 significant bits first: up to 2^-10 each, 2^-9 on a product.
     */
    static double gemmGamma(int k, boolean tf32) {
        return 2.0 * (k + 2) * 0x1p-23 + (tf32 ? 0x1p-9 : 0);
    }

    /**
     * cuBLAS with a BF16 or F16 output may reduce split-K partial sums in the output type (its default: CublasGemm does
     * not set CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION): each partial rounded once, by at most u(dt) of it, and
     * the partials' sizes add up to at most |A| |B|; the sum rounded again. Two roundings of u(dt) |A| |B| on top.
     */
    private static double cublasReduction(DType dt) {
        return dt == DType.F32 ? 0 : 2 * rounding(dt);
    }

    /**
     * Fused attention: P is rounded to dt before P V (up to half an ulp of each p) while the row sum is taken from the
     * unrounded p, so |error| <= 2 u(dt) (P |V|) per element; doubled. F32 (decode): the scores carry the F32 dot
     * product's D 2^-23 sum |q||k| into the exponent, about 2^-13 of p at D 128, doubled for the reference.
     */
    static double attentionGamma(DType dt) {
        return switch (dt) {
            case BF16 -> 0x1p-6;
            case F16 -> 0x1p-9;
            default -> 0x1p-12;
        };
    }

    /**
     * The relative-norm bound, and element by element |got - want| <= r |want| + 6 bound rms(want) (r: the output's
     * rounding): the norm caps the RMS error at bound rms(want), and errors spread over the output keep their largest
     * within about five RMS (a normal tail at 1e-6 is 4.9 sigma), so an element beyond it is a local fault (a tile
     * edge, a masked key) that the norm over the whole output would hide.
     */
    static void assertCloseRelative(String what, Tensor got, Tensor want, double bound) {
        assertClose(what, got, want, bound, null, 6 * bound);
    }

    /**
     * The relative-norm bound, and element by element |got - want| <= r (|want| + gamma m) + gamma m, with m the
     * element's magnitude (|A| |B| for a product: what its rounding errors scale with) and r the output's rounding.
     */
    static void assertCloseRelative(String what, Tensor got, Tensor want, double bound, Tensor magnitude, double gamma) {
        assertArrayEquals(want.shape(), magnitude.shape(), what + ": magnitude shape");
        assertClose(what, got, want, bound, magnitude.to(DType.F32).toFloatArray(), gamma);
    }

    /** magnitude null: the scale of every element's error is rms(want). */
    private static void assertClose(String what, Tensor got, Tensor want, double bound, float[] magnitude, double gamma) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        float[] g = got.to(DType.F32).toFloatArray(), w = want.to(DType.F32).toFloatArray();
        double err = relativeError(what, g, w);
        assertTrue(err <= bound, what + ": relative error " + err + " exceeds " + bound);
        double r = rounding(got.dtype());
        double rms = 0;
        for (float x : w) rms += (double) x * x;
        rms = Math.sqrt(rms / Math.max(1, w.length));
        int worst = -1, beyond = 0;
        double worstExcess = 0, worstTol = 0;
        for (int i = 0; i < w.length; i++) {
            double m = magnitude == null ? rms : magnitude[i];
            double tol = r * (Math.abs(w[i]) + gamma * m) + gamma * m + 0x1p-25;   // 2^-25: F16's subnormal spacing
            double e = Math.abs((double) g[i] - w[i]);
            if (e > tol) {
                beyond++;
                if (worst < 0 || e / tol > worstExcess) {
                    worst = i;
                    worstExcess = e / tol;
                    worstTol = tol;
                }
            }
        }
        if (worst >= 0) {
            fail(what + ": worst element " + java.util.Arrays.toString(index(want.shape(), worst)) + " (flat " + worst + ") got " + g[worst]
                    + " want " + w[worst] + ", |error| " + Math.abs((double) g[worst] - w[worst]) + " > tolerance " + worstTol + "; "
                    + beyond + " of " + w.length + " elements beyond their tolerance (relative error over all " + err + ")");
        }
    }

    /** The multi-index of flat position i in a row-major tensor of this shape. */
    private static int[] index(int[] shape, int i) {
        int[] at = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = i % shape[d];
            i /= shape[d];
        }
        return at;
    }

    /** The same values and the same view (strides, padding) on the CPU and on the GPU. */
    private record Operand(Tensor cpu, Tensor gpu) {}

    /**
     * A [batch, rows, cols] operand whose innermost stored dimension is cols (rowMajor) or rows, in storage padded
     * to a multiple of 8 plus 8 elements when padded (16-byte aligned rows with a leading dimension above the size).
     * The view is taken on each device (moving a view would make it contiguous).
     */
    private static Operand operand(long seed, DType dt, int batch, int rows, int cols, boolean rowMajor, boolean padded) {
        int inner = rowMajor ? cols : rows;
        int outer = rowMajor ? rows : cols;
        int ld = padded ? (inner + 7) / 8 * 8 + 8 : inner;
        Tensor base = randn(seed, dt, batch, outer, ld);
        Tensor[] views = new Tensor[2];
        Tensor[] bases = {base, base.to(cuda)};
        for (int i = 0; i < 2; i++) {
            Tensor t = bases[i].narrow(2, 0, inner);
            views[i] = rowMajor ? t : t.transpose(1, 2);
        }
        return new Operand(views[0], views[1]);
    }

    // ============================================================================================ GEMM

    @Test
    void everyGemmRungMatchesTheCpu() {
        // batch, M, N, K. The last three have K not a multiple of 8: rows of K elements end in a partial 16-byte copy
        // (BF16, F16: 8 elements; F32: 4), in every layout, padded or not, batched and not.
        int[][] shapes = {{1, 1, 1, 8}, {1, 37, 50, 72}, {3, 129, 257, 136}, {2, 300, 200, 8}, {1, 64, 896, 128}, {1, 200, 384, 520},
            {2, 16, 8, 1000}, {2, 45, 70, 83}, {1, 130, 264, 13}, {3, 33, 129, 250}};
        Map<Rung, Integer> ran = new EnumMap<>(Rung.class);
        for (DType dt : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            for (int[] s : shapes) {
                int batch = s[0], m = s[1], n = s[2], k = s[3];
                for (int layout = 0; layout < 8; layout++) {
                    boolean aRowMajor = (layout & 1) == 0, bRowMajor = (layout & 2) == 0, padded = (layout & 4) == 0;
                    long seed = 1000L * m + 10L * n + layout;
                    Operand a = operand(seed, dt, batch, m, k, aRowMajor, padded);
                    Operand b = operand(seed + 1, dt, batch, k, n, bRowMajor, padded);
                    Tensor c0 = randn(seed + 2, dt, batch, m, n);
                    Tensor want = c0.to(DType.F32).copy();   // the product accumulates into it: never c0 itself (F32)
                    Device.CPU.backend().matmul(a.cpu().to(DType.F32), b.cpu().to(DType.F32), want, 0.75f, 0.5f);
                    // what each element's rounding errors scale with: 0.75 |A| |B| + 0.5 |C0|
                    Tensor magnitude = c0.to(DType.F32).abs();
                    Device.CPU.backend().matmul(a.cpu().to(DType.F32).abs(), b.cpu().to(DType.F32).abs(), magnitude, 0.75f, 0.5f);
                    Tensor ag = a.gpu(), bg = b.gpu();
                    for (Rung rung : Rung.values()) {
                        Tensor out = c0.to(cuda);
                        GemmPlan.Choice c = gpu.matmulOn(rung, ag, bg, out, GemmEpilogue.plain(0.75f, 0.5f));
                        if (c == null) continue;
                        ran.merge(rung, 1, Integer::sum);
                        String what = c.describe() + " " + dt + " batch " + batch + " " + m + "x" + n + "x" + k + (aRowMajor ? " A" : " A^T")
                                + (bRowMajor ? " B" : " B^T") + (padded ? " padded" : "");
                        double tol = dt == DType.F32 && rung == Rung.MMA ? 3e-3 : bound(dt) + (dt == DType.F32 ? 1e-5 : 0);
                        boolean tf32 = dt == DType.F32 && rung == Rung.MMA;
                        double gamma = gemmGamma(k, tf32) + (c.rung() == Rung.CUBLAS ? cublasReduction(dt) : 0);
                        assertCloseRelative(what, out, want, tol, magnitude, gamma);
                    }
                }
            }
        }
        System.out.println("GEMM products checked per rung: " + ran + "; " + gpu.gemmReport());
        assertTrue(ran.getOrDefault(Rung.TILED, 0) > 0);
        GemmPlan.Device d = gpu.gemmDevice();
        if (d.major() >= 8) assertTrue(ran.getOrDefault(Rung.MMA, 0) > 0, "mma.sync ran");
        if (d.hopper() && d.tensorMaps()) assertTrue(ran.getOrDefault(Rung.WGMMA, 0) > 0, "wgmma ran");
        assertFalse(gpu.gemmReport().contains("disabled"), "a tensor-core kernel failed its first-use check: " + gpu.gemmReport());
    }

    @Test
    void theDefaultMatmulTakesTheTopRungOnLinearLayerShapes() {
        // out = x w^T for x [512, 896] and w [4864, 896] (Qwen2-0.5B's up projection), in BF16.
        Tensor x = randn(5, DType.BF16, 512, 896);
        Tensor w = randn(6, DType.BF16, 4864, 896);
        Tensor want = x.to(DType.F32).matmul(w.to(DType.F32).t());
        Tensor got = x.to(cuda).matmul(w.to(cuda).t());
        Tensor magnitude = x.to(DType.F32).abs().matmul(w.to(DType.F32).abs().t());
        boolean cublas = gpu.gemmReport().startsWith("last product on cublas");
        double gamma = gemmGamma(896, false) + (cublas ? cublasReduction(DType.BF16) : 0);
        assertCloseRelative("x w^T", got, want, bound(DType.BF16), magnitude, gamma);
        // The ladder's default order for BF16 (GemmPlan's javadoc): wgmma on Hopper with TMA maps, else mma.sync from
        // sm_80, else cuBLAS where it loaded, else the tiled kernel. Every device expects one kernel family by name.
        // With a GPU present this is a failure, not a skip (GpuTestRule): run this class without the property.
        String otherRungFirst = "-D" + GemmPlan.PROP_GEMM + " puts another rung first: the default order is not in force";
        assumeTrue(GpuTestRule.mayRun(GemmPlan.parsePreference(System.getProperty(GemmPlan.PROP_GEMM)) == null, otherRungFirst),
                otherRungFirst);
        GemmPlan.Device d = gpu.gemmDevice();
        String expected = d.hopper() && d.tensorMaps() ? "wgmma " : d.major() >= 8 ? "mma " : d.cublas() ? "cublas" : "tiled";
        assertTrue(gpu.gemmReport().startsWith("last product on " + expected), "expected " + expected + " on " + d + ": " + gpu.gemmReport());
    }

    @Test
    void fusedEpiloguesMatchTheCpu() {
        int batch = 2, m = 70, n = 136, k = 96;
        for (DType dt : new DType[] {DType.BF16, DType.F32}) {
            for (GemmEpilogue.Activation act : GemmEpilogue.Activation.values()) {
                Operand a = operand(11, dt, batch, m, k, true, true);
                Operand b = operand(12, dt, batch, k, n, false, true);
                Tensor bias = randn(13, act.ordinal() % 2 == 0 ? DType.F32 : dt, n);
                Tensor residual = act.ordinal() % 2 == 0 ? randn(14, dt, batch, m, n) : randn(14, dt, m, n);
                Tensor c0 = randn(15, dt, batch, m, n);
                // y = act(0.5 a b + bias + 0.25 c0) + residual, in F32 on the CPU
                Tensor y = a.cpu().to(DType.F32).matmul(b.cpu().to(DType.F32)).mul(0.5f).add(bias.to(DType.F32)).add(c0.to(DType.F32).mul(0.25f));
                y = switch (act) {
                    case NONE -> y;
                    case RELU -> y.relu();
                    case GELU_TANH -> y.geluTanh();
                    case GELU_ERF -> y.gelu();
                    case SILU -> y.silu();
                };
                Tensor want = y.add(residual.to(DType.F32));
                // each element's error scale: the pre-activation's terms in absolute value, through the activation's
                // steepest slope (GELU's 1.13; SiLU's 1.10, ReLU's 1), plus the residual
                Tensor magnitude = a.cpu().to(DType.F32).abs().matmul(b.cpu().to(DType.F32).abs()).mul(0.5f).add(bias.to(DType.F32).abs())
                        .add(c0.to(DType.F32).abs().mul(0.25f)).mul(1.13f).add(residual.to(DType.F32).abs());
                Set<Rung> ranHere = EnumSet.noneOf(Rung.class);
                for (Rung rung : new Rung[] {Rung.TILED, Rung.MMA, Rung.WGMMA}) {
                    Tensor out = c0.to(cuda);
                    GemmEpilogue ep = new GemmEpilogue(0.5f, 0.25f, bias.to(cuda), act, residual.to(cuda));
                    GemmPlan.Choice c = gpu.matmulOn(rung, a.gpu(), b.gpu(), out, ep);
                    if (c == null) continue;
                    assertEquals(rung, c.rung(), "matmulOn ran the rung it was asked for");
                    ranHere.add(rung);
                    double tol = dt == DType.F32 && rung == Rung.MMA ? 3e-3 : bound(dt) + 1e-5;
                    boolean tf32 = dt == DType.F32 && rung == Rung.MMA;
                    assertCloseRelative(c.describe() + " " + dt + " " + act, out, want, tol, magnitude, gemmGamma(k, tf32));
                }
                assertEquals(epilogueRungsTheDeviceMustRun(dt), ranHere,
                        "rungs that ran a fused " + act + " epilogue in " + dt + " on " + gpu.gemmDevice());
            }
        }
    }

    /**
     * Which of the tiled, mma.sync and wgmma rungs must run the fused-epilogue products above (both operands K-major,
     * 16-byte aligned padded rows): the tiled kernel runs anything; mma.sync needs sm_80+ (F32 runs on it as TF32 when
     * the rung is asked for by name); wgmma needs Hopper, TMA maps and BF16. From GemmPlan's documented rules, not from
     * its code.
     */
    private static Set<Rung> epilogueRungsTheDeviceMustRun(DType dt) {
        GemmPlan.Device d = gpu.gemmDevice();
        Set<Rung> must = EnumSet.of(Rung.TILED);
        if (d.major() >= 8) must.add(Rung.MMA);
        if (dt == DType.BF16 && d.hopper() && d.tensorMaps()) must.add(Rung.WGMMA);
        return must;
    }

    // ============================================================================================ attention

    /** A key mask [b, s] with a few zeros, never at key 0 (so every query sees at least one key). */
    private static Tensor keyMask(long seed, int b, int s) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] m = new float[b * s];
        for (int i = 0; i < m.length; i++) m[i] = i % s == 0 || r.nextDouble() > 0.2 ? 1f : 0f;
        return Tensor.of(m, b, s);
    }

    private record AttnCase(int b, int hq, int hkv, int t, int s, int d, boolean causal, boolean masked) {}

    private static final AttnCase[] ATTN = {
        new AttnCase(2, 4, 2, 37, 37, 64, true, false),
        new AttnCase(1, 2, 1, 130, 200, 128, true, true),
        new AttnCase(2, 6, 2, 1, 77, 64, false, true),
        new AttnCase(1, 4, 4, 65, 65, 128, false, false),
        new AttnCase(3, 2, 1, 100, 150, 64, false, true),
        new AttnCase(1, 14, 2, 200, 200, 64, true, true),
    };

    @Test
    void flashAttentionForwardMatchesTheComposite() {
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            for (AttnCase c : ATTN) {
                assertTrue(gpu.supportsAttention(dt, c.d()), "fused attention for " + dt + " D " + c.d());
                long seed = 31L * c.t() + c.s();
                Tensor q = randn(seed, dt, c.b(), c.hq(), c.t(), c.d());
                Tensor k = randn(seed + 1, dt, c.b(), c.hkv(), c.s(), c.d());
                Tensor v = randn(seed + 2, dt, c.b(), c.hkv(), c.s(), c.d());
                Tensor mask = c.masked() ? keyMask(seed + 3, c.b(), c.s()).reshape(c.b(), 1, 1, c.s()) : null;
                Tensor want = Functional.scaledDotProductAttention(q.to(DType.F32), k.to(DType.F32), v.to(DType.F32), mask, c.causal(), Float.NaN);
                Tensor got = Functional.scaledDotProductAttention(q.to(cuda), k.to(cuda), v.to(cuda), mask == null ? null : mask.to(cuda),
                        c.causal(), Float.NaN);
                // P |V|: what each output's error scales with
                Tensor magnitude = Functional.scaledDotProductAttention(q.to(DType.F32), k.to(DType.F32), v.to(DType.F32).abs(), mask, c.causal(),
                        Float.NaN);
                assertCloseRelative("attention " + dt + " " + c, got, want, bound(dt), magnitude, attentionGamma(dt));
                checkLse(dt, c, q, k, mask);
            }
        }
    }

    /** lse[b, h, t] = log sum over visible keys of exp(q k / sqrt(D)), from the kernel against float64 on the CPU. */
    private static void checkLse(DType dt, AttnCase c, Tensor q, Tensor k, Tensor mask) {
        Tensor out = Tensor.empty(dt, cuda, c.b(), c.hq(), c.t(), c.d());
        Tensor lse = Tensor.empty(DType.F32, cuda, c.b(), c.hq(), c.t());
        Tensor km = mask == null ? null : mask.reshape(c.b(), c.s()).to(cuda);
        float scale = (float) (1 / Math.sqrt(c.d()));
        gpu.attention(q.to(cuda), k.to(cuda), v(c, dt), km, c.causal(), scale, out, lse);
        float[] qf = q.to(DType.F32).toFloatArray(), kf = k.to(DType.F32).toFloatArray();
        float[] mf = mask == null ? null : mask.toFloatArray();
        float[] got = lse.toFloatArray();
        int group = c.hq() / c.hkv();
        for (int b = 0; b < c.b(); b++) {
            for (int h = 0; h < c.hq(); h++) {
                for (int t = 0; t < c.t(); t++) {
                    double max = Double.NEGATIVE_INFINITY;
                    double[] sc = new double[c.s()];
                    for (int s = 0; s < c.s(); s++) {
                        boolean vis = !(c.causal() && s > t + c.s() - c.t()) && (mf == null || mf[b * c.s() + s] != 0);
                        double dot = 0;
                        for (int i = 0; i < c.d(); i++) {
                            dot += (double) qf[((b * c.hq() + h) * c.t() + t) * c.d() + i] * kf[((b * c.hkv() + h / group) * c.s() + s) * c.d() + i];
                        }
                        sc[s] = vis ? dot * scale : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, sc[s]);
                    }
                    double sum = 0;
                    for (double x : sc) sum += Math.exp(x - max);
                    double want = max + Math.log(sum);
                    float g = got[(b * c.hq() + h) * c.t() + t];
                    assertEquals(want, g, 2e-3 * Math.max(1, Math.abs(want)), "lse " + dt + " " + c + " at b " + b + " h " + h + " t " + t);
                }
            }
        }
    }

    private static Tensor v(AttnCase c, DType dt) {
        return randn(7, dt, c.b(), c.hkv(), c.s(), c.d()).to(cuda);
    }

    @Test
    void flashAttentionBackwardMatchesAutogradOfTheComposite() {
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            for (AttnCase c : ATTN) {
                long seed = 77L * c.t() + c.hq();
                Tensor q = randn(seed, dt, c.b(), c.hq(), c.t(), c.d());
                Tensor k = randn(seed + 1, dt, c.b(), c.hkv(), c.s(), c.d());
                Tensor v = randn(seed + 2, dt, c.b(), c.hkv(), c.s(), c.d());
                Tensor w = randn(seed + 3, dt, c.b(), c.hq(), c.t(), c.d());
                Tensor mask = c.masked() ? keyMask(seed + 4, c.b(), c.s()).reshape(c.b(), 1, 1, c.s()) : null;
                Tensor[] want = grads(q.to(DType.F32), k.to(DType.F32), v.to(DType.F32), w.to(DType.F32), mask, c.causal());
                Tensor[] got = grads(q.to(cuda), k.to(cuda), v.to(cuda), w.to(cuda), mask == null ? null : mask.to(cuda), c.causal());
                String[] names = {"dq", "dk", "dv"};
                for (int i = 0; i < 3; i++) assertCloseRelative("attention backward " + names[i] + " " + dt + " " + c, got[i], want[i], 2 * bound(dt));
            }
        }
    }

    /** Gradients of sum(w * attention(q, k, v)) with respect to q, k and v. */
    private static Tensor[] grads(Tensor q, Tensor k, Tensor v, Tensor w, Tensor mask, boolean causal) {
        q.requiresGrad(true);
        k.requiresGrad(true);
        v.requiresGrad(true);
        Functional.scaledDotProductAttention(q, k, v, mask, causal, Float.NaN).mul(w).to(DType.F32).sum().backward();
        return new Tensor[] {q.grad(), k.grad(), v.grad()};
    }

    @Test
    void aQueryWithNoVisibleKeyGetsZeroFromTheFusedKernel() {
        Tensor q = randn(1, DType.BF16, 2, 2, 3, 64).to(cuda);
        Tensor k = randn(2, DType.BF16, 2, 1, 5, 64).to(cuda);
        Tensor v = randn(3, DType.BF16, 2, 1, 5, 64).to(cuda);
        Tensor mask = Tensor.of(new float[] {1, 1, 0, 1, 0, 0, 0, 0, 0, 0}, 2, 5).to(cuda);   // batch 1 sees nothing
        Tensor out = Tensor.empty(DType.BF16, cuda, 2, 2, 3, 64);
        Tensor lse = Tensor.empty(DType.F32, cuda, 2, 2, 3);
        gpu.attention(q, k, v, mask, false, 0.125f, out, lse);
        float[] o = out.narrow(0, 1, 1).to(DType.F32).toFloatArray();
        for (float x : o) assertEquals(0f, x);
        for (float l : lse.narrow(0, 1, 1).toFloatArray()) assertEquals(Float.NEGATIVE_INFINITY, l);
    }

    // ============================================================================================ decode

    private record DecodeCase(int b, int hq, int hkv, int c, int d) {}

    @Test
    void decodeAttentionMatchesTheCompositeForRowsOfDifferentLengths() {
        DecodeCase[] cases = {new DecodeCase(5, 14, 2, 300, 64), new DecodeCase(3, 34, 2, 257, 128), new DecodeCase(64, 14, 2, 1024, 64),
            new DecodeCase(1, 8, 8, 33, 128)};
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            for (DecodeCase c : cases) {
                long seed = 13L * c.c() + c.hq();
                SplittableRandom r = new SplittableRandom(seed);
                int[] lengths = new int[c.b()];
                for (int i = 0; i < c.b(); i++) lengths[i] = 1 + r.nextInt(c.c());
                lengths[0] = c.c();   // a full cache
                Tensor q = randn(seed, dt, c.b(), c.hq(), 1, c.d());
                Tensor k = randn(seed + 1, dt, c.b(), c.hkv(), c.c(), c.d());
                Tensor v = randn(seed + 2, dt, c.b(), c.hkv(), c.c(), c.d());
                Tensor mask = keyMask(seed + 3, c.b(), c.c());
                Tensor len = Tensor.ofInts(lengths, c.b());
                Tensor want = Functional.decodeAttention(q.to(DType.F32), k.to(DType.F32), v.to(DType.F32), len, mask, Float.NaN);
                assertTrue(gpu.supportsDecode(dt, c.d()));
                Tensor got = Functional.decodeAttention(q.to(cuda), k.to(cuda), v.to(cuda), len.to(cuda), mask.to(cuda), Float.NaN);
                Tensor magnitude = Functional.decodeAttention(q.to(DType.F32), k.to(DType.F32), v.to(DType.F32).abs(), len, mask, Float.NaN);
                assertCloseRelative("decode " + dt + " " + c, got, want, bound(dt) + 1e-5, magnitude, attentionGamma(dt));
            }
        }
    }

    // ============================================================================================ graphs

    /**
     * Runs work once, eagerly, before it is captured, as TextGeneration does (its first decode step): kernel modules,
     * cuBLAS's included, load at their first launch, and drivers before CUDA 12.3 may not load one while a stream is
     * being captured (NVIDIA Warp, for one, loads its modules before capturing on those drivers), which would end the
     * capture with an error. Whether an earlier test of this class already loaded them depends on JUnit's method
     * order, so each capture test warms up its own work.
     */
    private static void warmUp(Runnable work) {
        try (Scope s = Scope.open()) {
            work.run();
            gpu.synchronize();
        }
    }

    @Test
    void aCapturedGraphReplaysOnNewInputsWithoutAllocating() {
        Tensor x = Scope.unscoped(() -> randn(1, DType.F32, 64, 96).to(cuda));
        Tensor w = Scope.unscoped(() -> randn(2, DType.F32, 96, 80).to(cuda));
        warmUp(() -> x.matmul(w).relu().add(1f).mul(x.narrow(1, 0, 80)));
        Tensor[] out = new Tensor[1];
        GraphCapture.Graph graph = gpu.capture(() -> {
            try (Scope s = Scope.open()) {
                out[0] = Scope.escape(s.keep(x.matmul(w).relu().add(1f).mul(x.narrow(1, 0, 80))));
            }
        });
        try {
            long allocations = gpu.memoryStats().allocations();
            for (int round = 0; round < 3; round++) {
                Tensor xc = randn(10 + round, DType.F32, 64, 96);
                x.copyFrom(xc.to(cuda));
                graph.replay();
                Tensor want = xc.matmul(w.to(Device.CPU)).relu().add(1f).mul(xc.narrow(1, 0, 80));
                assertCloseRelative("replay " + round, out[0], want, 1e-5);
            }
            assertEquals(allocations, gpu.memoryStats().allocations(), "replays allocate nothing");
        } finally {
            graph.close();
            out[0].close();
            x.close();
            w.close();
        }
    }

    @Test
    void aCaptureRefusesHostTransfersAndLeavesTheStreamUsable() {
        Tensor x = randn(1, DType.F32, 8, 8).to(cuda);
        warmUp(() -> x.add(1f));   // so that the refusal below, not a module load, is what ends the capture
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> gpu.capture(() -> x.add(1f).toFloatArray()));
        assertTrue(e.getMessage().contains("graph capture"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> gpu.capture(() -> Tensor.ones(4).to(cuda)));
        assertEquals(2f * x.toFloatArray()[3], x.mul(2f).toFloatArray()[3], "eager work runs again");
    }

    @Test
    void decodeAttentionReplaysAsTheLengthsGrow() {
        int b = 4, hq = 14, hkv = 2, c = 64, d = 64;
        Tensor q = Scope.unscoped(() -> randn(1, DType.BF16, b, hq, 1, d).to(cuda));
        Tensor k = Scope.unscoped(() -> randn(2, DType.BF16, b, hkv, c, d).to(cuda));
        Tensor v = Scope.unscoped(() -> randn(3, DType.BF16, b, hkv, c, d).to(cuda));
        Tensor lengths = Scope.unscoped(() -> Tensor.ofInts(new int[] {1, 5, 9, 13}, b).to(cuda));
        Tensor one = Scope.unscoped(() -> Tensor.ofInts(new int[] {1, 1, 1, 1}, b).to(cuda));
        warmUp(() -> {
            Functional.decodeAttention(q, k, v, lengths, null, Float.NaN);
            lengths.copy().addInPlace(one);   // on a copy: the captured step must start from the lengths above
        });
        Tensor[] out = new Tensor[1];
        GraphCapture.Graph graph = gpu.capture(() -> {
            try (Scope s = Scope.open()) {
                out[0] = Scope.escape(s.keep(Functional.decodeAttention(q, k, v, lengths, null, Float.NaN)));
                lengths.addInPlace(one);   // the step advances the lengths itself
            }
        });
        try {
            for (int step = 0; step < 5; step++) {
                int[] len = lengths.toIntArray();
                // Capture records the step without running it, so replay number `step` starts from the lengths it was
                // captured with plus one per earlier replay.
                assertArrayEquals(new int[] {1 + step, 5 + step, 9 + step, 13 + step}, len, "lengths before replay " + step);
                graph.replay();
                Tensor want = Functional.decodeAttention(q.to(DType.F32).to(Device.CPU), k.to(DType.F32).to(Device.CPU),
                        v.to(DType.F32).to(Device.CPU), Tensor.ofInts(len, b), null, Float.NaN);
                Tensor magnitude = Functional.decodeAttention(q.to(DType.F32).to(Device.CPU), k.to(DType.F32).to(Device.CPU),
                        v.to(DType.F32).to(Device.CPU).abs(), Tensor.ofInts(len, b), null, Float.NaN);
                assertCloseRelative("decode replay " + step, out[0], want, bound(DType.BF16), magnitude, attentionGamma(DType.BF16));
                int[] advanced = lengths.toIntArray();
                for (int i = 0; i < b; i++) assertEquals(len[i] + 1, advanced[i], "replay " + step + " advanced row " + i + "'s length by one");
            }
            assertArrayEquals(new int[] {6, 10, 14, 18}, lengths.toIntArray());
        } finally {
            graph.close();
            for (Tensor t : new Tensor[] {q, k, v, lengths, one, out[0]}) t.close();
        }
    }
}

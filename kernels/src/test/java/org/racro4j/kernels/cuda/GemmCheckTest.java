package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.racro4j.core.DType;
import org.racro4j.core.HalfFloats;

/** The first-use GEMM check's shape and verdict, on host products that imitate the kernels' arithmetic. */
class GemmCheckTest {
    private static final GemmPlan.Device HOPPER = new GemmPlan.Device(9, 0, 132, true, true);
    private static final long ADDRESS = 1 << 20;

    /** A product with A K-major or M-major and B K-major or N-major. */
    private static GemmPlan.Problem problem(DType dt, boolean aK, boolean bK) {
        int m = 304, n = 288, k = 520;
        return new GemmPlan.Problem(dt, m, n, k, 1, aK ? k : 1, aK ? 1 : m, 0, bK ? 1 : n, bK ? k : 1, 0, ADDRESS, ADDRESS, ADDRESS, false);
    }

    /** Every tensor-core kernel GemmPlan can choose: each wgmma configuration and mma dtype, in every layout. */
    private static List<GemmPlan.Choice> everyKernel() {
        List<GemmPlan.Choice> out = new ArrayList<>();
        for (boolean aK : new boolean[] {true, false}) {
            for (boolean bK : new boolean[] {true, false}) {
                for (GemmPlan.WgmmaConfig cfg : GemmPlan.WgmmaConfig.values()) out.add(GemmPlan.wgmma(problem(DType.BF16, aK, bK), HOPPER, cfg));
                for (DType dt : new DType[] {DType.BF16, DType.F16, DType.F32}) {
                    out.add(GemmPlan.plan(GemmPlan.Rung.MMA, problem(dt, aK, bK), HOPPER, true));
                }
            }
        }
        return out;
    }

    private static int define(String source, String name) {
        Matcher mt = Pattern.compile("#define " + name + " (\\d+)").matcher(source);
        assertTrue(mt.find(), name);
        return Integer.parseInt(mt.group(1));
    }

    @Test
    void theStageCountsAreTheKernelSources() {
        String wgmma = KernelSources.resource("gemm_wgmma.cu");
        List<String> configs = new ArrayList<>();
        Matcher mt = Pattern.compile("DEFINE_GEMM_WGMMA_LAYOUTS\\(bf16, bf16_t, (\\d+), (\\d+), (\\d+)\\)").matcher(wgmma);
        while (mt.find()) configs.add(mt.group(1) + "x" + mt.group(2) + "/" + mt.group(3));
        List<String> ours = new ArrayList<>();
        for (GemmPlan.WgmmaConfig c : GemmPlan.WgmmaConfig.values()) ours.add(c.bm + "x" + c.bn + "/" + c.stages);
        assertEquals(configs, ours);
        assertEquals(define(wgmma, "WG_BK"), GemmPlan.WGMMA_BK);
        assertEquals(define(KernelSources.resource("gemm_mma.cu"), "MMA_STAGES"), GemmPlan.MMA_STAGES);
    }

    @Test
    void theCheckProductWrapsEveryKernelsStageRingWithARaggedRemainder() {
        List<GemmPlan.Choice> kernels = everyKernel();
        assertEquals(4 * 6, kernels.size());
        for (GemmPlan.Choice c : kernels) {
            assertNotNull(c);
            // Independent of GemmCheck: the ring from the config or MMA_STAGES, the K tile from the kernels' rule.
            int stages = c.rung() == GemmPlan.Rung.WGMMA ? c.config().stages : GemmPlan.MMA_STAGES;
            int bk = c.rung() == GemmPlan.Rung.WGMMA ? 64 : 64 / GemmCheck.dtype(c).byteSize();
            int bm = c.rung() == GemmPlan.Rung.WGMMA ? c.config().bm : 128, bn = c.rung() == GemmPlan.Rung.WGMMA ? c.config().bn : 128;
            GemmCheck.Shape s = GemmCheck.shape(c);
            assertTrue(s.k() >= (stages + 2) * bk, c.kernel() + ": K " + s.k() + " must pass through " + stages + " stages of " + bk + " twice");
            assertTrue(s.k() % bk != 0, c.kernel() + ": a ragged last K tile");
            assertTrue(s.m() > 2 * bm && s.m() % bm != 0 && s.n() > 2 * bn && s.n() % bn != 0, c.kernel() + ": ragged tiles in M and N");
            assertTrue(s.batch() > 1);
        }
        assertEquals(DType.F32, GemmCheck.dtype(GemmPlan.plan(GemmPlan.Rung.MMA, problem(DType.F32, true, true), HOPPER, true)));
        assertEquals((8 + 2) * 64 + 40, GemmCheck.shape(GemmPlan.wgmma(problem(DType.BF16, true, true), HOPPER,
                GemmPlan.WgmmaConfig.TILE_64x128)).k());
    }

    // ------------------------------------------------------------------------------------------ the verdict

    private static final int M = 160, N = 300;
    private static final int K = GemmCheck.shape(GemmPlan.wgmma(problem(DType.BF16, true, true), HOPPER, GemmPlan.WgmmaConfig.TILE_64x128)).k();
    private static final float ALPHA = 0.5f;

    private static float[] normal(int count, long seed, boolean bf16) {
        Random r = new Random(seed);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) r.nextGaussian();
            if (bf16) v[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v[i]));
        }
        return v;
    }

    /**
     * alpha A B in FP32 over the first kUsed of K: sequentially (the tiled kernel) or in 64-wide partial sums added
     * up at the end (a tensor-core kernel's order); inputs optionally cut to TF32 (truncated to 10 mantissa bits);
     * the result rounded to BF16 or left in F32.
     */
    private static float[] product(float[] a, float[] b, int kUsed, boolean blocked, boolean tf32, boolean bf16Out) {
        float[] c = new float[M * N];
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                float acc = 0, part = 0;
                for (int p = 0; p < kUsed; p++) {
                    float x = a[i * K + p], y = b[p * N + j];
                    if (tf32) {
                        x = Float.intBitsToFloat(Float.floatToRawIntBits(x) & 0xffffe000);
                        y = Float.intBitsToFloat(Float.floatToRawIntBits(y) & 0xffffe000);
                    }
                    if (blocked) {
                        part += x * y;
                        if (p % 64 == 63) {
                            acc += part;
                            part = 0;
                        }
                    } else {
                        acc += x * y;
                    }
                }
                float v = ALPHA * (acc + part);
                c[i * N + j] = bf16Out ? HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v)) : v;
            }
        }
        return c;
    }

    private static final float[] A16 = normal(M * K, 1, true), B16 = normal(K * N, 2, true);
    private static final float[] WANT16 = product(A16, B16, K, false, false, true);
    private static final GemmCheck.Bound BOUND16 = GemmCheck.bound(DType.BF16, false, K, ALPHA);

    private static double relativeFrobenius(float[] got, float[] want) {
        double e = 0, w = 0;
        for (int i = 0; i < got.length; i++) {
            e += ((double) got[i] - want[i]) * ((double) got[i] - want[i]);
            w += (double) want[i] * want[i];
        }
        return Math.sqrt(e / w);
    }

    @Test
    void aCorrectBf16ProductInAnotherOrderPasses() {
        float[] got = product(A16, B16, K, true, false, true);
        int differ = 0;
        for (int i = 0; i < got.length; i++) if (got[i] != WANT16[i]) differ++;
        assertTrue(differ > 0, "the orders must differ somewhere for this to test the bound");
        assertNull(GemmCheck.compare(got, WANT16, 1, M, N, BOUND16));
    }

    @Test
    void oneCorruptedElementIsCaughtThoughTheNormHardlyMoves() {
        float[] got = product(A16, B16, K, true, false, true);
        int at = 77 * N + 211;
        got[at] = WANT16[at] + 1.0f;
        String why = GemmCheck.compare(got, WANT16, 1, M, N, BOUND16);
        assertNotNull(why);
        assertTrue(why.startsWith("element [0, 77, 211] is " + got[at] + ", want " + WANT16[at]), why);
        assertTrue(why.contains("1 of " + M * N + " elements over"), why);
        assertTrue(relativeFrobenius(got, WANT16) < BOUND16.frobenius(), "a norm-only check would have passed it");
        got[at] = Float.NaN;
        assertTrue(GemmCheck.compare(got, WANT16, 1, M, N, BOUND16).startsWith("element [0, 77, 211] is NaN"));
    }

    @Test
    void aLostRaggedTailOrAStaleStageIsCaught() {
        // The last partial K tile never loaded.
        int tail = K % 64;
        assertTrue(tail > 0);
        assertNotNull(GemmCheck.compare(product(A16, B16, K - tail, true, false, true), WANT16, 1, M, N, BOUND16));
        // One 64-wide K slice read twice instead of the next one (a stage reused before it was refilled).
        float[] staleB = B16.clone();
        System.arraycopy(B16, 4 * 64 * N, staleB, 8 * 64 * N, 64 * N);
        assertNotNull(GemmCheck.compare(product(A16, staleB, K, true, false, true), WANT16, 1, M, N, BOUND16));
    }

    @Test
    void tf32PassesItsBoundAndASpreadErrorFailsTheNorm() {
        float[] a = normal(M * K, 3, false), b = normal(K * N, 4, false);
        float[] want = product(a, b, K, false, false, false);
        GemmCheck.Bound bound = GemmCheck.bound(DType.F32, true, K, ALPHA);
        float[] got = product(a, b, K, true, true, false);
        assertNull(GemmCheck.compare(got, want, 1, M, N, bound));
        // 1% too large everywhere: each element within the loose TF32 worst case, the norm far outside.
        float[] scaled = want.clone();
        for (int i = 0; i < scaled.length; i++) scaled[i] *= 1.01f;
        String why = GemmCheck.compare(scaled, want, 1, M, N, bound);
        assertNotNull(why);
        assertTrue(why.startsWith("relative Frobenius error"), why);
        // The F32 bound without TF32 is far tighter: the TF32 product fails it.
        assertNotNull(GemmCheck.compare(got, want, 1, M, N, GemmCheck.bound(DType.F32, false, K, ALPHA)));
    }

    @Test
    void theBoundGrowsWithK() {
        GemmCheck.Bound small = GemmCheck.bound(DType.BF16, false, 100, 1), large = GemmCheck.bound(DType.BF16, false, 1000, 1);
        assertTrue(large.atol() > 50 * small.atol(), "the worst case grows as K^2");
        assertEquals(0x1p-7, small.rtol());
        assertTrue(GemmCheck.bound(DType.F16, false, 100, 1).rtol() < small.rtol());
    }
}

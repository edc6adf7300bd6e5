package org.racro4j.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.BackendUnavailableException;
import org.racro4j.core.Backends;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.kernels.cuda.CudaBackend;
import org.racro4j.kernels.cuda.GemmPlan;
import org.racro4j.kernels.cuda.GpuTestRule;

class GemmAndAttentionBenchTest {
    private static BackendProvider.Availability cuda() {
        return Backends.provider("cuda").availability();
    }

    @Test
    void theShapesAreTheIssues() {
        List<GemmBench.Shape> g = GemmBench.defaultShapes(4096);
        assertEquals(new GemmBench.Shape("square_4096", 1, 4096, 4096, 4096), g.get(0));
        assertEquals(2L * 4096 * 4096 * 4096, g.get(0).flops());
        assertTrue(g.stream().anyMatch(s -> s.n() == 151936 && s.k() == 896), "the tied LM head of Qwen2-0.5B");
        assertTrue(g.stream().anyMatch(s -> s.n() == 4864 && s.k() == 896) && g.stream().anyMatch(s -> s.n() == 896 && s.k() == 4864), "the MLP");
        assertTrue(g.stream().anyMatch(s -> s.n() == 128), "k/v projections: 2 KV heads of 64");
        List<AttentionBench.Shape> a = AttentionBench.defaultShapes();
        AttentionBench.Shape first = a.get(0);
        assertEquals(4096, first.seq());
        assertEquals(128, first.headDim());
        assertEquals(4.0 * 4 * 16 * 4096 * 4096 * 128, first.forwardFlops());
        assertEquals(first.forwardFlops() / 2, new AttentionBench.Shape(4, 16, 16, 4096, 128, true).forwardFlops(), "causal: half");
    }

    /** Only meaningful where no GPU is: tagged "no-gpu", which bench/gpu-bringup.sh leaves out (see BandwidthBenchTest). */
    @Test
    @Tag("no-gpu")
    void withoutAGpuTheySayWhy() {
        assumeFalse(cuda().available(), "a GPU is present: see smallRunsOnTheGpu");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> GemmBench.run(List.of(new GemmBench.Shape("s", 1, 64, 64, 64)), DType.BF16, "tn", 1));
        assertTrue(e.getMessage().contains(cuda().description()), e.getMessage());
        assertThrows(BackendUnavailableException.class, () -> AttentionBench.run(AttentionBench.defaultShapes(), DType.BF16, 1, false));
        assertThrows(IllegalArgumentException.class, () -> GemmBench.run(List.of(), DType.BF16, "tt", 1));
    }

    @Test
    void aGemmLineCountsTwoMnkFlopsPerProductOverTheMedianTime() {
        // 2 x 517 x 771 x 328 products: 2 b m n k = 522972384 flops in 0.0025 ms = 209.1889536 TFLOP/s; cuBLAS took
        // 0.002 ms, so the ratio to it is 0.002 / 0.0025 = 0.8.
        GemmBench.Shape shape = new GemmBench.Shape("ragged", 2, 517, 771, 328);
        assertEquals(522_972_384L, shape.flops());
        Map<String, String> line = BenchLines.parse(GemmBench.line(shape, DType.BF16, "tn", "v2 mma", "mma akbk", 0.0025, 0.002, 3.1e-3));
        Map<String, String> want = new LinkedHashMap<>();
        want.put("bench", "gemm");
        want.put("impl", "racro4j");
        want.put("version", "v2 mma");
        want.put("kernel", "mma akbk");
        want.put("dtype", "bf16");
        want.put("layout", "tn");
        want.put("name", "ragged");
        want.put("batch", "2");
        want.put("m", "517");
        want.put("n", "771");
        want.put("k", "328");
        want.put("median_ms", "0.0025");
        want.put("tflops", "209.2");
        want.put("ratio_to_cublas", "0.800");
        want.put("rel_err", "3.10e-03");
        assertEquals(want, line);
        // without a cuBLAS time there is no ratio, not a made-up one
        Map<String, String> noCublas = BenchLines.parse(GemmBench.line(shape, DType.BF16, "nn", "v1 tiled", "tiled", 0.05, null, 0));
        assertTrue(noCublas.containsKey("ratio_to_cublas") && noCublas.get("ratio_to_cublas") == null, noCublas.toString());
        assertEquals("10.5", noCublas.get("tflops"));   // 522972384 / 5e-5 s / 1e12 = 10.459...
        // a skipped rung says so and why, and carries no numbers
        Map<String, String> skipped = BenchLines.parse(GemmBench.skipped(shape, DType.BF16, "tn", "v0 cublas", "cuBLAS did not load (\"x\")"));
        assertEquals("cuBLAS did not load ('x')", skipped.get("skipped"));
        assertFalse(skipped.containsKey("tflops") || skipped.containsKey("median_ms"), skipped.toString());
    }

    @Test
    void anAttentionLineCountsFlashAttentionsFlops() {
        // forward: 4 B H T S D, half when causal: 4 x 2 x 6 x 509 x 509 x 64 / 2 = 397948416; backward 2.5 times that
        AttentionBench.Shape causal = new AttentionBench.Shape(2, 6, 2, 509, 64, true);
        assertEquals(397_948_416.0, causal.forwardFlops());
        assertEquals(2 * 397_948_416.0, new AttentionBench.Shape(2, 6, 2, 509, 64, false).forwardFlops());
        // 994871040 flops in 0.0125 ms = 79.5896832 TFLOP/s
        Map<String, String> line = BenchLines.parse(AttentionBench.line(causal, DType.BF16, "bwd", 0.0125, 2.5 * causal.forwardFlops()));
        assertEquals(Map.ofEntries(Map.entry("bench", "attention"), Map.entry("impl", "racro4j"), Map.entry("pass", "bwd"),
                Map.entry("dtype", "bf16"), Map.entry("batch", "2"), Map.entry("heads", "6"), Map.entry("kv_heads", "2"),
                Map.entry("seq", "509"), Map.entry("head_dim", "64"), Map.entry("causal", "true"), Map.entry("median_ms", "0.0125"),
                Map.entry("tflops", "79.6")), line);
    }

    @Test
    @Tag("gpu")
    void smallRunsOnTheGpu() {
        assumeTrue(GpuTestRule.canRun(cuda()), "no CUDA GPU: " + cuda().description());
        CudaBackend gpu = (CudaBackend) Device.of("cuda:0").backend();
        // ragged M and N, K a multiple of 8 (16-byte rows, so the tensor-core rungs can take it), and a batch over a
        // shared weight
        List<GemmBench.Shape> shapes = List.of(new GemmBench.Shape("ragged", 1, 517, 771, 328), new GemmBench.Shape("batched", 3, 129, 200, 136));
        List<String> gemm = GemmBench.run(shapes, DType.BF16, "tn", 3);
        gemm.forEach(System.out::println);
        assertGemmLines(shapes, gpu.gemmDevice(), gpu.describe(), gemm);

        List<AttentionBench.Shape> attention = List.of(new AttentionBench.Shape(2, 6, 2, 509, 64, true),
                new AttentionBench.Shape(1, 4, 4, 300, 128, false));
        for (AttentionBench.Shape s : attention) {
            // FastKernelsGpuTest requires these on every device: a skipped line here would hide a missing kernel
            assertTrue(gpu.supportsAttention(DType.BF16, s.headDim()), "fused BF16 attention, head dim " + s.headDim());
        }
        List<String> att = AttentionBench.run(attention, DType.BF16, 3, true);
        att.forEach(System.out::println);
        assertAttentionLines(attention, att);
    }

    /**
     * GemmBench's four lines per shape (layout tn, BF16), rung by rung. A rung may be skipped only where the device
     * lacks it (cuBLAS not loaded; mma.sync below sm_80; wgmma off Hopper or without TMA maps), and then the line says
     * why. A measured line echoes the shape, names the kernel of its rung (tn: both operands K-major), prints TFLOP/s =
     * 2 b m n k / median time and a ratio to cuBLAS = cuBLAS's time / its own, each within its printed rounding.
     */
    static void assertGemmLines(List<GemmBench.Shape> shapes, GemmPlan.Device d, String deviceName, List<String> lines) {
        GemmPlan.Rung[] rungs = {GemmPlan.Rung.CUBLAS, GemmPlan.Rung.TILED, GemmPlan.Rung.MMA, GemmPlan.Rung.WGMMA};
        boolean hopper = d.major() == 9 && d.minor() == 0;
        boolean[] deviceHasRung = {d.cublas(), true, d.major() >= 8, hopper && d.tensorMaps()};
        String[] kernel = {"cublas", "tiled", "mma akbk", "wgmma (128x256|128x128|64x128) akbk"};
        assertEquals(4 * shapes.size(), lines.size(), lines.toString());
        int at = 0;
        for (GemmBench.Shape s : shapes) {
            Double cublasMs = null;
            boolean first = true;
            for (int r = 0; r < 4; r++) {
                Map<String, String> line = BenchLines.parse(lines.get(at++));
                String version = "v" + r + " " + rungs[r].name().toLowerCase(Locale.ROOT);
                String what = s.name() + " " + version + " on " + deviceName;
                assertEquals("gemm", line.get("bench"), what);
                assertEquals(version, line.get("version"), what);
                assertEquals(s.name(), line.get("name"), what);
                assertEquals(List.of(s.m(), s.n(), s.k()), List.of((int) BenchLines.num(line, "m"), (int) BenchLines.num(line, "n"),
                        (int) BenchLines.num(line, "k")), what + ": m, n, k");
                assertEquals("bf16", line.get("dtype"), what);
                assertEquals("tn", line.get("layout"), what);
                if (!deviceHasRung[r]) {
                    assertTrue(line.containsKey("skipped"), what + ": the device lacks this rung, yet it ran: " + line);
                    String why = r == 0 ? "cuBLAS did not load" : "this rung cannot run BF16 tn on ";
                    assertTrue(line.get("skipped").startsWith(why), what + ": reason " + line.get("skipped"));
                    continue;
                }
                BenchLines.assertMeasured(what, line);
                assertEquals(s.batch(), (int) BenchLines.num(line, "batch"), what);
                assertTrue(line.get("kernel").matches(kernel[r]), what + ": kernel " + line.get("kernel"));
                double flops = 2.0 * s.batch() * s.m() * s.n() * s.k();
                BenchLines.assertRate(what, flops, 1e12, line, "tflops", 1, 4);
                double ms = BenchLines.num(line, "median_ms");
                if (r == 0) cublasMs = ms;
                if (cublasMs == null) {
                    assertTrue(line.containsKey("ratio_to_cublas") && line.get("ratio_to_cublas") == null,
                            what + ": a ratio without cuBLAS: " + line);
                } else if (r == 0) {
                    assertEquals("1.000", line.get("ratio_to_cublas"), what);
                } else {
                    BenchLines.assertRatio(what + ": cuBLAS time / this time", BenchLines.num(line, "ratio_to_cublas"), 3, cublasMs, 4, ms, 4);
                }
                // the first rung that ran is the reference of the others
                double relErr = BenchLines.num(line, "rel_err");
                if (first) assertEquals(0.0, relErr, what + ": the reference against itself");
                else assertTrue(relErr < 2e-2, what + ": every rung computes the same product, rel_err " + relErr);
                first = false;
            }
        }
    }

    /**
     * AttentionBench's fwd and bwd lines per shape: the shape echoed, TFLOP/s = FlashAttention's count (forward 4 B H
     * T S D, half when causal; backward 2.5 times it) over the median time, within the printed rounding.
     */
    static void assertAttentionLines(List<AttentionBench.Shape> shapes, List<String> lines) {
        assertEquals(2 * shapes.size(), lines.size(), lines.toString());
        int at = 0;
        for (AttentionBench.Shape s : shapes) {
            double forward = 4.0 * s.batch() * s.heads() * s.seq() * s.seq() * s.headDim() / (s.causal() ? 2 : 1);
            for (String pass : new String[] {"fwd", "bwd"}) {
                Map<String, String> line = BenchLines.parse(lines.get(at++));
                String what = pass + " " + s;
                BenchLines.assertMeasured(what, line);
                assertEquals(pass, line.get("pass"), what);
                assertEquals("bf16", line.get("dtype"), what);
                assertEquals(List.of(s.batch(), s.heads(), s.kvHeads(), s.seq(), s.headDim()),
                        List.of((int) BenchLines.num(line, "batch"), (int) BenchLines.num(line, "heads"), (int) BenchLines.num(line, "kv_heads"),
                                (int) BenchLines.num(line, "seq"), (int) BenchLines.num(line, "head_dim")), what + ": shape");
                assertEquals(String.valueOf(s.causal()), line.get("causal"), what);
                BenchLines.assertRate(what, pass.equals("fwd") ? forward : 2.5 * forward, 1e12, line, "tflops", 1, 4);
            }
        }
    }
}

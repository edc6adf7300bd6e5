package org.racro4j.kernels.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.racro4j.core.Backend;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.kernels.cuda.CudaBackend;
import org.racro4j.kernels.cuda.GemmEpilogue;
import org.racro4j.kernels.cuda.GemmPlan;

/**
 * The GEMM ladder, llm.c style: every rung on the same products in one run, cuBLAS as version 0, TFLOP/s and the
 * ratio to cuBLAS printed. Products are Linear layers, out [M, N] = x [M, K] w^T with w [N, K] ("tn": both operands
 * K-major, cuBLAS's favourite layout too), or row-major w [K, N] ("nn"), BF16 unless asked otherwise.
 *
 * <p>Timing: CUDA events around a batch of calls (enough for about a millisecond, so launch gaps do not count),
 * after warm-up, {@code iters} batches, the median per call. Inputs rotate through enough sets to exceed the 60 MB
 * L2 several times over; they are random normal values (never zeros: a product of zeros runs faster). Each rung's
 * result is compared with version 0's (or the tiled kernel's when cuBLAS is absent) as ||x - ref|| / ||ref||.
 *
 * <p>One JSON line per shape and rung: bench, impl, version, kernel, dtype, layout, name, m, n, k, median_ms,
 * tflops, ratio_to_cublas, rel_err (or skipped with the reason).
 */
public final class GemmBench {
    private static final int WARMUP = 3;
    private static final long L2_BYTES = 60L << 20;

    /** A product: batch x (M x K) (K x N). */
    public record Shape(String name, int batch, int m, int n, int k) {
        long flops() {
            return 2L * batch * m * n * k;
        }
    }

    private GemmBench() {}

    /** 4096^3, then the Linear layers of Qwen2-0.5B (hidden 896, MLP 4864, 14 heads, 2 KV heads of 64, vocab 151936) over {@code tokens} rows. */
    public static List<Shape> defaultShapes(int tokens) {
        return List.of(new Shape("square_4096", 1, 4096, 4096, 4096),
                new Shape("qwen2_0.5b_q_o_proj", 1, tokens, 896, 896),
                new Shape("qwen2_0.5b_k_v_proj", 1, tokens, 128, 896),
                new Shape("qwen2_0.5b_gate_up_proj", 1, tokens, 4864, 896),
                new Shape("qwen2_0.5b_down_proj", 1, tokens, 896, 4864),
                new Shape("qwen2_0.5b_lm_head", 1, tokens, 151936, 896));
    }

    /** Runs every rung on every shape on cuda:0; throws BackendUnavailableException without a GPU. */
    public static List<String> run(List<Shape> shapes, DType dtype, String layout, int iters) {
        if (!layout.equals("tn") && !layout.equals("nn")) throw new IllegalArgumentException("layout must be tn or nn, got " + layout);
        if (iters < 1) throw new IllegalArgumentException("iters must be positive, got " + iters);
        Device cuda = Device.of("cuda:0");
        Backend backend = cuda.backend();
        if (!(backend instanceof CudaBackend gpu)) throw new IllegalStateException("cuda:0 is not the CUDA backend: " + backend);
        List<String> lines = new ArrayList<>();
        for (Shape s : shapes) {
            try (Scope scope = Scope.open()) {
                lines.addAll(runShape(gpu, cuda, s, dtype, layout, iters));
            }
        }
        return lines;
    }

    private static List<String> runShape(CudaBackend gpu, Device cuda, Shape s, DType dt, String layout, int iters) {
        long setBytes = ((long) s.batch() * s.m() * s.k() + (long) s.k() * s.n()) * dt.byteSize();
        int rotations = (int) Math.max(2, Math.min(8, Math.ceil(4.0 * L2_BYTES / setBytes)));
        Tensor[] a = new Tensor[rotations];
        Tensor[] b = new Tensor[rotations];
        for (int i = 0; i < rotations; i++) {
            a[i] = random(cuda, dt, 2 * i, s.batch(), s.m(), s.k());
            // tn: w [N, K] viewed as [K, N] (K-major); nn: a row-major [K, N]
            b[i] = layout.equals("tn") ? random(cuda, dt, 2 * i + 1, 1, s.n(), s.k()).transpose(1, 2) : random(cuda, dt, 2 * i + 1, 1, s.k(), s.n());
            if (s.batch() > 1) b[i] = b[i].expand(s.batch(), s.k(), s.n());
        }
        Tensor out = Tensor.empty(dt, cuda, s.batch(), s.m(), s.n());
        Tensor ref = Tensor.empty(dt, cuda, s.batch(), s.m(), s.n());
        GemmEpilogue plain = GemmEpilogue.plain(1f, 0f);
        List<String> lines = new ArrayList<>();
        Double cublasMs = null;
        boolean haveRef = false;
        for (GemmPlan.Rung rung : new GemmPlan.Rung[] {GemmPlan.Rung.CUBLAS, GemmPlan.Rung.TILED, GemmPlan.Rung.MMA, GemmPlan.Rung.WGMMA}) {
            String version = "v" + rung.ordinal() + " " + rung.name().toLowerCase(Locale.ROOT);
            GemmPlan.Choice c = gpu.matmulOn(rung, a[0], b[0], out, plain);
            if (c == null) {
                lines.add(skipped(s, dt, layout, version, rung == GemmPlan.Rung.CUBLAS ? "cuBLAS did not load (" + gpu.describe() + ")"
                        : "this rung cannot run " + dt + " " + layout + " on " + gpu.gemmDevice()));
                continue;
            }
            double relErr = Double.NaN;
            if (!haveRef) {
                ref.copyFrom(out);
                haveRef = true;
                relErr = 0;
            } else {
                relErr = relativeError(out, ref);
            }
            int[] next = {0};
            Runnable call = () -> {
                int i = next[0]++ % rotations;
                gpu.matmulOn(rung, a[i], b[i], out, plain);
            };
            double ms = medianMsPerCall(gpu, call, iters);
            if (rung == GemmPlan.Rung.CUBLAS) cublasMs = ms;
            lines.add(line(s, dt, layout, version, c.describe(), ms, cublasMs, relErr));
        }
        return lines;
    }

    /**
     * One result line: TFLOP/s from the shape's flops and the median time, the ratio to cuBLAS's time (null without
     * it). Package-private so that its arithmetic is tested without a GPU.
     */
    static String line(Shape s, DType dt, String layout, String version, String kernel, double ms, Double cublasMs, double relErr) {
        double tflops = s.flops() / (ms * 1e-3) / 1e12;
        return String.format(Locale.ROOT,
                "{\"bench\":\"gemm\",\"impl\":\"racro4j\",\"version\":\"%s\",\"kernel\":\"%s\",\"dtype\":\"%s\",\"layout\":\"%s\","
                        + "\"name\":\"%s\",\"batch\":%d,\"m\":%d,\"n\":%d,\"k\":%d,\"median_ms\":%.4f,\"tflops\":%.1f,\"ratio_to_cublas\":%s,"
                        + "\"rel_err\":%.2e}",
                version, kernel, dt.name().toLowerCase(Locale.ROOT), layout, s.name(), s.batch(), s.m(), s.n(), s.k(), ms, tflops,
                cublasMs == null ? "null" : String.format(Locale.ROOT, "%.3f", cublasMs / ms), relErr);
    }

    /**
     * Median milliseconds per call: batches of calls between two CUDA events, each batch long enough (about 1 ms)
     * that launch gaps vanish, {@code iters} batches after warm-up.
     */
    static double medianMsPerCall(CudaBackend gpu, Runnable call, int iters) {
        for (int w = 0; w < WARMUP; w++) call.run();
        gpu.synchronize();
        double once = CudaTimer.timeMillis(gpu, call);
        int reps = (int) Math.max(1, Math.min(1000, Math.ceil(1.0 / Math.max(once, 1e-4))));
        double[] ms = new double[iters];
        for (int it = 0; it < iters; it++) {
            ms[it] = CudaTimer.timeMillis(gpu, () -> {
                for (int r = 0; r < reps; r++) call.run();
            }) / reps;
        }
        Arrays.sort(ms);
        return iters % 2 == 1 ? ms[iters / 2] : (ms[iters / 2 - 1] + ms[iters / 2]) / 2;
    }

    /** ||x - ref|| / ||ref|| computed on the device (the outputs can be gigabytes). */
    static double relativeError(Tensor x, Tensor ref) {
        try (Scope s = Scope.open()) {
            Tensor r = ref.to(DType.F32);
            double num = x.to(DType.F32).sub(r).square().sum().item();
            double den = r.square().sum().item();
            return Math.sqrt(num / Math.max(den, 1e-30));
        }
    }

    static Tensor random(Device cuda, DType dt, long seed, int... shape) {
        Tensor t = Tensor.empty(dt, cuda, shape);
        t.backend().random(t, 0x6e44 + seed, 0, true, 0f, 1f);
        return t;
    }

    static String skipped(Shape s, DType dt, String layout, String version, String why) {
        return String.format(Locale.ROOT, "{\"bench\":\"gemm\",\"impl\":\"racro4j\",\"version\":\"%s\",\"dtype\":\"%s\",\"layout\":\"%s\","
                + "\"name\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"skipped\":\"%s\"}", version, dt.name().toLowerCase(Locale.ROOT), layout, s.name(),
                s.m(), s.n(), s.k(), why.replace("\"", "'"));
    }

    /**
     * {@code GemmBench [--tokens 4096] [--dtype bf16|f16|f32] [--layout tn|nn] [--iters 20] [--shape MxNxK ...]}: prints the
     * JSON lines (default shapes: {@link #defaultShapes}).
     */
    public static void main(String[] args) {
        int tokens = 4096, iters = 20;
        DType dt = DType.BF16;
        String layout = "tn";
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--dtype" -> dt = DType.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--layout" -> layout = args[++i];
                case "--shape" -> {
                    String[] p = args[++i].toLowerCase(Locale.ROOT).split("x");
                    shapes.add(new Shape("custom_" + args[i], 1, Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (shapes.isEmpty()) shapes = defaultShapes(tokens);
        for (String line : run(shapes, dt, layout, iters)) System.out.println(line);
    }
}

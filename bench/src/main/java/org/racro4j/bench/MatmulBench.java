package org.racro4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.CpuBackend;
import org.racro4j.core.cpu.Parallel;
import org.racro4j.core.random.Generator;

/**
 * Throughput of the CPU matmul kernel, C = A B in F32, measured the same way as bench/python/matmul_numpy.py:
 * warm-up calls (at least one second's worth, for the JIT), then {@code iters} timed samples, each the mean of
 * enough back-to-back calls to last about 2 ms; the result is the MEDIAN sample in GFLOP/s (2 M N K flops per
 * matrix).
 *
 * <p>Inputs rotate over several pre-made (A, B) pairs, together at least ~64 MB where sizes allow (twice the L3
 * here), so a sample does not find its operands already in cache from the previous call. The output is
 * preallocated and the backend kernel is called directly (numpy uses {@code np.matmul(a, b, out=c)}), so the
 * number is the kernel's, not the allocator's.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp core/target/classes:bench/target/classes \
 *      org.racro4j.bench.MatmulBench --size 1024
 * ... --shape 64,48,48,48        batched [B, M, K] x [B, K, N]
 * ... --shape 1,2048,256,1024,t  B given as a transposed view (a linear layer's x W^T)
 * </pre>
 */
public final class MatmulBench {
    private static final long POOL_BYTES = 64L << 20;
    private static final int MAX_PAIRS = 8;
    private static final long SAMPLE_NANOS = 2_000_000L;
    private static final long WARMUP_NANOS = 1_000_000_000L;

    private MatmulBench() {}

    /** One measurement; {@link #toJson} is the line the CLI prints. */
    public record Result(String op, int n, double gflops, int threads) {
        public String toJson() {
            return String.format(Locale.ROOT, "{\"op\":\"%s\",\"n\":%d,\"gflops\":%.1f,\"threads\":%d}",
                    op, n, gflops, threads);
        }
    }

    /** Median GFLOP/s of an n x n x n F32 matmul on the CPU backend's thread pool. */
    public static Result run(int n, int warmupIters, int iters) {
        double g = gflops(1, n, n, n, false, warmupIters, iters);
        return new Result("matmul", n, g, Parallel.threads());
    }

    /**
     * Median GFLOP/s of C [batch, m, n] = A [batch, m, k] B [batch, k, n]; with {@code transB} B is the transposed
     * view of a contiguous [batch, n, k] tensor (how a linear layer multiplies by its weight).
     */
    public static double gflops(int batch, int m, int k, int n, boolean transB, int warmupIters, int iters) {
        if (iters < 1) throw new IllegalArgumentException("iters must be >= 1, got " + iters);
        long pairBytes = 4L * batch * ((long) m * k + (long) k * n);
        int pairs = (int) Math.max(2, Math.min(MAX_PAIRS, (POOL_BYTES + pairBytes - 1) / pairBytes));
        Generator gen = new Generator(1234);
        List<Tensor> as = new ArrayList<>();
        List<Tensor> bs = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
            as.add(Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, batch, m, k));
            bs.add(transB ? Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, batch, n, k).transpose(1, 2)
                          : Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, batch, k, n));
        }
        Tensor c = Tensor.empty(DType.F32, Device.CPU, batch, m, n);
        CpuBackend cpu = CpuBackend.INSTANCE;
        int next = 0;

        // Warm-up: at least warmupIters calls and at least WARMUP_NANOS, so that small shapes (microseconds per
        // call) still reach C2-compiled code before timing; the pool threads and page faults settle too.
        long t0 = System.nanoTime();
        int warm = 0;
        while (warm < Math.max(1, warmupIters) || System.nanoTime() - t0 < WARMUP_NANOS) {
            cpu.matmul(as.get(next % pairs), bs.get(next % pairs), c, 1f, 0f);
            next++;
            warm++;
        }
        // Calls per timed sample, from the speed of the last (warm) calls.
        long t1 = System.nanoTime();
        int probe = Math.min(warm, 3);
        for (int i = 0; i < probe; i++, next++) cpu.matmul(as.get(next % pairs), bs.get(next % pairs), c, 1f, 0f);
        long perCall = Math.max(1, (System.nanoTime() - t1) / probe);
        int reps = (int) Math.max(1, Math.min(100_000, SAMPLE_NANOS / perCall));

        double flops = 2.0 * batch * m * n * k;
        double[] samples = new double[iters];
        for (int s = 0; s < iters; s++) {
            long start = System.nanoTime();
            for (int r = 0; r < reps; r++, next++) cpu.matmul(as.get(next % pairs), bs.get(next % pairs), c, 1f, 0f);
            long elapsed = System.nanoTime() - start;
            samples[s] = flops * reps / elapsed; // flop per ns = GFLOP/s
        }
        as.forEach(Tensor::close);
        bs.forEach(Tensor::close);
        c.close();
        return median(samples);
    }

    static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        int h = s.length / 2;
        return s.length % 2 == 1 ? s[h] : 0.5 * (s[h - 1] + s[h]);
    }

    public static void main(String[] args) {
        int size = 1024;
        int warmup = 5;
        int iters = 15;
        int[] shape = null;
        boolean transB = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--shape" -> {
                    String[] f = args[++i].split(",");
                    shape = new int[4];
                    for (int d = 0; d < 4; d++) shape[d] = Integer.parseInt(f[d]);
                    transB = f.length > 4 && f[4].equals("t");
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --size N, --shape B,M,K,N[,t], --warmup W, --iters I)");
            }
        }
        if (shape == null) {
            System.out.println(run(size, warmup, iters).toJson());
        } else {
            double g = gflops(shape[0], shape[1], shape[2], shape[3], transB, warmup, iters);
            System.out.println(String.format(Locale.ROOT,
                    "{\"op\":\"matmul\",\"shape\":[%d,%d,%d,%d],\"transB\":%b,\"gflops\":%.1f,\"threads\":%d}",
                    shape[0], shape[1], shape[2], shape[3], transB, g, Parallel.threads()));
        }
    }
}

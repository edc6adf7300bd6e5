package org.racro4j.kernels.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.racro4j.core.Backend;
import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.UnaryOp;
import org.racro4j.kernels.cuda.CudaBackend;

/**
 * Memory bandwidth of the memory-bound kernels against the device-to-device copy measured in the same run (the
 * "version 0" of llm.c's benchmarks): the bar is 80% of the copy's GB/s at a few hundred MB.
 *
 * <p>Each op is timed with CUDA events around one call, after warm-up calls, {@code iters} times; the median
 * counts. Every op rotates through several independent input sets, so no call finds its inputs in L2 from the
 * call before. GB/s counts the bytes the op must move at least (each input read once, each output written
 * once), the same way for the copy (read + write).
 *
 * <p>{@link #run} returns one JSON object per line: op, dtype, shape, bytes_moved, median_ms, gbps,
 * ratio_to_copy and, for the kernels the 80% bar applies to, meets_80pct.
 */
public final class BandwidthBench {
    private static final int WARMUP = 3;
    /** Input sets cycled through; with hundreds of MB each, far more than the L2 cache. */
    private static final int ROTATIONS = 2;
    private static final int ROW = 4096;

    private BandwidthBench() {}

    /** Runs the bench on cuda:0 with inputs of about {@code bytes} bytes each; throws BackendUnavailableException without a GPU. */
    public static List<String> run(long bytes, int iters) {
        if (bytes < 1 << 20) throw new IllegalArgumentException("bench: use at least 1 MiB per input, got " + bytes + " bytes");
        if (iters < 1) throw new IllegalArgumentException("bench: iters must be positive, got " + iters);
        Device cuda = Device.of("cuda:0");
        Backend backend = cuda.backend();
        if (!(backend instanceof CudaBackend gpu)) throw new IllegalStateException("cuda:0 is not the CUDA backend: " + backend);
        List<String> lines = new ArrayList<>();

        // version 0: the driver's device-to-device copy
        long n32 = bytes / 4;
        Result copy = timeRotated(gpu, iters, 2 * n32 * 4, ROTATIONS, i -> {
            Tensor[] io = sets(cuda, DType.F32, new int[] {(int) n32}, 2, i);
            return () -> CudaTimer.copyBytes(gpu, io[1].storage(), io[0].storage(), n32 * 4);
        });
        lines.add(json("copy_d2d", "f32", "[" + n32 + "]", copy, copy.gbps(), null));

        int rows32 = (int) Math.max(1, n32 / ROW);
        int rows16 = (int) Math.max(1, bytes / 2 / ROW);
        long n16 = bytes / 2;

        Result add = timeRotated(gpu, iters, 3 * n32 * 4, ROTATIONS, i -> {
            Tensor[] t = sets(cuda, DType.F32, new int[] {(int) n32}, 3, i);
            return () -> gpu.binary(BinaryOp.ADD, t[0], t[1], t[2]);
        });
        lines.add(json("elementwise_add", "f32", "[" + n32 + "]", add, copy.gbps(), true));

        Result silu = timeRotated(gpu, iters, 2 * n16 * 2, ROTATIONS, i -> {
            Tensor[] t = sets(cuda, DType.BF16, new int[] {(int) n16}, 2, i);
            return () -> gpu.unary(UnaryOp.SILU, t[0], t[1], 0f, 0f);
        });
        lines.add(json("elementwise_silu", "bf16", "[" + n16 + "]", silu, copy.gbps(), true));

        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            int rows = dt == DType.F32 ? rows32 : rows16;
            long moved = 2L * rows * ROW * dt.byteSize();
            Result softmax = timeRotated(gpu, iters, moved, ROTATIONS, i -> {
                Tensor[] t = sets(cuda, dt, new int[] {rows, ROW}, 2, i);
                return () -> gpu.softmax(t[0], t[1], false);
            });
            lines.add(json("softmax", name(dt), "[" + rows + ", " + ROW + "]", softmax, copy.gbps(), true));

            Result rms = timeRotated(gpu, iters, moved + (long) ROW * dt.byteSize() + rows * 4L, ROTATIONS, i -> {
                Tensor[] t = sets(cuda, dt, new int[] {rows, ROW}, 2, i);
                Tensor w = random(cuda, dt, new int[] {ROW}, 1000 + i);
                Tensor rstd = Tensor.empty(DType.F32, cuda, rows);
                return () -> gpu.rmsNorm(t[0], w, 1e-6f, t[1], rstd);
            });
            lines.add(json("rmsnorm", name(dt), "[" + rows + ", " + ROW + "]", rms, copy.gbps(), true));
        }

        // AdamW on F32 master weights: read p, g, m, v; write p, m, v.
        long nAdam = bytes / 4;
        Result adamw = timeRotated(gpu, iters, 7 * nAdam * 4, ROTATIONS, i -> {
            Tensor[] t = sets(cuda, DType.F32, new int[] {(int) nAdam}, 4, i);
            Backend.AdamWHyper h = new Backend.AdamWHyper(1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 10);
            gpu.unary(UnaryOp.ABS, t[3], t[3], 0f, 0f);   // v >= 0
            return () -> gpu.adamw(List.of(t[0]), List.of(t[1]), List.of(t[2]), List.of(t[3]), h);
        });
        lines.add(json("adamw", "f32", "[" + nAdam + "]", adamw, copy.gbps(), true));
        return lines;
    }

    /** The timing of one op: median milliseconds and the bytes it moves per call. */
    record Result(double medianMs, long bytesMoved) {
        double gbps() {
            return bytesMoved / (medianMs * 1e-3) / 1e9;
        }
    }

    @FunctionalInterface
    private interface Setup {
        /** Allocates input set i and returns the call to time on it. */
        Runnable prepare(int i);
    }

    private static Result timeRotated(CudaBackend gpu, int iters, long bytesMoved, int rotations, Setup setup) {
        Runnable[] calls = new Runnable[rotations];
        for (int i = 0; i < rotations; i++) calls[i] = setup.prepare(i);
        for (int w = 0; w < WARMUP; w++) calls[w % rotations].run();
        gpu.synchronize();
        double[] ms = new double[iters];
        for (int it = 0; it < iters; it++) {
            Runnable call = calls[it % rotations];
            ms[it] = CudaTimer.timeMillis(gpu, call);
        }
        Arrays.sort(ms);
        double median = iters % 2 == 1 ? ms[iters / 2] : (ms[iters / 2 - 1] + ms[iters / 2]) / 2;
        return new Result(median, bytesMoved);
    }

    /** {@code count} tensors of random (never zero) data, a different seed per set. */
    private static Tensor[] sets(Device cuda, DType dt, int[] shape, int count, int set) {
        Tensor[] t = new Tensor[count];
        for (int k = 0; k < count; k++) t[k] = random(cuda, dt, shape, set * 16 + k);
        return t;
    }

    private static Tensor random(Device cuda, DType dt, int[] shape, long seed) {
        Tensor t = Tensor.empty(dt, cuda, shape);
        t.backend().random(t, 0x5eed + seed, 0, true, 0f, 1f);
        return t;
    }

    private static String name(DType dt) {
        return dt.name().toLowerCase(Locale.ROOT);
    }

    /** One result line; package-private so that its arithmetic (GB/s, ratio, the 80% bar) is tested without a GPU. */
    static String json(String op, String dtype, String shape, Result r, double copyGbps, Boolean bar) {
        double ratio = r.gbps() / copyGbps;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "{\"op\":\"%s\",\"dtype\":\"%s\",\"shape\":\"%s\",\"bytes_moved\":%d,\"median_ms\":%.4f,"
                + "\"gbps\":%.1f,\"ratio_to_copy\":%.3f", op, dtype, shape, r.bytesMoved(), r.medianMs(), r.gbps(), ratio));
        if (bar != null) sb.append(",\"meets_80pct\":").append(ratio >= 0.8);
        return sb.append('}').toString();
    }

    /** {@code BandwidthBench [MiB per input, default 256] [iterations, default 50]}: prints the JSON lines. */
    public static void main(String[] args) {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 256;
        int iters = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        for (String line : run(mib << 20, iters)) System.out.println(line);
    }
}

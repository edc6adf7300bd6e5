package org.racro4j.bench.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.CpuBackend;
import org.racro4j.core.random.Generator;

/**
 * The CPU LayerNorm and RMSNorm kernels over the last dim of [rows, dim] F32, forward and backward (input, weight
 * and bias gradients), on preallocated outputs. 512x128 is one batch of the small train-step shape (batch 8 x seq
 * 64 tokens, dim 128), 1024x256 one of the larger (8 x 128 tokens, dim 256).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class NormJmh {
    private static final float EPS = 1e-6f;

    /** rows x dim. */
    @Param({"512x128", "1024x256"})
    public String shape;

    private Tensor x, w, b, y, gy, gx, gw, gb;
    private Tensor mean, rstd, rmsRstd;

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = Shapes.parse(shape, 2);
        int rows = s[0], dim = s[1];
        Generator gen = new Generator(42);
        x = Tensor.uniform(gen, -2f, 2f, DType.F32, Device.CPU, rows, dim);
        w = Tensor.uniform(gen, 0.5f, 1.5f, DType.F32, Device.CPU, dim);
        b = Tensor.uniform(gen, -0.1f, 0.1f, DType.F32, Device.CPU, dim);
        gy = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, rows, dim);
        y = Tensor.empty(DType.F32, Device.CPU, rows, dim);
        gx = Tensor.empty(DType.F32, Device.CPU, rows, dim);
        gw = Tensor.empty(DType.F32, Device.CPU, dim);
        gb = Tensor.empty(DType.F32, Device.CPU, dim);
        mean = Tensor.empty(DType.F32, Device.CPU, rows);
        rstd = Tensor.empty(DType.F32, Device.CPU, rows);
        rmsRstd = Tensor.empty(DType.F32, Device.CPU, rows);
        // The backward benchmarks read the statistics their forward saves.
        CpuBackend.INSTANCE.layerNorm(x, w, b, EPS, y, mean, rstd);
        CpuBackend.INSTANCE.rmsNorm(x, w, EPS, y, rmsRstd);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {x, w, b, y, gy, gx, gw, gb, mean, rstd, rmsRstd}) t.close();
    }

    @Benchmark
    public Tensor layerNormForward() {
        CpuBackend.INSTANCE.layerNorm(x, w, b, EPS, y, mean, rstd);
        return y;
    }

    @Benchmark
    public Tensor layerNormBackward() {
        CpuBackend.INSTANCE.layerNormBackward(gy, x, w, mean, rstd, gx, gw, gb);
        return gx;
    }

    @Benchmark
    public Tensor rmsNormForward() {
        CpuBackend.INSTANCE.rmsNorm(x, w, EPS, y, rmsRstd);
        return y;
    }

    @Benchmark
    public Tensor rmsNormBackward() {
        CpuBackend.INSTANCE.rmsNormBackward(gy, x, w, rmsRstd, gx, gw);
        return gx;
    }
}

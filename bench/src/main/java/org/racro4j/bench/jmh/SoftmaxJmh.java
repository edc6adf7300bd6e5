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
 * The CPU softmax kernel over the last dim of a [rows, cols] F32 tensor, forward and backward, on preallocated
 * outputs (the kernel's time, not the allocator's). The shapes are those of the small train-step model
 * (batch 8, seq 64, 4 heads, vocab 2048 in the larger one): 2048x64 = attention scores (8 x 4 heads x 64 queries,
 * 64 keys), 512x2048 = a logits row per token over the vocabulary.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SoftmaxJmh {
    /** rows x cols. */
    @Param({"2048x64", "512x2048"})
    public String shape;

    private Tensor x;
    private Tensor y;
    private Tensor gy;
    private Tensor gx;

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = Shapes.parse(shape, 2);
        Generator gen = new Generator(42);
        x = Tensor.uniform(gen, -4f, 4f, DType.F32, Device.CPU, s);
        gy = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s);
        y = Tensor.empty(DType.F32, Device.CPU, s);
        gx = Tensor.empty(DType.F32, Device.CPU, s);
        CpuBackend.INSTANCE.softmax(x, y, false);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        y.close();
        gy.close();
        gx.close();
    }

    @Benchmark
    public Tensor forward() {
        CpuBackend.INSTANCE.softmax(x, y, false);
        return y;
    }

    @Benchmark
    public Tensor backward() {
        CpuBackend.INSTANCE.softmaxBackward(y, gy, gx, false);
        return gx;
    }
}

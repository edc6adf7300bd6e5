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
import org.racro4j.core.UnaryOp;
import org.racro4j.core.cpu.CpuBackend;
import org.racro4j.core.random.Generator;

/**
 * The CPU's exp, sigmoid and SiLU (forward and gradient) over a contiguous F32 tensor, into a preallocated output:
 * the kernels LaneExp runs in vector lanes. 1024x768 is the larger train-step model's MLP activation (batch 8 x seq 128
 * rows, intermediate size 3 x 256); divide the score by the element count for nanoseconds an element.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ActivationJmh {
    /** rows x cols. */
    @Param({"1024x768"})
    public String shape;

    private Tensor x;
    private Tensor out;

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = Shapes.parse(shape, 2);
        x = Tensor.uniform(new Generator(7), -8f, 8f, DType.F32, Device.CPU, s);
        out = Tensor.empty(DType.F32, Device.CPU, s);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        out.close();
    }

    private Tensor run(UnaryOp op) {
        CpuBackend.INSTANCE.unary(op, x, out, 0f, 0f);
        return out;
    }

    @Benchmark
    public Tensor exp() {
        return run(UnaryOp.EXP);
    }

    @Benchmark
    public Tensor sigmoid() {
        return run(UnaryOp.SIGMOID);
    }

    @Benchmark
    public Tensor silu() {
        return run(UnaryOp.SILU);
    }

    @Benchmark
    public Tensor siluGrad() {
        return run(UnaryOp.SILU_GRAD);
    }
}

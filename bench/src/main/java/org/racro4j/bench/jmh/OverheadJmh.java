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
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.CpuBackend;
import org.racro4j.core.random.Generator;

/**
 * The engine's cost per op, measured on an add of two tensors so small (1 or 64 elements) that the arithmetic is
 * nothing and what remains is dispatch, shape checks, allocation, and the autograd record:
 * <ul>
 * <li>{@code kernelOnly}: the backend's add into a preallocated output, the floor;</li>
 * <li>{@code add}: {@code a.add(b)} and close, no input requires grad, so no graph is recorded;</li>
 * <li>{@code addRecorded}: the same with an input that requires grad, so a graph node is recorded;</li>
 * <li>{@code mulSumBackward}: {@code a.mul(b).sum().backward()} in a {@link Scope} (three ops forward, their
 * derivatives backward, the gradient accumulated into a leaf), a training step in miniature.</li>
 * </ul>
 * Time per call in nanoseconds.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class OverheadJmh {
    @Param({"1", "64"})
    public int elements;

    private Tensor a, b, leaf, out;

    @Setup(Level.Trial)
    public void setUp() {
        Generator gen = new Generator(42);
        a = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, elements);
        b = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, elements);
        leaf = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, elements).requiresGrad(true);
        out = Tensor.empty(DType.F32, Device.CPU, elements);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        leaf.close();
        out.close();
    }

    @Benchmark
    public Tensor kernelOnly() {
        CpuBackend.INSTANCE.binary(BinaryOp.ADD, a, b, out);
        return out;
    }

    @Benchmark
    public Tensor add() {
        Tensor r = a.add(b);
        r.close();
        return r;
    }

    @Benchmark
    public Tensor addRecorded() {
        Tensor r = leaf.add(b);
        r.close();
        return r;
    }

    @Benchmark
    public Tensor mulSumBackward() {
        try (Scope s = Scope.open()) {
            leaf.mul(b).sum().backward();
        }
        leaf.zeroGrad();
        return leaf;
    }
}

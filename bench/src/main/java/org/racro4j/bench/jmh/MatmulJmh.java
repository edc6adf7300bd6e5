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
 * JMH view of the CPU matmul: C = A B for n x n F32 (row-major B, and B as a transposed view as in a linear
 * layer's x W^T), calling the backend kernel on a preallocated output. Time per call; GFLOP/s = 2 n^3 / time.
 * For the one-line JSON number use {@link org.racro4j.bench.MatmulBench} instead.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp "bench/target/classes:core/target/classes:bench/target/lib/*" \
 *      org.openjdk.jmh.Main MatmulJmh -p size=1024
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatmulJmh {
    @Param({"256", "512", "1024"})
    public int size;

    private Tensor a;
    private Tensor b;
    private Tensor bT;
    private Tensor c;

    @Setup(Level.Trial)
    public void setUp() {
        Generator gen = new Generator(42);
        a = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, 1, size, size);
        b = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, 1, size, size);
        bT = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, 1, size, size).transpose(1, 2);
        c = Tensor.empty(DType.F32, Device.CPU, 1, size, size);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        bT.close();
        c.close();
    }

    @Benchmark
    public Tensor rowMajorB() {
        CpuBackend.INSTANCE.matmul(a, b, c, 1f, 0f);
        return c;
    }

    @Benchmark
    public Tensor transposedB() {
        CpuBackend.INSTANCE.matmul(a, bT, c, 1f, 0f);
        return c;
    }
}

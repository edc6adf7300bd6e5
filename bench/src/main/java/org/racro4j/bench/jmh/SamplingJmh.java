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
 * The CPU sampler (Backend.sampleTokens) on one decode step's logits, [rows, vocab] F32 of N(0, 2^2), at temperature 1
 * with no top-k or top-p (a GRPO rollout's setting), into a preallocated output: 64x512 and 64x2048 are the two report
 * models' group rollouts (batch 64).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SamplingJmh {
    /** rows x vocab. */
    @Param({"64x512", "64x2048"})
    public String shape;

    private Tensor logits;
    private Tensor ids;
    private long offset;

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = Shapes.parse(shape, 2);
        try (Tensor normal = Tensor.randn(new Generator(42), s)) {
            logits = normal.mul(2f);
        }
        ids = Tensor.empty(DType.I64, Device.CPU, s[0]);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        logits.close();
        ids.close();
    }

    @Benchmark
    public Tensor sample() {
        CpuBackend.INSTANCE.sampleTokens(logits, 1f, 0, 1f, 7, offset++, ids);   // a new draw each call
        return ids;
    }
}

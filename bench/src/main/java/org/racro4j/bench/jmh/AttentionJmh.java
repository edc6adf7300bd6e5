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
import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/**
 * Causal grouped-query attention through {@link Functional#scaledDotProductAttention} on the CPU, which composes it
 * from matmul, masking and softmax (the CPU backend has no fused kernel), so this is what a decoder layer pays.
 * Forward alone (no graph recorded) and forward + backward (sum of the output as the loss, gradients for q, k, v).
 * Every call runs in its own {@link Scope}, so temporaries are freed as in a training step.
 *
 * <p>Shapes B x Hq x Hkv x T x D: 8x4x2x64x32 is the small train-step model's attention (dim 128, 4 heads, 2 KV
 * heads, seq 64, batch 8), 8x8x2x128x32 the larger one's (dim 256, 8 heads, seq 128).
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionJmh {
    /** B x Hq x Hkv x T x D. */
    @Param({"8x4x2x64x32", "8x8x2x128x32"})
    public String shape;

    private Tensor q, k, v;

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = Shapes.parse(shape, 5);
        Generator gen = new Generator(42);
        q = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s[0], s[1], s[3], s[4]).requiresGrad(true);
        k = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s[0], s[2], s[3], s[4]).requiresGrad(true);
        v = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s[0], s[2], s[3], s[4]).requiresGrad(true);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        q.close();
        k.close();
        v.close();
    }

    @Benchmark
    public Tensor forward() {
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            return Functional.scaledDotProductAttention(q, k, v, null, true, Float.NaN); // closed by the scope; JMH only keeps the reference
        }
    }

    @Benchmark
    public Tensor forwardBackward() {
        try (Scope s = Scope.open()) {
            Functional.scaledDotProductAttention(q, k, v, null, true, Float.NaN).sum().backward();
        }
        q.zeroGrad();
        k.zeroGrad();
        v.zeroGrad();
        return q;
    }
}

package org.racro4j.bench.jmh;

import java.util.Arrays;
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
 * One decode step's attention through {@link Functional#decodeAttention} on the CPU (the backend's decode kernel): one
 * query per row against its KV cache, every row at the same length, no key mask. Every call runs in its own
 * {@link Scope}.
 *
 * <p>Shapes B x Hq x Hkv x C x D x length: 64x4x2x96x32x80 and 64x8x2x96x32x80 are the two report models' GRPO group
 * rollouts (batch 64, a 64-token prompt and 32 new tokens, here 16 tokens in), 8x8x2x64x32x48 the larger model's
 * batch-8 rollout.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class DecodeAttentionJmh {
    /** B x Hq x Hkv x C x D x length. */
    @Param({"64x4x2x96x32x80", "64x8x2x96x32x80", "8x8x2x64x32x48"})
    public String shape;

    /**
     * The key cache's layout: row-major [B, Hkv, C, D], or each head's keys stored transposed ([D, C], viewed as
     * [C, D]) as a model's CPU KV cache keeps them.
     */
    @Param({"rows", "transposed"})
    public String keys;

    private Tensor q, k, v, lengths;
    private float scale;

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = Shapes.parse(shape, 6);
        Generator gen = new Generator(42);
        q = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s[0], s[1], 1, s[4]);
        k = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s[0], s[2], s[3], s[4]);
        if (keys.equals("transposed")) {
            Tensor rows = k;
            k = Tensor.zeros(DType.F32, Device.CPU, s[0], s[2], s[4], s[3]).transpose(2, 3);
            k.copyFrom(rows);
            rows.close();
        }
        v = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s[0], s[2], s[3], s[4]);
        int[] lens = new int[s[0]];
        Arrays.fill(lens, s[5]);
        lengths = Tensor.ofInts(lens, s[0]);
        scale = (float) (1 / Math.sqrt(s[4]));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        q.close();
        k.close();
        v.close();
        lengths.close();
    }

    @Benchmark
    public Tensor step() {
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            return Functional.decodeAttention(q, k, v, lengths, null, scale); // closed by the scope; JMH only keeps the reference
        }
    }
}

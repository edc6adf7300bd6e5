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
import org.racro4j.core.SharedPrefix;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/**
 * One decode step's attention through {@link Functional#decodeAttention} on the CPU (the backend's decode kernel): one
 * query per row against its KV cache, every row at the same length, no key mask. Every call runs in its own
 * {@link Scope}.
 *
 * <p>Shapes B x Hq x Hkv x C x D x length: 64x4x2x96x32x80 and 64x8x2x96x32x80 are the two report models' GRPO group
 * rollouts (batch 64, a 64-token prompt and 32 new tokens, here 16 tokens in; at length 95, the last step, whose keys
 * past the full blocks are copied), 8x8x2x64x32x48 the larger model's batch-8 rollout. With {@code group} 8 the rows
 * are GRPO's groups: each group's rows hold the same first 64 entries (the prompt's), and the call says so
 * ({@link SharedPrefix}), as a forked cache does.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class DecodeAttentionJmh {
    /** B x Hq x Hkv x C x D x length. */
    @Param({"64x4x2x96x32x80", "64x8x2x96x32x80", "64x4x2x96x32x95", "64x8x2x96x32x95", "8x8x2x64x32x48"})
    public String shape;

    /**
     * The key cache's layout: row-major [B, Hkv, C, D], or each head's keys stored transposed ([D, C], viewed as
     * [C, D]) as a model's CPU KV cache keeps them.
     */
    @Param({"rows", "transposed"})
    public String keys;

    /** Rows per group sharing the prompt's 64 entries; 0: every row its own. */
    @Param({"0", "8"})
    public int group;

    private Tensor q, k, v, lengths;
    private SharedPrefix shared;
    private float scale;

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = Shapes.parse(shape, 6);
        Generator gen = new Generator(42);
        q = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s[0], s[1], 1, s[4]);
        k = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s[0], s[2], s[3], s[4]);
        v = Tensor.uniform(gen, -1f, 1f, DType.F32, Device.CPU, s[0], s[2], s[3], s[4]);
        if (group > 0) {   // each group's first row's prompt entries in all its rows
            int prompt = Math.min(64, s[3]);
            shared = new SharedPrefix(group, prompt);
            for (int r = 0; r < s[0]; r++) {
                int first = r - r % group;
                if (r == first) continue;
                k.narrow(0, r, 1).narrow(2, 0, prompt).copyFrom(k.narrow(0, first, 1).narrow(2, 0, prompt));
                v.narrow(0, r, 1).narrow(2, 0, prompt).copyFrom(v.narrow(0, first, 1).narrow(2, 0, prompt));
            }
        }
        if (keys.equals("transposed")) {
            Tensor rows = k;
            k = Tensor.zeros(DType.F32, Device.CPU, s[0], s[2], s[4], s[3]).transpose(2, 3);
            k.copyFrom(rows);
            rows.close();
        }
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
            return Functional.decodeAttention(q, k, v, lengths, null, scale, shared); // closed by the scope; JMH only keeps the reference
        }
    }
}

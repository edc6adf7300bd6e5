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
import org.racro4j.bench.DecoderShape;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.optim.AdamW;
import org.racro4j.models.decoder.CausalLM;

/**
 * One AdamW step ({@link AdamW#step()}: the optimizer's bookkeeping plus the backend's multi-tensor kernel) over
 * the parameters of the train-step models, with every gradient present. "small" is layers 2, dim 128, heads 4,
 * kv-heads 2, vocab 512; "large" is layers 4, dim 256, heads 8, kv-heads 2, vocab 2048 (the shapes
 * bench/run-cpu-report.sh compares with PyTorch). The gradients stay fixed; the parameters keep moving.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AdamWJmh {
    @Param({"small", "large"})
    public String model;

    private CausalLM lm;
    private AdamW opt;

    @Setup(Level.Trial)
    public void setUp() {
        DecoderShape shape = switch (model) {
            case "small" -> new DecoderShape(2, 128, 4, 2, 512);
            case "large" -> new DecoderShape(4, 256, 8, 2, 2048);
            default -> throw new IllegalArgumentException("model must be small or large, got " + model);
        };
        lm = CausalLM.create(shape.config(128), 1, DType.F32, Device.CPU);
        // A gradient of ones for every parameter: d(sum p)/dp.
        for (Tensor p : lm.parameters()) {
            try (Scope s = Scope.open()) {
                p.sum().backward();
            }
        }
        opt = AdamW.forTransformer(lm.parameters(), 1e-4f, 0.01f, 0.9f, 0.95f, 1e-8f);
        opt.step(); // allocates the moments, which a steady-state step does not
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        opt.close();
        lm.close();
    }

    @Benchmark
    public long step() {
        opt.step();
        return opt.stepCount();
    }
}

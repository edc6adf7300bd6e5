package org.racro4j.tools;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.bench.TrainStepBench;

@Command(name = "train-step", mixinStandardHelpOptions = true,
        description = "Time one training step (forward, backward, AdamW) of a Qwen2-shaped decoder; prints "
                + "ms_per_step and tokens_per_s (median after warm-up). Peer: bench/python/train_step.py, same flags.")
final class BenchTrainStepCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ShapeOptions shape;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--seq", required = true, description = "Sequence length.")
    int seq;

    @Option(names = "--batch", required = true, description = "Sequences per step.")
    int batch;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--steps", defaultValue = "10", description = "Timed steps. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Override
    public Integer call() {
        if (seq < 2 || batch < 1 || steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("need --seq >= 2, --batch >= 1, --steps >= 1, --warmup >= 0");
        }
        spec.commandLine().getOut().println(TrainStepBench.run(shape.shape(), seq, batch, shape.device(), warmup, steps).toJson());
        return 0;
    }
}

package org.racro4j.tools;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.bench.RolloutBench;

@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = "Time batched generation (prefill, then KV-cache decoding) of a Qwen2-shaped decoder with random "
                + "weights; prints prefill and decode tokens/s. Peer: bench/python/rollout.py, same flags.")
final class BenchRolloutCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ShapeOptions shape;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--batch", required = true, description = "Sequences generated together.")
    int batch;

    @Option(names = "--prompt-len", required = true, description = "Prompt tokens per sequence.")
    int promptLen;

    @Option(names = "--new-tokens", required = true, description = "Tokens generated per sequence.")
    int newTokens;

    @Option(names = "--group", defaultValue = "1", description = "Samples per prompt (GRPO's group): each prompt is prefilled once "
            + "and its KV cache forked; the batch is also run with every prompt repeated, and both times are printed. Must divide "
            + "--batch. Default: ${DEFAULT-VALUE}.")
    int group;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed runs first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed runs (median). Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Override
    public Integer call() {
        if (batch < 1 || promptLen < 1 || newTokens < 2 || repeats < 1 || warmup < 0) {
            throw new IllegalArgumentException("need --batch >= 1, --prompt-len >= 1, --new-tokens >= 2, --repeats >= 1");
        }
        spec.commandLine().getOut().println(
                RolloutBench.run(shape.shape(), batch, group, promptLen, newTokens, shape.device(), warmup, repeats).toJson());
        return 0;
    }
}

package org.racro4j.tools;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.bench.RolloutBench;
import org.racro4j.bench.SpreadRolloutBench;

@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = "Time batched generation (prefill, then KV-cache decoding) of a Qwen2-shaped decoder with random "
                + "weights; prints prefill and decode tokens/s (with --stop-spread: useful tokens/s, plain and continuous batching). "
                + "Peer: bench/python/rollout.py, same flags.")
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

    @Option(names = "--stop-spread", paramLabel = "A:B", description = "Rollouts of different lengths: --requests sequences, "
            + "each generating a number of tokens drawn uniformly from [A, B] (fixed seed; B <= --new-tokens), run both the plain "
            + "way (batches of --batch, each until its longest sequence) and with continuous batching (--batch slots, a finished "
            + "sequence's slot taken at once by the next); prints useful tokens/s (each sequence's own tokens) of both.")
    String stopSpread;

    @Option(names = "--requests", description = "Sequences in a --stop-spread run. Default: 4 x --batch.")
    Integer requests;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed runs first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed runs (median). Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Override
    public Integer call() {
        if (batch < 1 || promptLen < 1 || newTokens < 2 || repeats < 1 || warmup < 0) {
            throw new IllegalArgumentException("need --batch >= 1, --prompt-len >= 1, --new-tokens >= 2, --repeats >= 1");
        }
        if (stopSpread != null) {
            if (group != 1) throw new IllegalArgumentException("--stop-spread and --group cannot be combined");
            int[] range = spread(stopSpread);
            int n = requests != null ? requests : 4 * batch;
            spec.commandLine().getOut().println(SpreadRolloutBench.run(shape.shape(), batch, n, promptLen, newTokens, range[0], range[1],
                    shape.device(), warmup, repeats).toJson());
            return 0;
        }
        if (requests != null) throw new IllegalArgumentException("--requests needs --stop-spread");
        spec.commandLine().getOut().println(
                RolloutBench.run(shape.shape(), batch, group, promptLen, newTokens, shape.device(), warmup, repeats).toJson());
        return 0;
    }

    /** "A:B" as two integers. */
    private static int[] spread(String s) {
        String[] parts = s.split(":", -1);
        try {
            if (parts.length == 2) return new int[] {Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
        } catch (NumberFormatException e) {
            // the message below says what was expected
        }
        throw new IllegalArgumentException("--stop-spread must be A:B (two integers, the fewest and most new tokens), got '" + s + "'");
    }
}

package org.racro4j.tools;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.bench.ScalingBench;
import org.racro4j.core.Device;

@Command(name = "scaling", mixinStandardHelpOptions = true,
        description = "Training-step time and peak memory of the Qwen2-shaped decoder as the sequence length, the batch and "
                + "the model size grow, one at a time from layers 2, dim 128, heads 4/2, vocab 512, seq 64, batch 8. One JSON "
                + "line per point (about 3 minutes on 2 cores; --quick: seconds, tiny shapes, for testing).")
final class BenchScalingCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "Tiny points, to test the pipeline; the numbers mean nothing.")
    boolean quick;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed steps per point. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--steps", defaultValue = "5", description = "Timed steps per point (median). Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda[:N]. Default: ${DEFAULT-VALUE}.")
    String device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (steps < 1 || warmup < 0) throw new IllegalArgumentException("need --steps >= 1, --warmup >= 0");
        PrintWriter out = spec.commandLine().getOut();
        ScalingBench.run(quick ? ScalingBench.quickPoints() : ScalingBench.defaultPoints(), Device.of(device), warmup, steps, line -> {
            out.println(line);
            out.flush(); // a line per point as soon as it is measured, so a long sweep shows progress
        });
        return 0;
    }
}

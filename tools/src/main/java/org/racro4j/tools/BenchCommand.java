package org.racro4j.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The throughput benchmarks; each prints one JSON line, as its peer script in bench/python does. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Throughput benchmarks. Each prints one JSON line; the peer scripts in bench/python print the same.",
        subcommands = {BenchMatmulCommand.class, BenchTrainStepCommand.class, BenchRolloutCommand.class,
                BenchScalingCommand.class, BenchJmhCommand.class, BenchReportCommand.class, BenchKernelsCommand.class, BenchMakeModelCommand.class, BenchCheckpointRolloutCommand.class,
                BenchLogitsCommand.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

package org.racro4j.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;


import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.training.pipeline.ConfigLoader;
import org.racro4j.training.pipeline.Pipeline;
import org.racro4j.training.pipeline.RunConfig;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Run the pipeline (reasoner SFT, captioner SFT, RACRO or PRCO RL, evaluation) with a YAML config; "
                + "keys not in the file take their defaults (see training/src/main/resources/.../pipeline/defaults.yaml).")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", description = "YAML configuration (omit for the defaults).")
    Path config;

    @Option(names = "--out", required = true, description = "Run folder.")
    Path out;

    @Option(names = "--device", description = "cpu or cuda[:N] (overrides the config, also on --resume).")
    String device;

    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint (its saved config is used; "
            + "--device still applies).")
    boolean resume;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (resume && config != null) throw new IllegalArgumentException("--resume uses the run's own config.yaml; drop --config");
        if (resume) return resumePipeline(out, device, spec);
        return startPipeline(ConfigLoader.load(config), device, out, spec);
    }

    /** A new run of {@code cfg}, on {@code device} when it is given. */
    static int startPipeline(RunConfig cfg, String device, Path out, CommandLine.Model.CommandSpec spec) throws IOException {
        Pipeline.start(device == null ? cfg : cfg.withDevice(device), out, spec.commandLine().getOut());
        return 0;
    }

    /** The run in {@code out} continued with its own config, on {@code device} when it is given. */
    static int resumePipeline(Path out, String device, CommandLine.Model.CommandSpec spec) throws IOException {
        Pipeline.resume(out, device, spec.commandLine().getOut());
        return 0;
    }
}

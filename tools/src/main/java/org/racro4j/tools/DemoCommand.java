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

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job: train a captioner with RL so that a frozen text-only reasoner answers visual questions "
                + "from its captions (RACRO), on procedurally rendered tasks, with no download. Trains the reasoners and the "
                + "warm-start captioner, runs GRPO, evaluates blind / SFT captioner / RL captioner / oracle and a reasoner "
                + "swap, and prints the results table. About 8 minutes on a 2-core CPU.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", description = "Run folder. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--device", description = "cpu or cuda[:N] (default: the config's, cpu; also on --resume).")
    String device;

    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint.")
    boolean resume;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (resume) return TrainCommand.resumePipeline(out, device, spec);
        RunConfig cfg = ConfigLoader.load(null);
        return TrainCommand.startPipeline(cfg, device, out, spec);
    }
}

package org.racro4j.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.training.pipeline.RewardStudy;
import org.racro4j.training.pipeline.RunConfig;

@Command(name = "rewards", mixinStandardHelpOptions = true,
        description = "Perception is the bottleneck, on algorithmic visual puzzles: the warm-started policy answering from the image "
                + "versus from the gold description, per family; then six reward designs (only_accuracy, vanilla, mixture, "
                + "caption_utility, perception_verified, evidence_utility) trained with the same GRPO budget from one warm start "
                + "per seed, on some families, and their change over the warm start per family, in-domain and held out.")
final class StudyRewardsCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/study-rewards", description = "Study folder. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--designs", description = "Comma-separated designs to run (default: all six).")
    String designs;

    @Option(names = "--seeds", defaultValue = "1", description = "Seeds 1..N. Default: ${DEFAULT-VALUE}.")
    int seeds;

    @CommandLine.Mixin
    StudyOptions study;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        study.check();
        RunConfig cfg = study.resume ? null : RewardStudy.config(study.config, study.device);
        RewardStudy.run(out, cfg, designs, seeds, study.resume, study.device, spec.commandLine().getOut());
        return 0;
    }
}

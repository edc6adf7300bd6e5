package org.racro4j.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.training.pipeline.PrcoStudy;
import org.racro4j.training.pipeline.RunConfig;

@Command(name = "prco", mixinStandardHelpOptions = true,
        description = "PRCO (one policy as Observer and Solver) against its warm start answering directly (sft), outcome-only "
                + "GRPO and RACRO, from one warm start per seed with the same RL budget; held-out accuracy per arm and category, "
                + "and the perception gap and score of the arms that write captions.")
final class StudyPrcoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/study-prco", description = "Study folder. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--seeds", defaultValue = "3", description = "Seeds 1..N. Default: ${DEFAULT-VALUE}.")
    int seeds;

    @CommandLine.Mixin
    StudyOptions study;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        study.check();
        RunConfig cfg = study.resume ? null : PrcoStudy.config(study.config, study.device);
        PrcoStudy.run(out, cfg, seeds, study.resume, study.device, spec.commandLine().getOut());
        return 0;
    }
}

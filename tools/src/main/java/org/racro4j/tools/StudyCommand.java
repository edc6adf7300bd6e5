package org.racro4j.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The studies: each runs every arm of a published comparison on one protocol and writes study.json and study.md. */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = "Studies: every arm of a published comparison on one protocol (same tasks, split, seeds and RL budget), "
                + "written as study.json, study.md and a per-category chart.",
        subcommands = {StudyPrcoCommand.class, StudyRewardsCommand.class})
final class StudyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

package org.racro4j.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code racro4j} command line. Every command has --help. */
@Command(name = "racro4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Pure-Java tensor engine with CUDA kernels, and perception-decoupled RL on it.",
        subcommands = {
                DemoCommand.class,
                TrainCommand.class,
                StudyCommand.class,
                EvalCommand.class,
                SelfCheckCommand.class,
                DevicesCommand.class,
                BenchCommand.class,
                TokenizeCommand.class,
                DetokenizeCommand.class,
                GenerateCommand.class,
                ExportGgufCommand.class,
                ExportHfCommand.class,
                MakeCheckpointCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, with user mistakes reported as one line instead of a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new UserErrors());
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"racro4j " + (v == null ? "(development build)" : v) + ", Java " + Runtime.version()};
        }
    }
}

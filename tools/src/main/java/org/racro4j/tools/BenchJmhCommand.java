package org.racro4j.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import org.racro4j.bench.jmh.JmhSuite;

@Command(name = "jmh", mixinStandardHelpOptions = true,
        description = "Runs the JMH suites of org.racro4j.bench.jmh (matmul, softmax, norms, exp and activations, attention, AdamW, per-op overhead) "
                + "and prints one JSON line per result on stdout; JMH's progress goes to stderr.")
final class BenchJmhCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "REGEX", description = "Benchmarks to run (JMH regexes, e.g. SoftmaxJmh). Default: all.")
    List<String> includes = new ArrayList<>();

    @Option(names = "--quick", description = "No fork, no warm-up, one 50 ms iteration: tests the pipeline, measures nothing.")
    boolean quick;

    @Option(names = "--forks", description = "Forked JVMs per benchmark. Default: the suites' own (1).")
    Integer forks;

    @Option(names = "--warmup-iterations", description = "Default: the suites' own (3).")
    Integer warmupIterations;

    @Option(names = "--iterations", description = "Measured iterations. Default: the suites' own (5).")
    Integer iterations;

    @Option(names = "--iteration-ms", description = "Length of each warm-up and measured iteration. Default: the suites' own (1000).")
    Integer iterationMillis;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        JmhSuite.Settings s = quick ? JmhSuite.Settings.QUICK : new JmhSuite.Settings(forks, warmupIterations, iterations, iterationMillis);
        PrintWriter out = spec.commandLine().getOut();
        for (String line : JmhSuite.run(includes, s, System.err)) out.println(line);
        return 0;
    }
}

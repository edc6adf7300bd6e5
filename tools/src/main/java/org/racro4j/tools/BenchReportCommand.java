package org.racro4j.tools;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import org.racro4j.bench.report.PerformanceReport;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Writes docs/PERFORMANCE.md, perf-ratios.png and perf-scaling.png from raw JSON-lines result files "
                + "(bench/run-cpu-report.sh writes the CPU one; add bench/gpu-bench.sh's files to fill the GPU section).")
final class BenchReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RESULTS", description = "Raw result files (JSON lines).")
    List<Path> inputs;

    @Option(names = "--out", defaultValue = "docs/PERFORMANCE.md", description = "The Markdown to write; the charts go beside it. "
            + "Default: ${DEFAULT-VALUE}.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PerformanceReport.write(inputs, out);
        spec.commandLine().getOut().println("wrote " + out + " (charts beside it)");
        return 0;
    }
}

package org.racro4j.bench.jmh;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the JMH suites of this package and turns each result into one JSON line, the form every other benchmark
 * here prints and the report generator reads: {@code {"bench":"jmh","benchmark":"SoftmaxJmh.forward",
 * "params":{"shape":"2048x64"},"mode":"avgt","score":..,"error":..,"unit":"us/op"}}. JMH's own progress goes to the
 * given stream (stderr from the command line), so stdout holds only the lines.
 *
 * <p>Settings left null keep the suites' annotations (1 fork, 3 warm-up and 5 measured iterations of 1 s).
 * {@link Settings#QUICK} is for checking the pipeline, not for numbers: no fork, no warm-up, one 50 ms iteration.
 */
public final class JmhSuite {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Overrides of the annotations; null keeps them. */
    public record Settings(Integer forks, Integer warmupIterations, Integer iterations, Integer iterationMillis) {
        public static final Settings ANNOTATIONS = new Settings(null, null, null, null);
        public static final Settings QUICK = new Settings(0, 0, 1, 50);
    }

    private JmhSuite() {}

    /**
     * Runs the benchmarks whose names match any of {@code includes} (JMH regexes; empty = every suite in this package)
     * and returns one JSON line per benchmark and parameter combination.
     */
    public static List<String> run(List<String> includes, Settings settings, PrintStream progress) throws RunnerException {
        ChainedOptionsBuilder opt = new OptionsBuilder();
        if (includes.isEmpty()) opt.include(JmhSuite.class.getPackageName() + ".*");
        else includes.forEach(opt::include);
        if (settings.forks() != null) opt.forks(settings.forks());
        if (settings.warmupIterations() != null) opt.warmupIterations(settings.warmupIterations());
        if (settings.iterations() != null) opt.measurementIterations(settings.iterations());
        if (settings.iterationMillis() != null) {
            opt.warmupTime(TimeValue.milliseconds(settings.iterationMillis()));
            opt.measurementTime(TimeValue.milliseconds(settings.iterationMillis()));
        }
        Runner runner = new Runner(opt.build(), OutputFormatFactory.createFormatInstance(progress, VerboseMode.NORMAL));
        List<String> lines = new ArrayList<>();
        for (RunResult r : runner.run()) lines.add(toJson(r));
        return lines;
    }

    static String toJson(RunResult r) {
        BenchmarkParams p = r.getParams();
        Result<?> primary = r.getPrimaryResult();
        String full = p.getBenchmark();
        // "org.racro4j.bench.jmh.SoftmaxJmh.forward" -> "SoftmaxJmh.forward"
        String shortName = full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1);
        Map<String, String> params = new LinkedHashMap<>();
        for (String k : p.getParamsKeys()) params.put(k, p.getParam(k));
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("bench", "jmh");
        line.put("impl", "racro4j");
        line.put("benchmark", shortName);
        line.put("params", params);
        line.put("mode", p.getMode().shortLabel());
        line.put("score", finite(primary.getScore()));
        line.put("error", finite(primary.getScoreError())); // NaN (JSON null) with too few iterations for an interval
        line.put("unit", primary.getScoreUnit());
        line.put("forks", p.getForks());
        line.put("warmup_iterations", p.getWarmup().getCount());
        line.put("iterations", p.getMeasurement().getCount());
        try {
            return JSON.writeValueAsString(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Double finite(double x) {
        return Double.isFinite(x) ? x : null;
    }
}

package org.racro4j.tools;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.bench.MatmulBench;

@Command(name = "matmul", mixinStandardHelpOptions = true,
        description = "Median GFLOP/s of an N x N x N F32 matmul on the CPU backend (inputs rotated so they are not "
                + "already in cache). Peer: bench/python/matmul_numpy.py --size N (numpy/OpenBLAS).")
final class BenchMatmulCommand implements Callable<Integer> {
    @Option(names = "--size", defaultValue = "1024", description = "N. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--warmup", defaultValue = "5", description = "Untimed calls first (at least 1 s). Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--iters", defaultValue = "15", description = "Timed samples (median). Default: ${DEFAULT-VALUE}.")
    int iters;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (size < 1 || iters < 1 || warmup < 0) {
            throw new IllegalArgumentException("need --size >= 1, --iters >= 1, --warmup >= 0");
        }
        spec.commandLine().getOut().println(MatmulBench.run(size, warmup, iters).toJson());
        return 0;
    }
}

package org.racro4j.tools;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.core.BackendProvider;
import org.racro4j.core.BackendUnavailableException;
import org.racro4j.core.Backends;
import org.racro4j.kernels.bench.BandwidthBench;

@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = "GPU memory-bound kernels (elementwise, softmax, RMSNorm, AdamW) in GB/s and as a ratio to the "
                + "device-to-device copy measured in the same run (CUDA events, median after warm-up). Needs a GPU.")
final class BenchKernelsCommand implements Callable<Integer> {
    @Option(names = "--mib", defaultValue = "256", description = "Size of each operand in MiB. Default: ${DEFAULT-VALUE}.")
    long mib;

    @Option(names = "--iters", defaultValue = "50", description = "Timed repetitions (median). Default: ${DEFAULT-VALUE}.")
    int iters;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        BackendProvider cuda = Backends.provider("cuda");
        if (cuda == null || !cuda.availability().available()) {
            throw new BackendUnavailableException("bench kernels needs a CUDA device: "
                    + (cuda == null ? "the CUDA backend is not on the class path" : cuda.availability().description()));
        }
        for (String line : BandwidthBench.run(mib << 20, iters)) spec.commandLine().getOut().println(line);
        return 0;
    }
}

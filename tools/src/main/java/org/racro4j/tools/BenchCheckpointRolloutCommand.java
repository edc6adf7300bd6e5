package org.racro4j.tools;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.bench.DecoderShape;
import org.racro4j.bench.RolloutBench;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.MemoryStats;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;

@Command(name = "checkpoint-rollout", mixinStandardHelpOptions = true,
        description = "`bench rollout` on a model directory (e.g. one written by `bench make-model`) loaded in a given dtype: "
                + "a frozen BF16 model keeps 2 bytes per weight. Prints the rollout JSON line plus the dtype, the weights' bytes, "
                + "the load time and the backend's peak bytes in use (weights, KV cache, activations).")
final class BenchCheckpointRolloutCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory.")
    Path model;

    @Option(names = "--dtype", defaultValue = "bf16", description = "f32 or bf16: the dtype the weights are loaded in (and the "
            + "model computes in). Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda[:N]. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--batch", required = true, description = "Sequences generated together.")
    int batch;

    @Option(names = "--prompt-len", required = true, description = "Prompt tokens per sequence.")
    int promptLen;

    @Option(names = "--new-tokens", required = true, description = "Tokens generated per sequence.")
    int newTokens;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed runs first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--repeats", defaultValue = "1", description = "Timed runs (median). Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || promptLen < 1 || newTokens < 2 || repeats < 1 || warmup < 0) {
            throw new IllegalArgumentException("need --batch >= 1, --prompt-len >= 1, --new-tokens >= 2, --repeats >= 1");
        }
        DType dt = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--dtype must be f32 or bf16, got '" + dtype + "'");
        };
        Device dev = Device.of(device);
        long t0 = System.nanoTime();
        try (CausalLM lm = CausalLM.load(model, dt, dev)) {
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            long weightBytes = 0;
            for (Tensor w : lm.stateDict().values()) weightBytes += w.numel() * w.dtype().byteSize();
            DecoderConfig c = lm.config();
            DecoderShape shape = new DecoderShape(c.numLayers(), c.hiddenSize(), c.numHeads(), c.numKvHeads(), c.vocabSize());
            dev.backend().resetPeakMemory();
            RolloutBench.Result r = RolloutBench.run(lm, shape, batch, 1, promptLen, newTokens, warmup, repeats);
            MemoryStats m = dev.backend().memoryStats();
            String json = r.toJson();
            spec.commandLine().getOut().println(json.substring(0, json.length() - 1) + String.format(Locale.ROOT,
                    ",\"dtype\":\"%s\",\"intermediate\":%d,\"weight_bytes\":%d,\"load_seconds\":%.1f,\"peak_backend_bytes\":%d}",
                    dt, c.intermediateSize(), weightBytes, loadSeconds, m.peakBytesInUse()));
        }
        return 0;
    }
}

package org.racro4j.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.bench.BenchModel;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;

@Command(name = "make-model", mixinStandardHelpOptions = true,
        description = "Save the random-weight Qwen2-shaped model that `bench rollout` times with the same shape flags, as a "
                + "Hugging Face checkpoint directory (config.json, model.safetensors), for peers that load a checkpoint "
                + "(llama.cpp, through `export-gguf`).")
final class BenchMakeModelCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ShapeOptions shape;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The directory to create; must not exist.")
    Path out;

    @Option(names = "--context", defaultValue = "4096", description = "max_position_embeddings written to config.json (the "
            + "weights do not depend on it). Default: ${DEFAULT-VALUE}.")
    int context;

    @Option(names = "--intermediate", paramLabel = "N", description = "SwiGLU width (intermediate_size), for checkpoints shaped "
            + "like a published model (Qwen2-0.5B: 4864). Default: 3 x --dim, the shape `bench rollout` times.")
    Integer intermediate;

    @Option(names = "--dtype", defaultValue = "f32", description = "The dtype the weights are drawn and stored in: f32 or bf16 "
            + "(2 bytes per weight, also while drawing; each weight within two BF16 roundings of the f32 one). Default: "
            + "${DEFAULT-VALUE}.")
    String dtype;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out)) throw new IllegalArgumentException(out + " already exists (remove it first or name another directory)");
        if (context < 1) throw new IllegalArgumentException("--context must be >= 1, got " + context);
        // Written beside the target and renamed, so a stopped run leaves no half-written model under the name.
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        DType stored = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--dtype must be f32 or bf16, got '" + dtype + "'");
        };
        if (intermediate != null && intermediate < 1) throw new IllegalArgumentException("--intermediate must be >= 1, got " + intermediate);
        try (CausalLM model = create(stored)) {
            model.save(tmp, Map.of("racro4j", "bench make-model"));
            Files.move(tmp, out);
        } finally {
            if (Files.isDirectory(tmp)) {
                try (var files = Files.list(tmp)) {
                    for (Path f : (Iterable<Path>) files::iterator) Files.delete(f);
                }
                Files.delete(tmp);
            }
        }
        spec.commandLine().getOut().println("wrote " + out + " (" + shape.shape()
                + (intermediate != null ? ", intermediate " + intermediate : "") + ", " + stored + ")");
        return 0;
    }

    /** The bench model itself when only the shape flags are given; else the same kind of random model, resized or in BF16. */
    private CausalLM create(DType stored) {
        if (intermediate == null && stored == DType.F32) return BenchModel.create(shape.shape(), context, Device.CPU);
        DecoderConfig c = shape.shape().config(context);
        DecoderConfig sized = new DecoderConfig(c.architecture(), c.vocabSize(), c.hiddenSize(),
                intermediate != null ? intermediate : c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
                c.maxPositions(), c.ropeTheta(), c.rmsNormEps(), c.tieWordEmbeddings(), c.attentionBias(), c.bosTokenId(),
                c.eosTokenIds());
        return CausalLM.create(sized, BenchModel.SEED, stored, Device.CPU);
    }
}

package org.racro4j.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.bench.BenchModel;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;

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

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out)) throw new IllegalArgumentException(out + " already exists (remove it first or name another directory)");
        if (context < 1) throw new IllegalArgumentException("--context must be >= 1, got " + context);
        // Written beside the target and renamed, so a stopped run leaves no half-written model under the name.
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try (CausalLM model = BenchModel.create(shape.shape(), context, Device.CPU)) {
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
        spec.commandLine().getOut().println("wrote " + out + " (" + shape.shape() + ")");
        return 0;
    }
}

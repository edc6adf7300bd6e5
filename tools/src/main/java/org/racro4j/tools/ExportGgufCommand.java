package org.racro4j.tools;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.models.decoder.gguf.GgmlType;
import org.racro4j.models.decoder.gguf.GgufExport;

@Command(name = "export-gguf", mixinStandardHelpOptions = true,
        description = "Write a Hugging Face Qwen2/Llama checkpoint directory as a GGUF file for llama.cpp (architecture qwen2 "
                + "or llama; norms and biases stay F32). The file is read back and checked tensor by tensor before it gets its name.")
final class ExportGgufCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Checkpoint directory (config.json, model.safetensors, optional tokenizer.json).")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "F.gguf", description = "The GGUF file to write; must not exist.")
    Path out;

    @Option(names = "--type", defaultValue = "f32", paramLabel = "f32|f16|bf16", description = "Type of the matrices. Default: ${DEFAULT-VALUE}.")
    String type;

    @Override
    public Integer call() throws Exception {
        GgmlType t = switch (type.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "bf16" -> GgmlType.BF16;
            default -> throw new IllegalArgumentException("--type " + type + " is not one of f32, f16, bf16");
        };
        GgufExport.Summary s = GgufExport.export(model, out, t);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %s, %d tensors (matrices %s), %d bytes, tokenizer %s; read back and checked%n",
                s.file(), s.architecture(), s.tensors(), s.type(), s.bytes(), s.tokenizer());
        return 0;
    }
}

package org.racro4j.tools;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.core.DType;
import org.racro4j.training.hf.RandomChatCheckpoint;

@Command(name = "make-checkpoint", mixinStandardHelpOptions = true,
        description = "Write a small Hugging Face chat checkpoint with random weights, for trying pretrained-model runs "
                + "(reasoner.pretrained, captioner.pretrained, eval --reasoner DIR) without a download: config.json, "
                + "model.safetensors, a byte-level BPE tokenizer.json learned from the built-in tasks' texts, tokenizer_config.json "
                + "with the family's chat template, generation_config.json. Its answers are those of random weights.")
final class MakeCheckpointCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The directory to create; must not exist.")
    Path out;

    @Option(names = "--family", defaultValue = "qwen2", paramLabel = "qwen2|llama3",
            description = "Chat conventions and architecture: qwen2 (ChatML, no BOS) or llama3 (BOS, header tokens, <|eot_id|>). "
                    + "Default: ${DEFAULT-VALUE}.")
    String family;

    @Option(names = "--hidden", defaultValue = "64", description = "Hidden size. Default: ${DEFAULT-VALUE}.")
    int hidden;

    @Option(names = "--intermediate", paramLabel = "N", description = "SwiGLU width (intermediate_size). Default: 2 x --hidden.")
    Integer intermediate;

    @Option(names = "--layers", defaultValue = "2", description = "Decoder layers. Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--heads", defaultValue = "4", description = "Attention heads. Default: ${DEFAULT-VALUE}.")
    int heads;

    @Option(names = "--kv-heads", defaultValue = "2", description = "Key/value heads. Default: ${DEFAULT-VALUE}.")
    int kvHeads;

    @Option(names = "--merges", defaultValue = "400", description = "BPE merges learned (the vocabulary is 256 bytes + merges + the "
            + "family's special tokens). Default: ${DEFAULT-VALUE}.")
    int merges;

    @Option(names = "--init-std", defaultValue = "0.3", description = "Spread of the random weights; Hugging Face's 0.02 makes a small "
            + "random model write nearly the same whatever its prompt. Default: ${DEFAULT-VALUE}.")
    float initStd;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|bf16", description = "The dtype the weights are stored in. "
            + "Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the weights. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() throws Exception {
        RandomChatCheckpoint.Family f = switch (family.toLowerCase(Locale.ROOT)) {
            case "qwen2" -> RandomChatCheckpoint.Family.QWEN2;
            case "llama3" -> RandomChatCheckpoint.Family.LLAMA3;
            default -> throw new IllegalArgumentException("--family must be qwen2 or llama3, got '" + family + "'");
        };
        DType stored = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--dtype must be f32 or bf16, got '" + dtype + "'");
        };
        RandomChatCheckpoint.Shape shape = new RandomChatCheckpoint.Shape(hidden, intermediate != null ? intermediate : 2 * hidden, layers, heads, kvHeads,
                merges, initStd);
        int vocab = RandomChatCheckpoint.write(out, f, shape, stored, seed);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, hidden %d, %d layers, vocabulary %d, %s)%n", out, f.name().toLowerCase(Locale.ROOT),
                hidden, layers, vocab, stored);
        return 0;
    }
}

package org.racro4j.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Npy;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TextGeneration;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt with a Qwen2/Llama model directory (config.json, model.safetensors or a sharded "
                + "index, tokenizer.json) and print the continuation. Greedy at temperature 0.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model directory.")
    Path model;

    @Option(names = "--prompt", required = true, description = "Prompt text.")
    String prompt;

    /** Null when not given: then {@link #DEFAULT_NEW_TOKENS}, or what the context leaves after the prompt if less. */
    @Option(names = "--max-new-tokens", paramLabel = "N",
            description = "At most the model's context minus the prompt's tokens. Default: 64, or what the context leaves if less.")
    Integer maxNewTokens;

    static final int DEFAULT_NEW_TOKENS = 64;

    @Option(names = "--temperature", defaultValue = "0", description = "Finite, >= 0; 0 = greedy. Default: ${DEFAULT-VALUE}.")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens (0 = all). Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass, in (0, 1] (1 = off). Default: ${DEFAULT-VALUE}.")
    float topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda[:N]. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--logits-out", description = "Also write the prompt's logits, [prompt length, vocab] float32, to this .npy file.")
    Path logitsOut;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        // The rule every sampling setting follows (a run config's temperatures too), checked before anything is read.
        if (maxNewTokens != null) SamplingConfig.checkMaxNewTokens("--max-new-tokens", maxNewTokens);
        SamplingConfig.checkTemperature("--temperature", temperature);
        SamplingConfig.checkTopK("--top-k", topK);
        SamplingConfig.checkTopP("--top-p", topP);
        Path tokPath = model.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokPath)) throw new IOException(model + ": no tokenizer.json");
        Path configPath = model.resolve("config.json");
        if (!Files.isRegularFile(configPath)) throw new IOException(model + ": no config.json (is this a model directory?)");
        Tokenizer tok = Tokenizers.load(tokPath);
        DecoderConfig config = DecoderConfig.read(configPath);
        int[] ids = promptIds(tok, config);
        if (ids.length == 0) throw new IllegalArgumentException("the prompt encodes to no tokens");
        int context = config.maxPositions();
        if (ids.length > context) {
            throw new IllegalArgumentException("the prompt has " + ids.length + " tokens, more than the model's context of " + context
                    + " (max_position_embeddings)");
        }
        // Before the weights are read and buffers sized for the new tokens: a number given that the context cannot
        // hold is refused (a billion used to run out of memory first); the default shrinks to what is left.
        int newTokens = maxNewTokens != null ? maxNewTokens : Math.min(DEFAULT_NEW_TOKENS, context - ids.length);
        SamplingConfig.checkFitsContext("--max-new-tokens", newTokens, ids.length, context);
        Device dev = Device.of(device);
        try (CausalLM lm = CausalLM.load(model, DType.F32, dev)) {
            if (logitsOut != null) writePromptLogits(lm, ids);
            Set<Integer> stop = new HashSet<>(lm.config().eosTokenIds());
            if (tok.specialTokens().eos() != null) stop.add(tok.specialTokens().eos());
            SamplingConfig cfg = new SamplingConfig(newTokens, temperature, topK, topP, seed, stop);
            Generated g = TextGeneration.generate(lm, List.of(ids), cfg).get(0);
            spec.commandLine().getOut().println(tok.decode(g.tokens(), true));
        }
        return 0;
    }

    /** As Hugging Face's tokenizer(prompt) does: the BOS token first when the tokenizer and model declare one. */
    private int[] promptIds(Tokenizer tok, DecoderConfig config) {
        int[] ids = tok.encode(prompt);
        Integer bos = tok.specialTokens().bos();
        if (bos == null || bos != config.bosTokenId()) return ids;
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bos;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /** The prompt fits the context: call() checked it. */
    private void writePromptLogits(CausalLM lm, int[] ids) throws IOException {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        try (Autograd.Mode off = Autograd.noGrad()) {
            Tensor logits = lm.forward(Tensor.ofLongs(l, 1, ids.length).to(lm.device()), null, null);
            Npy.write(logitsOut, logits.reshape(ids.length, -1).to(DType.F32));
        }
    }
}

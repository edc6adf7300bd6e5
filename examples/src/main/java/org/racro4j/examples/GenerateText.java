package org.racro4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TextGeneration;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;

/**
 * Loads a Hugging Face checkpoint directory of a Qwen2 or Llama model and continues a prompt with it.
 *
 * <p>The directory is what {@code huggingface-cli download Qwen/Qwen2.5-0.5B} (or {@code save_pretrained})
 * leaves: {@code config.json}, {@code model.safetensors} (or shards with an index) and {@code tokenizer.json}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.racro4j.examples.GenerateText MODEL_DIR "The capital of France is" 32
 * </pre>
 */
public final class GenerateText {
    private GenerateText() {}

    /** @param args the model directory, the prompt, and optionally how many tokens to add (default 32) */
    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: GenerateText MODEL_DIR PROMPT [MAX_NEW_TOKENS]");
            System.exit(2);
        }
        Path modelDir = Path.of(args[0]);
        String prompt = args[1];
        int maxNewTokens = args.length == 3 ? Integer.parseInt(args[2]) : 32;

        // The tokenizer turns text into the ids the model was trained on, with the same ids as Hugging Face's tokenizer.
        Tokenizer tokenizer = Tokenizers.load(modelDir.resolve("tokenizer.json"));

        // Weights are converted to float32 on the CPU. With racro4j-kernels on the class path and a GPU,
        // Device.of("cuda") runs the same code there.
        try (CausalLM model = CausalLM.load(modelDir, DType.F32, Device.CPU)) {
            int[] promptIds = promptIds(tokenizer, model.config().bosTokenId(), prompt);

            // Generation of a row ends at the end-of-text token(s) the model's config and the tokenizer declare.
            Set<Integer> stopTokens = new HashSet<>(model.config().eosTokenIds());
            if (tokenizer.specialTokens().eos() != null) stopTokens.add(tokenizer.specialTokens().eos());

            // Greedy decoding: always the most likely next token. For sampling instead, e.g.
            // new SamplingConfig(maxNewTokens, 0.7f, 50, 0.9f, seed, stopTokens) (temperature, top-k, top-p).
            SamplingConfig sampling = SamplingConfig.greedy(maxNewTokens, stopTokens);

            // One prompt here; a list of several is generated as one batch.
            Generated out = TextGeneration.generate(model, List.of(promptIds), sampling).get(0);

            // The text of prompt and continuation together, as Hugging Face's tokenizer.decode(output[0]) gives it
            // (true: special tokens left out).
            int[] all = new int[promptIds.length + out.tokens().length];
            System.arraycopy(promptIds, 0, all, 0, promptIds.length);
            System.arraycopy(out.tokens(), 0, all, promptIds.length, out.tokens().length);
            System.out.println(tokenizer.decode(all, true));
            System.out.println("(" + out.tokens().length + " new tokens" + (out.stopped() ? ", ended by an end-of-text token)" : ")"));
        }
    }

    /**
     * The prompt's ids as Hugging Face's {@code tokenizer(prompt)} gives them: encode adds no special tokens, so
     * the beginning-of-text token goes in front by hand when tokenizer and model declare the same one (Llama
     * does; Qwen2 has none).
     */
    static int[] promptIds(Tokenizer tokenizer, int modelBos, String prompt) {
        int[] ids = tokenizer.encode(prompt);
        Integer bos = tokenizer.specialTokens().bos();
        if (bos == null || bos != modelBos) return ids;
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bos;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }
}

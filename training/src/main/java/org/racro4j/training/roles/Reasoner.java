package org.racro4j.training.roles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;

/**
 * The frozen, text-only reasoner: reads caption + question and answers. It is only ever called forward (no
 * gradients, parameters frozen), so it can be swapped for another decoder at evaluation time without retraining
 * the captioner — RACRO's "plug and play".
 */
public final class Reasoner implements AnswerSource, AutoCloseable {
    private final String name;
    private final CausalLM lm;
    private final ReasonerPrompt prompt;
    private final int maxAnswerTokens;

    public Reasoner(String name, CausalLM lm, ReasonerPrompt prompt, int maxAnswerTokens) {
        this.name = name;
        this.lm = lm;
        this.prompt = prompt;
        this.maxAnswerTokens = maxAnswerTokens;
        for (Tensor p : lm.parameters()) p.requiresGrad(false);
    }

    /**
     * Loads any decoder directory racro4j reads (config.json, safetensors, tokenizer.json, and for chat prompts
     * the chat template) with its weights in their stored dtype ({@link CausalLM#loadFrozen}): a BF16 checkpoint stays
     * BF16, memory-mapped on the CPU (no heap copy; the matmul reads the half-precision bits in place).
     *
     * @param promptName "words", a paper prompt that reads a caption, or null to choose by the tokenizer
     *                   ({@link ReasonerPrompt#forModel})
     */
    public static Reasoner load(String name, Path dir, Device device, int maxAnswerTokens, String promptName) throws IOException {
        Tokenizer tok = Tokenizers.load(dir.resolve("tokenizer.json"));
        ReasonerPrompt prompt = ReasonerPrompt.forModel(dir, tok, promptName);
        return new Reasoner(name, CausalLM.loadFrozen(dir, device), prompt, maxAnswerTokens);
    }

    /**
     * What {@link #load} would fail on, found without reading any weight: config.json, the weights' names and shapes
     * against it, tokenizer.json (its ids within the model's vocabulary) and the prompt (the chat template and where a
     * turn ends). How a run checks a pretrained reasoner before it trains anything.
     */
    public static void checkDirectory(Path dir, String promptName) throws IOException {
        ReasonerPrompt.forModel(dir, PretrainedDecoder.check(dir).tokenizer(), promptName);
    }

    @Override
    public String name() {
        return name;
    }

    public CausalLM model() {
        return lm;
    }

    public ReasonerPrompt prompt() {
        return prompt;
    }

    @Override
    public List<List<Answer>> answer(List<String> captions, List<String> questions, int k, float temperature, long seed) {
        return TextCompletion.answers(lm, prompt, captions, questions, k, maxAnswerTokens, temperature, seed);
    }

    @Override
    public double[] answerProbability(List<String> captions, List<String> questions, List<String> answers) {
        return TextCompletion.answerProbabilities(lm, prompt, captions, questions, answers);
    }

    @Override
    public void close() {
        lm.close();
    }
}

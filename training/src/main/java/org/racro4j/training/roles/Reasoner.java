package org.racro4j.training.roles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.racro4j.core.DType;
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
    private final Tokenizer tok;
    private final int maxAnswerTokens;

    public Reasoner(String name, CausalLM lm, Tokenizer tok, int maxAnswerTokens) {
        this.name = name;
        this.lm = lm;
        this.tok = tok;
        this.maxAnswerTokens = maxAnswerTokens;
        for (Tensor p : lm.parameters()) p.requiresGrad(false);
    }

    /** Loads any decoder directory racro4j reads (config.json, weights, tokenizer.json). */
    public static Reasoner load(String name, Path dir, Device device, int maxAnswerTokens) throws IOException {
        Tokenizer tok = Tokenizers.load(dir.resolve("tokenizer.json"));
        return new Reasoner(name, CausalLM.load(dir, DType.F32, device), tok, maxAnswerTokens);
    }

    @Override
    public String name() {
        return name;
    }

    public CausalLM model() {
        return lm;
    }

    @Override
    public List<List<Answer>> answer(List<String> captions, List<String> questions, int k, float temperature, long seed) {
        return TextCompletion.answers(lm, tok, captions, questions, k, maxAnswerTokens, temperature, seed);
    }

    @Override
    public double[] answerProbability(List<String> captions, List<String> questions, List<String> answers) {
        return TextCompletion.answerProbabilities(lm, tok, captions, questions, answers);
    }

    @Override
    public void close() {
        lm.close();
    }
}

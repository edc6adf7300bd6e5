package org.racro4j.training.roles;

import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.Prompts;

/**
 * The trained policy: a captioner that sees the image and the question and writes a caption. In PRCO the same
 * weights also act as the Solver, reading a caption and answering (text only, no image tokens).
 */
public final class CaptionPolicy implements AnswerSource {
    private final Captioner model;
    private final Tokenizer tok;
    private final int maxCaptionTokens;
    private final int maxAnswerTokens;

    public CaptionPolicy(Captioner model, Tokenizer tok, int maxCaptionTokens, int maxAnswerTokens) {
        this.model = model;
        this.tok = tok;
        this.maxCaptionTokens = maxCaptionTokens;
        this.maxAnswerTokens = maxAnswerTokens;
    }

    public Captioner model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tok;
    }

    public int maxCaptionTokens() {
        return maxCaptionTokens;
    }

    /** Image patches [N, P, 3·p·p] of the tasks' images. */
    public Tensor patches(List<TaskItem> items) {
        List<java.awt.image.BufferedImage> images = new ArrayList<>(items.size());
        for (TaskItem t : items) images.add(t.image());
        return model.processor().patches(images);
    }

    public int[] captionPrompt(String question) {
        return TextCompletion.promptIds(tok, Prompts.captioner(question));
    }

    /** One caption per row of patches [N, P, F] (no gradients; the image embeddings are freed before it returns). */
    public List<Generated> caption(Tensor patches, List<String> questions, float temperature, long seed) {
        List<int[]> prompts = new ArrayList<>(questions.size());
        for (String q : questions) prompts.add(captionPrompt(q));
        try (Autograd.Mode off = Autograd.noGrad(); Scope scope = Scope.open()) {
            return TextCompletion.complete(model.languageModel(), tok, model.embedImages(patches), prompts, maxCaptionTokens, temperature, seed);
        }
    }

    public String text(int[] tokens) {
        return TextCompletion.text(tok, tokens);
    }

    /**
     * Per-token log-probabilities (with autograd) of responses after contexts; image rows [N, P, F] go before each
     * context when given (CAPTIONER rollouts), none for text-only rows (SOLVER).
     */
    public TeacherForcing.Scores score(Tensor patches, List<int[]> contexts, List<int[]> responses, float temperature, boolean entropy) {
        Tensor prefix = patches == null ? null : model.embedImages(patches);
        return TeacherForcing.score(model.languageModel(), prefix, contexts, responses, temperature, entropy);
    }

    @Override
    public String name() {
        return "policy-solver";
    }

    /** The Solver role (PRCO): answers from a caption with the policy's own weights, text only. */
    @Override
    public List<List<Answer>> answer(List<String> captions, List<String> questions, int k, float temperature, long seed) {
        return TextCompletion.answers(model.languageModel(), tok, captions, questions, k, maxAnswerTokens, temperature, seed);
    }

    @Override
    public double[] answerProbability(List<String> captions, List<String> questions, List<String> answers) {
        return TextCompletion.answerProbabilities(model.languageModel(), tok, captions, questions, answers);
    }
}

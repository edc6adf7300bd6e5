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
 * The trained policy: a vision-language model (image tokens before a text prompt) that plays three roles.
 * <ul>
 * <li>{@link Role#CAPTIONER}: image + question → a caption (RACRO's captioner, PRCO's Observer);</li>
 * <li>{@link Role#SOLVER}: image + question + a caption → the answer (PRCO's Solver, which reads the caption
 *     first and can still look at the image);</li>
 * <li>{@link Role#ANSWERER}: image + question → the answer directly (the usual VLM, trained with outcome-only RL);</li>
 * <li>{@link Role#READER}: question + a description, no image → the answer;</li>
 * <li>{@link Role#THINKER} and {@link Role#DESCRIBER}: image + question → evidence, then the answer line.</li>
 * </ul>
 */
public final class CaptionPolicy {
    private final Captioner model;
    private final Tokenizer tok;
    private final CaptionerPrompt captionerPrompt;
    private final int maxCaptionTokens;
    private final int maxAnswerTokens;

    /** A policy whose decoder reads the tasks' words: every role's word-level prompt. */
    public CaptionPolicy(Captioner model, Tokenizer tok, int maxCaptionTokens, int maxAnswerTokens) {
        this(model, new CaptionerPrompt.Words(tok), maxCaptionTokens, maxAnswerTokens);
    }

    /**
     * A policy asked for captions with {@code captionerPrompt} (a pretrained decoder's chat format, say); the other
     * roles' prompts are word-level, for a decoder trained on the tasks' words.
     */
    public CaptionPolicy(Captioner model, CaptionerPrompt captionerPrompt, int maxCaptionTokens, int maxAnswerTokens) {
        this.model = model;
        this.tok = captionerPrompt.tokenizer();
        this.captionerPrompt = captionerPrompt;
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
        return captionerPrompt.promptIds(question);
    }

    /** The ids of {@code description} written as this policy's caption, its end included (the captioner's SFT target). */
    public int[] captionTarget(String description) {
        return captionerPrompt.captionIds(description);
    }

    /** The text of generated caption ids. */
    public String captionText(int[] tokens) {
        return captionerPrompt.caption(tokens);
    }

    /** The Solver's prompt: the reasoner's (caption, question), read after the image tokens. */
    public int[] solverPrompt(String caption, String question) {
        return TextCompletion.promptIds(tok, Prompts.reasoner(caption, question));
    }

    public int[] directPrompt(String question) {
        return TextCompletion.promptIds(tok, Prompts.direct(question));
    }

    /** The prompt of a role that answers from the image and the question alone: Answerer, Thinker or Describer. */
    public int[] prompt(Role role, String question) {
        return TextCompletion.promptIds(tok, switch (role) {
            case ANSWERER -> Prompts.direct(question);
            case THINKER -> Prompts.think(question);
            case DESCRIBER -> Prompts.describeThenAnswer(question);
            default -> throw new IllegalArgumentException(role + " does not answer from the image and the question alone");
        });
    }

    /** The Reader's prompt: a description and the question, read without the image (the reasoner's prompt). */
    public int[] readerPrompt(String description, String question) {
        return TextCompletion.promptIds(tok, Prompts.reasoner(description, question));
    }

    /** How many tokens a role may write: a caption's, an answer's, or for evidence + answer line both and the marker. */
    public int maxTokens(Role role) {
        return switch (role) {
            case CAPTIONER -> maxCaptionTokens;
            case THINKER, DESCRIBER -> maxCaptionTokens + 2 + maxAnswerTokens;
            default -> maxAnswerTokens;
        };
    }

    /** One caption per row of patches [N, P, F] (no gradients; the image embeddings are freed before it returns). */
    public List<Generated> caption(Tensor patches, List<String> questions, float temperature, long seed) {
        return caption(patches, questions, 1, temperature, seed);
    }

    /**
     * groupSize captions per row of patches [N, P, F] and its question (a GRPO group: row i's at i x groupSize
     * onwards), each image and prompt encoded and prefilled once. No gradients.
     */
    public List<Generated> caption(Tensor patches, List<String> questions, int groupSize, float temperature, long seed) {
        List<int[]> prompts = new ArrayList<>(questions.size());
        for (String q : questions) prompts.add(captionPrompt(q));
        try (Autograd.Mode off = Autograd.noGrad(); Scope scope = Scope.open()) {
            return TextCompletion.complete(model.languageModel(), captionerPrompt.stopTokens(), model.embedImages(patches), prompts, groupSize,
                    maxCaptionTokens, temperature, seed);
        }
    }

    /**
     * The Solver: k answers per (image row, caption, question), each row of patches [N, P, F] the image its caption
     * describes. No gradients.
     */
    public List<List<Answer>> solve(Tensor patches, List<String> captions, List<String> questions, int k, float temperature, long seed) {
        List<int[]> prompts = new ArrayList<>(captions.size());
        for (int i = 0; i < captions.size(); i++) prompts.add(solverPrompt(captions.get(i), questions.get(i)));
        return answers(patches, prompts, k, maxAnswerTokens, temperature, seed);
    }

    /** The Answerer: k answers per (image row, question) from the image alone, no caption. No gradients. */
    public List<List<Answer>> answerDirectly(Tensor patches, List<String> questions, int k, float temperature, long seed) {
        return respond(patches, Role.ANSWERER, questions, k, temperature, seed);
    }

    /**
     * k responses per (image row, question) in a role that answers from them alone: the Answerer's answers, the
     * Thinker's or the Describer's evidence and answer line. No gradients.
     */
    public List<List<Answer>> respond(Tensor patches, Role role, List<String> questions, int k, float temperature, long seed) {
        List<int[]> prompts = new ArrayList<>(questions.size());
        for (String q : questions) prompts.add(prompt(role, q));
        return answers(patches, prompts, k, maxTokens(role), temperature, seed);
    }

    /** The Reader: k answers per (description, question), text only (the policy's language model without the image). */
    public List<List<Answer>> read(List<String> descriptions, List<String> questions, int k, float temperature, long seed) {
        return TextCompletion.answers(model.languageModel(), new ReasonerPrompt.Words(tok), descriptions, questions, k, maxAnswerTokens, temperature, seed);
    }

    /** k responses of at most maxTokens per prompt, each after its row of patches; NonFiniteException rows are the prompt's. */
    private List<List<Answer>> answers(Tensor patches, List<int[]> prompts, int k, int maxTokens, float temperature, long seed) {
        int n = prompts.size();
        List<Generated> gen;
        try (Autograd.Mode off = Autograd.noGrad(); Scope scope = Scope.open()) {
            gen = TextCompletion.complete(model.languageModel(), tok, model.embedImages(patches), prompts, k, maxTokens, temperature, seed);
        } catch (org.racro4j.core.NonFiniteException e) {
            throw e.atRow(e.row() / k);
        }
        List<List<Answer>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<Answer> row = new ArrayList<>(k);
            for (int j = 0; j < k; j++) {
                Generated g = gen.get(i * k + j);
                row.add(new Answer(text(g.tokens()), prompts.get(i), g.tokens(), g.stopped()));
            }
            out.add(row);
        }
        return out;
    }

    public String text(int[] tokens) {
        return TextCompletion.text(tok, tokens);
    }

    /**
     * Per-token log-probabilities (with autograd) of responses after contexts; image rows [N, P, F] go before each
     * context when given, none for text-only rows.
     */
    public TeacherForcing.Scores score(Tensor patches, List<int[]> contexts, List<int[]> responses, float temperature, boolean entropy) {
        Tensor prefix = patches == null ? null : model.embedImages(patches);
        return TeacherForcing.score(model.languageModel(), prefix, contexts, responses, temperature, entropy);
    }
}

package org.racro4j.training.roles;

import java.nio.file.Path;
import java.util.Set;

import org.racro4j.models.chat.PaperPrompts;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.training.text.Prompts;

/**
 * How a text-only reader is asked, in its own tokenizer: (description, question) to prompt ids, an answer to the ids
 * that write it, and the ids it generated back to the completion text the verifier reads. Captions travel between
 * models as text, so each reader tokenizes them itself and a reader with another vocabulary can be swapped in.
 *
 * <ul>
 *   <li>{@link Words}: the built-in tasks' word-level template ({@link Prompts#reasoner}) after BOS; the answer is the
 *       bare answer then EOS. The reasoners a run trains from scratch read this.</li>
 *   <li>{@link Chat}: one of the papers' prompts ({@link PaperPrompts.Prompt}, e.g. {@code racro-reasoner}) rendered
 *       with the checkpoint's chat template and a generation prompt, tokenized as Hugging Face's
 *       {@code apply_chat_template(tokenize=True)} does (the template writes any BOS itself). The answer is
 *       {@code \boxed{answer}} then the end-of-turn token, the form the paper prompt asks for.</li>
 * </ul>
 */
public sealed interface ReasonerPrompt {
    /** The name a config or command line uses for the word-level template. */
    String WORDS = "words";

    Tokenizer tokenizer();

    /** The prompt ids for reading {@code description} ("" = none) and answering {@code question}. */
    int[] promptIds(String description, String question);

    /** The ids of a response that gives {@code answer} and ends the turn (what SFT trains and probabilities score). */
    int[] answerIds(String answer);

    /** Generation ends at any of these. */
    Set<Integer> stopTokens();

    /** The response text of generated ids: everything before the first stop token, special tokens dropped. */
    default String completion(int[] generated) {
        return TextCompletion.textBefore(tokenizer(), generated, stopTokens());
    }

    /** What this prompt is, for logs and reports: "words" or e.g. "racro-reasoner (chat template)". */
    String describe();

    /**
     * The prompt a model directory is read with: {@code name} is "words" or a paper prompt that reads a caption; null
     * chooses by the tokenizer: a word-level one (a reasoner racro4j trained) reads words, any other the RACRO
     * reasoner prompt through the directory's chat template (ChatML when it has none).
     */
    static ReasonerPrompt forModel(Path dir, Tokenizer tok, String name) {
        String chosen = name != null ? name : tok instanceof WordLevelTokenizer ? WORDS : PaperPrompts.Prompt.RACRO_REASONER.configName();
        if (chosen.equals(WORDS)) return new Words(tok);
        return new Chat(ChatFormat.of(dir, tok), reader(chosen));
    }

    /** Checks a config's or command line's prompt name (null = chosen by the model). */
    static void checkName(String name) {
        if (name != null && !name.equals(WORDS)) reader(name);
    }

    private static PaperPrompts.Prompt reader(String name) {
        PaperPrompts.Prompt prompt = PaperPrompts.Prompt.named(name);
        if (!prompt.readsCaption()) {
            throw new IllegalArgumentException("prompt " + prompt.configName() + " writes a caption; a reasoner reads one (racro-reasoner, prco-solver or words)");
        }
        return prompt;
    }

    /** The word-level template: BOS + "question : {q} description : {d} answer :", answered by the bare answer + EOS. */
    record Words(Tokenizer tokenizer) implements ReasonerPrompt {
        @Override
        public int[] promptIds(String description, String question) {
            return TextCompletion.promptIds(tokenizer, Prompts.reasoner(description, question));
        }

        @Override
        public int[] answerIds(String answer) {
            return TextCompletion.endedWith(tokenizer, answer, tokenizer.specialTokens().eos());
        }

        @Override
        public Set<Integer> stopTokens() {
            return Set.of(tokenizer.specialTokens().eos());
        }

        @Override
        public String describe() {
            return WORDS;
        }
    }

    /** A paper prompt that reads a caption, through a checkpoint's chat format; the answer is written in {@code \boxed{}}. */
    record Chat(ChatFormat format, PaperPrompts.Prompt prompt) implements ReasonerPrompt {
        @Override
        public Tokenizer tokenizer() {
            return format.tokenizer();
        }

        @Override
        public int[] promptIds(String description, String question) {
            return format.promptIds(prompt.messages(description == null ? "" : description.strip(), question));
        }

        @Override
        public int[] answerIds(String answer) {
            return format.replyIds("\\boxed{" + answer + "}");
        }

        @Override
        public Set<Integer> stopTokens() {
            return format.stopTokens();
        }

        @Override
        public String completion(int[] generated) {
            return format.reply(generated);
        }

        @Override
        public String describe() {
            return prompt.configName() + " (" + format.describe() + ")";
        }
    }
}

package org.racro4j.training.roles;

import java.nio.file.Path;
import java.util.Set;

import org.racro4j.models.chat.PaperPrompts;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.training.text.Prompts;

/**
 * How the captioner is asked for a caption, in its decoder's tokenizer (the image tokens go before the prompt): a
 * question to prompt ids, a description to the ids that write it, generated ids back to caption text.
 *
 * <ul>
 *   <li>{@link Words}: the built-in tasks' word-level template ({@link Prompts#captioner}) after BOS, the caption then
 *       EOS. A captioner whose decoder is trained here from scratch reads this.</li>
 *   <li>{@link Chat}: RACRO's captioner prompt or PRCO's Observer prompt ({@link PaperPrompts.Prompt}) through a
 *       pretrained decoder's chat template, the caption then the end of the assistant's turn.</li>
 * </ul>
 */
public sealed interface CaptionerPrompt {
    Tokenizer tokenizer();

    int[] promptIds(String question);

    /** The ids of {@code description} as a caption, ending the caption (what SFT trains). */
    int[] captionIds(String description);

    /** Captions end at any of these. */
    Set<Integer> stopTokens();

    /** The caption text of generated ids: everything before the first stop token, special tokens dropped. */
    String caption(int[] generated);

    /** "words" or e.g. "racro-captioner (the checkpoint's chat template)". */
    String describe();

    /**
     * The prompt a captioner decoder is asked with: {@code name} is "words" or a paper prompt that writes a caption
     * (racro-captioner, prco-observer); null chooses by the tokenizer: words for a word-level one, else racro-captioner
     * through the chat template of {@code dir} (the decoder's checkpoint, or a captioner directory that carries it).
     */
    static CaptionerPrompt forModel(Path dir, Tokenizer tok, String name) {
        String chosen = name != null ? name : tok instanceof WordLevelTokenizer ? ReasonerPrompt.WORDS : PaperPrompts.Prompt.RACRO_CAPTIONER.configName();
        if (chosen.equals(ReasonerPrompt.WORDS)) return new Words(tok);
        return new Chat(ChatFormat.of(dir, tok), writer(chosen));
    }

    /** Checks a config's prompt name (null = chosen by the decoder's tokenizer). */
    static void checkName(String name) {
        if (name != null && !name.equals(ReasonerPrompt.WORDS)) writer(name);
    }

    private static PaperPrompts.Prompt writer(String name) {
        PaperPrompts.Prompt prompt = PaperPrompts.Prompt.named(name);
        if (prompt.readsCaption()) {
            throw new IllegalArgumentException("prompt " + prompt.configName() + " reads a caption; a captioner writes one (racro-captioner, prco-observer or words)");
        }
        return prompt;
    }

    /** BOS + "describe the image for the question : {q} do not answer it . description :", the caption + EOS. */
    record Words(Tokenizer tokenizer) implements CaptionerPrompt {
        @Override
        public int[] promptIds(String question) {
            return TextCompletion.promptIds(tokenizer, Prompts.captioner(question));
        }

        @Override
        public int[] captionIds(String description) {
            return TextCompletion.endedWith(tokenizer, description, tokenizer.specialTokens().eos());
        }

        @Override
        public Set<Integer> stopTokens() {
            return Set.of(tokenizer.specialTokens().eos());
        }

        @Override
        public String caption(int[] generated) {
            return TextCompletion.text(tokenizer, generated);
        }

        @Override
        public String describe() {
            return ReasonerPrompt.WORDS;
        }
    }

    /** A paper prompt that writes a caption, through a pretrained decoder's chat format. */
    record Chat(ChatFormat format, PaperPrompts.Prompt prompt) implements CaptionerPrompt {
        @Override
        public Tokenizer tokenizer() {
            return format.tokenizer();
        }

        @Override
        public int[] promptIds(String question) {
            return format.promptIds(prompt.messages(null, question));
        }

        @Override
        public int[] captionIds(String description) {
            return format.replyIds(description);
        }

        @Override
        public Set<Integer> stopTokens() {
            return format.stopTokens();
        }

        @Override
        public String caption(int[] generated) {
            return format.reply(generated);
        }

        @Override
        public String describe() {
            return prompt.configName() + " (" + format.describe() + ")";
        }
    }
}

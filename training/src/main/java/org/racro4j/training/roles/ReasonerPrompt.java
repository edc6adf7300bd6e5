package org.racro4j.training.roles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.racro4j.models.chat.ChatTemplate;
import org.racro4j.models.chat.Message;
import org.racro4j.models.chat.PaperPrompts;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
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
        int n = 0;
        while (n < generated.length && !stopTokens().contains(generated[n])) n++;
        return tokenizer().decode(Arrays.copyOf(generated, n), true).strip();
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
        PaperPrompts.Prompt prompt = PaperPrompts.Prompt.named(chosen);
        if (!prompt.readsCaption()) {
            throw new IllegalArgumentException("prompt " + prompt.configName() + " writes a caption; a reasoner reads one (racro-reasoner, prco-solver or words)");
        }
        return Chat.of(dir, tok, prompt);
    }

    /** Checks a config's or command line's prompt name (null = chosen by the model). */
    static void checkName(String name) {
        if (name == null || name.equals(WORDS)) return;
        PaperPrompts.Prompt prompt = PaperPrompts.Prompt.named(name);
        if (!prompt.readsCaption()) {
            throw new IllegalArgumentException("prompt " + prompt.configName() + " writes a caption; a reasoner reads one (racro-reasoner, prco-solver or words)");
        }
    }

    /** The word-level template: BOS + "question : {q} description : {d} answer :", answered by the bare answer + EOS. */
    record Words(Tokenizer tokenizer) implements ReasonerPrompt {
        @Override
        public int[] promptIds(String description, String question) {
            return TextCompletion.promptIds(tokenizer, Prompts.reasoner(description, question));
        }

        @Override
        public int[] answerIds(String answer) {
            return withEnd(tokenizer.encode(answer), tokenizer.specialTokens().eos());
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

    /**
     * A paper prompt through a chat template. {@code endOfTurn} is the token the template writes after an assistant
     * message; generation stops there, at the tokenizer's EOS and at generation_config.json's eos_token_id.
     */
    record Chat(Tokenizer tokenizer, ChatTemplate template, PaperPrompts.Prompt prompt, int endOfTurn, Set<Integer> stopTokens)
            implements ReasonerPrompt {
        /** Stands for the answer when finding what the template writes after one. */
        private static final String PROBE = "RACRO4J-ANSWER-PROBE";

        static Chat of(Path dir, Tokenizer tok, PaperPrompts.Prompt prompt) {
            ChatTemplate template = ChatTemplate.read(dir);
            int endOfTurn = endOfTurn(template, tok, dir);
            Set<Integer> stops = new LinkedHashSet<>();
            stops.add(endOfTurn);
            if (tok.specialTokens().eos() != null) stops.add(tok.specialTokens().eos());
            stops.addAll(generationEos(dir));
            return new Chat(tok, template, prompt, endOfTurn, Set.copyOf(stops));
        }

        @Override
        public int[] promptIds(String description, String question) {
            List<Message> messages = prompt.messages(description == null ? "" : description.strip(), question);
            return tokenizer.encode(template.render(messages, true));
        }

        @Override
        public int[] answerIds(String answer) {
            return withEnd(tokenizer.encode("\\boxed{" + answer + "}"), endOfTurn);
        }

        @Override
        public String describe() {
            return prompt.configName() + " (" + (template.isFallback() ? "built-in ChatML" : "the checkpoint's chat template") + ")";
        }

        /**
         * The first special token the template writes after an assistant message (ChatML's {@code <|im_end|>}, Llama 3's
         * {@code <|eot_id|>}), else the tokenizer's EOS: where an answer ends.
         */
        private static int endOfTurn(ChatTemplate template, Tokenizer tok, Path dir) {
            String text = template.render(List.of(Message.user("?"), Message.assistant(PROBE)), false);
            int at = text.lastIndexOf(PROBE);
            if (at >= 0) {
                for (int id : tok.encode(text.substring(at + PROBE.length()))) if (tok.isSpecial(id)) return id;
            }
            Integer eos = tok.specialTokens().eos();
            if (eos == null) {
                throw new IllegalArgumentException(dir + ": its chat template writes no special token after an answer and its tokenizer names no "
                        + "eos_token, so generation could not stop");
            }
            return eos;
        }

        /** generation_config.json's eos_token_id: a number or a list of numbers (none when the file is absent). */
        private static Set<Integer> generationEos(Path dir) {
            Path file = dir.resolve("generation_config.json");
            if (!Files.isRegularFile(file)) return Set.of();
            JsonNode eos = Tokenizers.readJson(file).path("eos_token_id");
            Set<Integer> ids = new LinkedHashSet<>();
            if (eos.isInt()) ids.add(eos.intValue());
            for (JsonNode e : eos) if (e.isInt()) ids.add(e.intValue());
            return ids;
        }
    }

    private static int[] withEnd(int[] body, int end) {
        int[] out = Arrays.copyOf(body, body.length + 1);
        out[body.length] = end;
        return out;
    }
}

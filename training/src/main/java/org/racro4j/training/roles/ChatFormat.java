package org.racro4j.training.roles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.racro4j.models.chat.ChatTemplate;
import org.racro4j.models.chat.Message;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;

/**
 * How a checkpoint's chat model reads and writes a turn: its chat template and tokenizer, the token that ends an
 * assistant turn, and every token generation stops at.
 *
 * @param endOfTurn  the first special token the template writes after an assistant message (ChatML's
 *                   {@code <|im_end|>}, Llama 3's {@code <|eot_id|>}), else the tokenizer's EOS
 * @param stopTokens the end of turn, the tokenizer's EOS and generation_config.json's eos_token_id
 */
public record ChatFormat(Tokenizer tokenizer, ChatTemplate template, int endOfTurn, Set<Integer> stopTokens) {
    /** Stands for the reply when finding what the template writes after one. */
    private static final String PROBE = "RACRO4J-REPLY-PROBE";

    /** The format of the checkpoint directory {@code dir} (its template, or ChatML when it has none) with its tokenizer. */
    public static ChatFormat of(Path dir, Tokenizer tok) {
        ChatTemplate template = ChatTemplate.read(dir);
        int endOfTurn = endOfTurn(template, tok, dir);
        Set<Integer> stops = new LinkedHashSet<>();
        stops.add(endOfTurn);
        if (tok.specialTokens().eos() != null) stops.add(tok.specialTokens().eos());
        stops.addAll(generationEos(dir));
        return new ChatFormat(tok, template, endOfTurn, Set.copyOf(stops));
    }

    /**
     * The ids of the conversation with the assistant's turn opened, as Hugging Face's
     * {@code apply_chat_template(messages, add_generation_prompt=True, tokenize=True)} gives them: the template writes
     * any BOS itself, so none is added.
     */
    public int[] promptIds(List<Message> messages) {
        return tokenizer.encode(template.render(messages, true));
    }

    /** The ids of an assistant reply and the end of its turn. */
    public int[] replyIds(String reply) {
        return TextCompletion.endedWith(tokenizer, reply, endOfTurn);
    }

    /** The reply text of generated ids: everything before the first stop token, special tokens dropped. */
    public String reply(int[] generated) {
        return TextCompletion.textBefore(tokenizer, generated, stopTokens);
    }

    /** "the checkpoint's chat template" or "built-in ChatML", for logs. */
    public String describe() {
        return template.isFallback() ? "built-in ChatML" : "the checkpoint's chat template";
    }

    private static int endOfTurn(ChatTemplate template, Tokenizer tok, Path dir) {
        String text = template.render(List.of(Message.user("?"), Message.assistant(PROBE)), false);
        int at = text.lastIndexOf(PROBE);
        if (at >= 0) {
            for (int id : tok.encode(text.substring(at + PROBE.length()))) if (tok.isSpecial(id)) return id;
        }
        Integer eos = tok.specialTokens().eos();
        if (eos == null) {
            throw new IllegalArgumentException(dir + ": its chat template writes no special token after a reply and its tokenizer names no "
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

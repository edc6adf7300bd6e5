package org.racro4j.models.chat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.racro4j.models.tokenizer.TokenizerFormatException;
import org.racro4j.models.tokenizer.Tokenizers;

/**
 * A checkpoint's chat template, rendered as Hugging Face's {@code tokenizer.apply_chat_template(messages,
 * tokenize=False, add_generation_prompt=...)} renders it: the Jinja2 text from the checkpoint, run with
 * {@code messages}, {@code add_generation_prompt}, {@code tools=None}, {@code documents=None}, the special tokens
 * the config names ({@code bos_token}, {@code eos_token}, {@code pad_token}, {@code unk_token}; a token the config
 * sets to null is left undefined, as in Hugging Face) and any extra variables (e.g. Qwen3's
 * {@code enable_thinking}).
 *
 * <p>Where the template comes from, in Hugging Face's order: a {@code chat_template.jinja} file in the checkpoint
 * directory; else a processor's {@code chat_template.json} (multimodal checkpoints such as Qwen2.5-VL keep it
 * there); else {@code "chat_template"} in {@code tokenizer_config.json}, either a string or a list of
 * {@code {"name", "template"}} entries (the entry named {@code "default"} unless another name is asked for). A
 * named template is looked up in tokenizer_config.json only.
 * <b>Only when the checkpoint has no template at all</b> does this class fall back to the built-in ChatML
 * template {@link #CHATML} (the one Hugging Face used as its class default before 4.43; Hugging Face itself now
 * refuses instead); {@link #isFallback()} says when that happened.
 *
 * <p>Immutable; several threads may render with one instance at once.
 */
public final class ChatTemplate {
    /** ChatML, as Hugging Face's former default: {@code <|im_start|>role\ncontent<|im_end|>\n} per message. */
    public static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' "
                                        + "+ message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
                                        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final String[] TOKEN_ROLES = {"bos_token", "eos_token", "pad_token", "unk_token"};

    private final JinjaTemplate template;
    private final Map<String, String> specialTokens;
    private final boolean fallback;

    private ChatTemplate(JinjaTemplate template, Map<String, String> specialTokens, boolean fallback) {
        this.template = template;
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.fallback = fallback;
    }

    /**
     * A template from its text.
     *
     * @param specialTokens e.g. {@code bos_token -> "<|begin_of_text|>"}; roles absent here are undefined
     * @throws TemplateException when the text does not parse
     */
    public static ChatTemplate of(String templateText, Map<String, String> specialTokens) {
        return new ChatTemplate(JinjaTemplate.parse(templateText, null), specialTokens, false);
    }

    /** The built-in ChatML template, with {@code <|im_end|>} as eos. */
    public static ChatTemplate chatMl() {
        return new ChatTemplate(JinjaTemplate.parse(CHATML, "built-in ChatML"), Map.of("eos_token", "<|im_end|>"),
                                true);
    }

    /** The checkpoint's default template; {@code checkpoint} is its directory or its tokenizer_config.json. */
    public static ChatTemplate read(Path checkpoint) {
        return read(checkpoint, null);
    }

    /**
     * The checkpoint's template named {@code name} (null: the default one).
     *
     * @throws TokenizerFormatException naming the file, when it cannot be read, is not JSON, has a
     *                                  {@code chat_template} of the wrong shape, or has no template of that name
     * @throws TemplateException        when the template text does not parse, naming the file, line and column
     */
    public static ChatTemplate read(Path checkpoint, String name) {
        Path dir = Files.isDirectory(checkpoint) ? checkpoint : checkpoint.toAbsolutePath().getParent();
        Path config = Files.isDirectory(checkpoint) ? checkpoint.resolve("tokenizer_config.json") : checkpoint;
        JsonNode root = Files.isRegularFile(config) ? Tokenizers.readJson(config) : null;
        if (root != null && !root.isObject()) {
            throw new TokenizerFormatException(config, "the top level is not a JSON object");
        }
        Map<String, String> tokens = root == null ? Map.of() : specialTokens(root);
        Path jinjaFile = dir.resolve("chat_template.jinja");
        if (name == null && Files.isRegularFile(jinjaFile)) {
            return new ChatTemplate(JinjaTemplate.parse(readText(jinjaFile), jinjaFile.toString()), tokens, false);
        }
        Path processorFile = dir.resolve("chat_template.json");
        if (name == null && Files.isRegularFile(processorFile)) {
            JsonNode processor = Tokenizers.readJson(processorFile);
            if (!processor.path("chat_template").isTextual()) {
                throw new TokenizerFormatException(processorFile, "needs a string \"chat_template\"");
            }
            return new ChatTemplate(JinjaTemplate.parse(processor.path("chat_template").textValue(),
                                                        processorFile.toString()), tokens, false);
        }
        if (root == null) {
            if (!Files.exists(checkpoint)) {
                throw new TokenizerFormatException(checkpoint, "does not exist");
            }
            if (name != null) {
                throw missingName(config, name, List.of());
            }
            return fallback(tokens);
        }
        JsonNode node = root.path("chat_template");
        if (node.isMissingNode() || node.isNull()) {
            if (name != null) {
                throw missingName(config, name, List.of());
            }
            return fallback(tokens);
        }
        if (node.isTextual()) {
            if (name != null && !name.equals("default")) {
                throw missingName(config, name, List.of("default"));
            }
            return new ChatTemplate(JinjaTemplate.parse(node.textValue(), config.toString()), tokens, false);
        }
        if (!node.isArray()) {
            throw new TokenizerFormatException(config, "\"chat_template\" must be a string or a list of "
                                                       + "{\"name\", \"template\"} objects, not " + node.getNodeType());
        }
        List<String> names = new ArrayList<>();
        String wanted = name == null ? "default" : name;
        String text = null;
        for (JsonNode entry : node) {
            if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
                throw new TokenizerFormatException(config, "each \"chat_template\" entry needs a string \"name\" and "
                                                           + "a string \"template\"");
            }
            names.add(entry.path("name").textValue());
            if (entry.path("name").textValue().equals(wanted)) {
                text = entry.path("template").textValue();
            }
        }
        if (text == null) {
            throw missingName(config, wanted, names);
        }
        return new ChatTemplate(JinjaTemplate.parse(text, config + " [" + wanted + "]"), tokens, false);
    }

    private static ChatTemplate fallback(Map<String, String> tokens) {
        Map<String, String> t = new LinkedHashMap<>(Map.of("eos_token", "<|im_end|>"));
        t.putAll(tokens);
        return new ChatTemplate(JinjaTemplate.parse(CHATML, "built-in ChatML"), t, true);
    }

    private static TokenizerFormatException missingName(Path config, String name, List<String> names) {
        return new TokenizerFormatException(config, "has no chat template named \"" + name + "\""
                                                   + (names.isEmpty() ? " (it has none)" : " (it has " + names + ")"));
    }

    private static Map<String, String> specialTokens(JsonNode root) {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String role : TOKEN_ROLES) {
            JsonNode v = root.path(role);
            if (v.isTextual()) {
                tokens.put(role, v.textValue());
            } else if (v.path("content").isTextual()) { // older files: {"__type": "AddedToken", "content": ...}
                tokens.put(role, v.path("content").textValue());
            }
        }
        return tokens;
    }


    private static String readText(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new TokenizerFormatException(file, "cannot be read: " + e, e);
        }
    }

    /** The conversation as the model reads it. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * The conversation as the model reads it, with extra template variables such as
     * {@code enable_thinking -> false} or {@code tools -> [...]}.
     */
    public String render(List<Message> messages, boolean addGenerationPrompt, Map<String, ?> extra) {
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (Message m : messages) {
            maps.add(m.toMap());
        }
        return renderMessages(maps, addGenerationPrompt, extra);
    }

    /**
     * The general form: messages as dicts, so they may carry more than role and content (Qwen3's
     * {@code reasoning_content}, {@code tool_calls} ...).
     */
    public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
                                 Map<String, ?> extra) {
        Map<String, Object> context = new LinkedHashMap<>(specialTokens);
        context.put("messages", messages);
        context.put("tools", null);
        context.put("documents", null);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.putAll(extra);
        return template.render(context);
    }

    /** Whether the checkpoint had no template and the built-in ChatML is used instead. */
    public boolean isFallback() {
        return fallback;
    }

    /** The special tokens passed to the template, by role ({@code bos_token} ...). */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** The template's Jinja2 text. */
    public String text() {
        return template.text();
    }
}

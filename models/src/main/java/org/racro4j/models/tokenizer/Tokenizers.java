package org.racro4j.models.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.racro4j.core.io.StrictJson;

/** Loads Hugging Face {@code tokenizer.json} files. */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * Reads a tokenizer.json and builds the tokenizer its {@code model.type} names: {@code "BPE"} (byte-level:
     * GPT-2, Qwen2, Llama 3 layouts) or {@code "WordLevel"} (the built-in tasks' {@link WordLevelTokenizer}).
     * When a {@code tokenizer_config.json} lies beside it, its {@code bos_token} / {@code eos_token} /
     * {@code pad_token} / {@code unk_token} decide {@link Tokenizer#specialTokens()}.
     *
     * @throws TokenizerFormatException naming the file and the problem, when the file cannot be read, is not
     *                                  JSON (or repeats a key), gives ids far beyond its number of tokens, would
     *                                  drop text (a byte-level vocabulary without every byte), or uses something
     *                                  this package does not implement
     */
    public static Tokenizer load(Path tokenizerJson) {
        TokenizerJson json = new TokenizerJson(tokenizerJson, readJson(tokenizerJson));
        if (!json.root.isObject()) {
            throw json.error("not a tokenizer.json: the top level is not a JSON object");
        }
        Map<String, String> roles = configuredRoles(tokenizerJson.resolveSibling("tokenizer_config.json"));
        String type = json.modelType();
        return switch (type) {
            case "BPE" -> BpeTokenizerReader.read(json, roles);
            case "WordLevel" -> WordLevelTokenizer.read(json, roles);
            default -> throw json.error("model type \"" + type + "\" is not supported (BPE and WordLevel are)");
        };
    }

    /**
     * A tokenizer or tokenizer-config JSON file, strictly: a repeated key (a token listed twice in the vocab, say) is an
     * error, not "the last one wins"; an unreadable or malformed file is a TokenizerFormatException naming it.
     */
    public static JsonNode readJson(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TokenizerFormatException(file, "cannot be read: " + e, e);
        }
        try {
            return StrictJson.parse(bytes);
        } catch (StrictJson.Problem p) {
            throw new TokenizerFormatException(file, p.getMessage(), p);
        }
    }

    /**
     * Role → token content from a tokenizer_config.json, if there is one. The values are strings or, in older
     * files, {@code {"content": "...", "__type": "AddedToken"}} objects.
     */
    private static Map<String, String> configuredRoles(Path config) {
        Map<String, String> roles = new HashMap<>();
        if (!Files.isRegularFile(config)) {
            return roles;
        }
        JsonNode root = readJson(config);
        for (String role : new String[] {"bos", "eos", "pad", "unk"}) {
            JsonNode value = root.path(role + "_token");
            if (value.isTextual()) {
                roles.put(role, value.asText());
            } else if (value.path("content").isTextual()) {
                roles.put(role, value.path("content").asText());
            }
        }
        return roles;
    }
}

package org.racro4j.models.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reading the parts of a Hugging Face tokenizer.json that every model type shares, with errors that name the
 * file and the field. Layout: {@code {"added_tokens": [...], "normalizer": ..., "pre_tokenizer": ...,
 * "post_processor": ..., "decoder": ..., "model": {"type": ..., ...}}}.
 */
final class TokenizerJson {
    final Path file;
    final JsonNode root;

    /**
     * How far ids may run past the number of tokens in the file. Ids index dense tables (id → token, id → bytes),
     * so an id of 10^9 would mean gigabytes of them; real files leave at most a few hundred ids unused (reserved
     * special tokens), so this is generous and still keeps the tables near the size of the vocabulary.
     */
    static final int MAX_UNUSED_IDS = 1 << 16;

    TokenizerJson(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    /** One past the highest id accepted: the file's token count (vocab entries + added tokens) plus the slack. */
    private long idLimit() {
        JsonNode vocab = optional(model(), "vocab");
        JsonNode added = optional(root, "added_tokens");
        return (long) (vocab == null ? 0 : vocab.size()) + (added == null ? 0 : added.size()) + MAX_UNUSED_IDS;
    }

    private void checkIdLimit(String where, int id) {
        long limit = idLimit();
        if (id >= limit) {
            throw error(where + " has the id " + id + ", far beyond the file's tokens (ids must be below " + limit + ")");
        }
    }

    TokenizerFormatException error(String problem) {
        return new TokenizerFormatException(file, problem);
    }

    /** A member that may be absent or JSON null (both read as absent). */
    static JsonNode optional(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value;
    }

    JsonNode model() {
        JsonNode model = optional(root, "model");
        if (model == null || !model.isObject()) {
            throw error("no \"model\" object");
        }
        return model;
    }

    String modelType() {
        JsonNode type = optional(model(), "type");
        if (type == null || !type.isTextual()) {
            throw error("model has no \"type\" (expected \"BPE\" or \"WordLevel\")");
        }
        return type.asText();
    }

    boolean flag(JsonNode node, String field, boolean absent, String where) {
        JsonNode value = optional(node, field);
        if (value == null) {
            return absent;
        }
        if (!value.isBoolean()) {
            throw error(where + "." + field + " is not a boolean: " + value);
        }
        return value.booleanValue();
    }

    /** {@code model.vocab}: token → id, ids non-negative and distinct. */
    Map<String, Integer> vocab() {
        JsonNode vocab = optional(model(), "vocab");
        if (vocab == null || !vocab.isObject()) {
            throw error("model has no \"vocab\" object");
        }
        Map<String, Integer> result = new LinkedHashMap<>(vocab.size() * 2);
        Map<Integer, String> byId = new HashMap<>(vocab.size() * 2);
        for (Map.Entry<String, JsonNode> entry : vocab.properties()) {
            JsonNode id = entry.getValue();
            if (!id.canConvertToInt() || !id.isIntegralNumber() || id.intValue() < 0) {
                throw error("model.vocab gives token " + quote(entry.getKey()) + " the id " + id
                        + ", not a non-negative integer");
            }
            checkIdLimit("model.vocab token " + quote(entry.getKey()), id.intValue());
            String other = byId.put(id.intValue(), entry.getKey());
            if (other != null) {
                throw error("model.vocab gives id " + id.intValue() + " to both " + quote(other) + " and "
                        + quote(entry.getKey()));
            }
            result.put(entry.getKey(), id.intValue());
        }
        return result;
    }

    /**
     * {@code added_tokens}. A token whose content is also in the model vocabulary must carry the same id there
     * (Hugging Face refuses the file otherwise); tokens with empty content are ignored, as Hugging Face does.
     */
    List<AddedToken> addedTokens(Map<String, Integer> vocab) {
        List<AddedToken> tokens = new ArrayList<>();
        JsonNode list = optional(root, "added_tokens");
        if (list == null) {
            return tokens;
        }
        if (!list.isArray()) {
            throw error("\"added_tokens\" is not an array");
        }
        for (JsonNode entry : list) {
            JsonNode id = optional(entry, "id");
            JsonNode content = optional(entry, "content");
            // canConvertToInt: an id of 2^32 + 5 must not be read as 5.
            if (id == null || !id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0 || content == null
                    || !content.isTextual()) {
                throw error("added_tokens entry without a non-negative \"id\" and a string \"content\": " + entry);
            }
            checkIdLimit("added token " + quote(content.asText()), id.intValue());
            if (content.asText().isEmpty()) {
                continue;
            }
            Integer inVocab = vocab.get(content.asText());
            if (inVocab != null && inVocab != id.intValue()) {
                throw error("added token " + quote(content.asText()) + " has id " + id.intValue()
                        + " but the model vocab gives it " + inVocab);
            }
            String where = "added token " + quote(content.asText());
            tokens.add(new AddedToken(id.intValue(), content.asText(),
                    flag(entry, "single_word", false, where),
                    flag(entry, "lstrip", false, where),
                    flag(entry, "rstrip", false, where),
                    flag(entry, "normalized", true, where),
                    flag(entry, "special", false, where)));
        }
        return tokens;
    }

    /** Whether the normalizer is NFC; absent means none. Anything else is refused. */
    boolean nfcNormalizer() {
        JsonNode normalizer = optional(root, "normalizer");
        if (normalizer == null) {
            return false;
        }
        List<JsonNode> steps = new ArrayList<>();
        if ("Sequence".equals(normalizer.path("type").asText())) {
            normalizer.path("normalizers").forEach(steps::add);
        } else {
            steps.add(normalizer);
        }
        for (JsonNode step : steps) {
            if (!"NFC".equals(step.path("type").asText())) {
                throw error("normalizer " + step + " is not supported (only none, NFC, or a Sequence of NFC)");
            }
        }
        return !steps.isEmpty();
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F) {
                out.append(String.format("\\u%04x", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.append('"').toString();
    }
}

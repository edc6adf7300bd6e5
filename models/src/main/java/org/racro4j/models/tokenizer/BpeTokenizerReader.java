package org.racro4j.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Builds a {@link BpeTokenizer} from a tokenizer.json whose model is {@code "BPE"}. Only byte-level files are
 * accepted (a ByteLevel pre-tokenizer and decoder); SentencePiece-style BPE ({@code byte_fallback},
 * Metaspace, {@code continuing_subword_prefix}) is refused with the reason rather than tokenized wrongly.
 */
final class BpeTokenizerReader {
    private BpeTokenizerReader() {}

    static BpeTokenizer read(TokenizerJson json, Map<String, String> configuredRoles) {
        JsonNode model = json.model();
        if (json.flag(model, "byte_fallback", false, "model")) {
            throw json.error("model.byte_fallback=true (SentencePiece-style BPE) is not supported; only byte-level BPE is");
        }
        for (String affix : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            JsonNode value = TokenizerJson.optional(model, affix);
            if (value != null && !value.asText().isEmpty()) {
                throw json.error("model." + affix + "=" + value + " is not supported; byte-level BPE files leave it empty");
            }
        }
        JsonNode dropout = TokenizerJson.optional(model, "dropout");
        if (dropout != null && dropout.asDouble() != 0.0) {
            throw json.error("model.dropout=" + dropout + " is not supported: encoding would not be deterministic");
        }

        Map<String, Integer> vocab = json.vocab();
        MergeTable merges = merges(json, vocab);
        Integer unkId = null;
        JsonNode unk = TokenizerJson.optional(model, "unk_token");
        if (unk != null) {
            unkId = vocab.get(unk.asText());
            if (unkId == null) {
                throw json.error("model.unk_token " + TokenizerJson.quote(unk.asText()) + " is not in model.vocab");
            }
        }
        checkEveryByteHasAToken(json, vocab, unkId);
        BpeModel bpe = new BpeModel(vocab, merges, unkId,
                json.flag(model, "fuse_unk", false, "model"),
                json.flag(model, "ignore_merges", false, "model"));

        List<AddedToken> added = json.addedTokens(vocab);
        boolean nfc = json.nfcNormalizer();
        PreTokenizer preTokenizer = preTokenizer(json);
        checkDecoder(json);
        return new BpeTokenizer(bpe, vocab, added, nfc, preTokenizer, configuredRoles, unkId);
    }

    /**
     * Byte-level BPE starts from one token per byte; a byte whose token is missing is dropped from the ids without
     * a trace (that is what Hugging Face does without an unk_token), so any text containing it would be encoded
     * as if it were not there. Such a vocabulary is refused unless it names an unk_token, in which case the missing
     * bytes become that token, visibly, as in Hugging Face.
     */
    private static void checkEveryByteHasAToken(TokenizerJson json, Map<String, Integer> vocab, Integer unkId) {
        if (unkId != null) {
            return;
        }
        List<String> missing = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            String token = String.valueOf(ByteLevel.charOf(b));
            if (!vocab.containsKey(token)) {
                missing.add(String.format("0x%02X (token %s)", b, TokenizerJson.quote(token)));
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String list = String.join(", ", missing.subList(0, Math.min(8, missing.size())))
                + (missing.size() > 8 ? ", and " + (missing.size() - 8) + " more" : "");
        throw json.error("model.vocab has no token for " + missing.size() + " of the 256 bytes: " + list
                + "; text containing them would silently lose them (byte-level BPE needs all 256, or a model.unk_token)");
    }

    /**
     * {@code model.merges}: "left right" strings (older files) or ["left", "right"] arrays (newer ones). Rank is
     * the position in the list; when a pair is listed twice the later rank stands, as in Hugging Face's map.
     */
    private static MergeTable merges(TokenizerJson json, Map<String, Integer> vocab) {
        JsonNode list = TokenizerJson.optional(json.model(), "merges");
        if (list == null) {
            return new MergeTable(0);
        }
        if (!list.isArray()) {
            throw json.error("model.merges is not an array");
        }
        MergeTable merges = new MergeTable(list.size());
        int rank = 0;
        for (JsonNode entry : list) {
            String left;
            String right;
            if (entry.isTextual()) {
                String[] parts = entry.asText().split(" ", -1);
                if (parts.length != 2) {
                    throw json.error("model.merges[" + rank + "] " + TokenizerJson.quote(entry.asText())
                            + " is not two tokens separated by one space");
                }
                left = parts[0];
                right = parts[1];
            } else if (entry.isArray() && entry.size() == 2 && entry.get(0).isTextual() && entry.get(1).isTextual()) {
                left = entry.get(0).asText();
                right = entry.get(1).asText();
            } else {
                throw json.error("model.merges[" + rank + "] is neither \"a b\" nor [\"a\", \"b\"]: " + entry);
            }
            Integer leftId = vocab.get(left);
            Integer rightId = vocab.get(right);
            Integer mergedId = vocab.get(left + right);
            for (String token : new String[] {left, right, left + right}) {
                if (vocab.get(token) == null) {
                    throw json.error("model.merges[" + rank + "] (" + TokenizerJson.quote(left) + ", "
                            + TokenizerJson.quote(right) + ") uses " + TokenizerJson.quote(token)
                            + ", which is not in model.vocab");
                }
            }
            merges.put(leftId, rightId, rank, mergedId);
            rank++;
        }
        return merges;
    }

    /** ByteLevel, or a Sequence of Split steps (Isolated, not inverted) ending with ByteLevel. */
    private static PreTokenizer preTokenizer(TokenizerJson json) {
        JsonNode node = TokenizerJson.optional(json.root, "pre_tokenizer");
        if (node == null) {
            throw json.error("no pre_tokenizer: byte-level BPE needs a ByteLevel pre-tokenizer");
        }
        List<JsonNode> steps = new ArrayList<>();
        if ("Sequence".equals(node.path("type").asText())) {
            node.path("pretokenizers").forEach(steps::add);
        } else {
            steps.add(node);
        }
        if (steps.isEmpty() || !"ByteLevel".equals(steps.get(steps.size() - 1).path("type").asText())) {
            throw json.error("pre_tokenizer " + node + " is not supported: expected ByteLevel, or a Sequence of "
                    + "Split steps ending with ByteLevel");
        }
        List<Pattern> splits = new ArrayList<>();
        for (JsonNode step : steps.subList(0, steps.size() - 1)) {
            splits.add(split(json, step));
        }
        JsonNode byteLevel = steps.get(steps.size() - 1);
        return new PreTokenizer(splits,
                json.flag(byteLevel, "add_prefix_space", true, "pre_tokenizer ByteLevel"),
                json.flag(byteLevel, "use_regex", true, "pre_tokenizer ByteLevel"));
    }

    private static Pattern split(TokenizerJson json, JsonNode step) {
        String type = step.path("type").asText();
        if (!"Split".equals(type)) {
            throw json.error("pre_tokenizer step " + step + " is not supported (only Split before ByteLevel)");
        }
        if (!"Isolated".equals(step.path("behavior").asText())) {
            throw json.error("Split behavior " + step.path("behavior") + " is not supported (only Isolated)");
        }
        if (json.flag(step, "invert", false, "pre_tokenizer Split")) {
            throw json.error("Split with invert=true is not supported");
        }
        JsonNode pattern = step.path("pattern");
        if (pattern.path("Regex").isTextual()) {
            try {
                return SplitRegex.compile(pattern.path("Regex").asText());
            } catch (PatternSyntaxException e) {
                throw new TokenizerFormatException(json.file, "Split regex " + pattern.path("Regex")
                        + " cannot be compiled: " + e.getDescription(), e);
            }
        }
        if (pattern.path("String").isTextual()) {
            return SplitRegex.literal(pattern.path("String").asText());
        }
        throw json.error("Split pattern " + pattern + " is neither {\"Regex\": ...} nor {\"String\": ...}");
    }

    /** The decoder must be ByteLevel: it is what turns byte-level tokens back into text. */
    private static void checkDecoder(TokenizerJson json) {
        JsonNode decoder = TokenizerJson.optional(json.root, "decoder");
        if (decoder == null || !"ByteLevel".equals(decoder.path("type").asText())) {
            throw json.error("decoder " + decoder + " is not supported: byte-level BPE needs the ByteLevel decoder");
        }
    }
}

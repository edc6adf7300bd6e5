package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

import org.racro4j.core.io.FuzzRuns;
import org.racro4j.core.io.ParserContract;

/**
 * Fuzzes tokenizer.json loading: arbitrary bytes, and a valid byte-level BPE file (every byte has a token, a few
 * merges, added tokens) with one to four random edits anywhere in its JSON tree — a value replaced by one of
 * another type or by a hostile number, a key removed, an array element added. A tokenizer that loads must encode
 * any text into ids below its vocabulary size, without an exception, and decode those ids back to the text when the
 * edits left the byte-level pipeline alone.
 */
class TokenizerJsonFuzzTest {
    private static final List<String> TEXTS = List.of("hello world", "a\tb\n  c", "naïve 日本 🙂", "<|end|>x<|end|>", "", "   ", "12345 6");

    @Test
    void arbitraryBytesAreRefusedClearly() {
        FuzzRuns.run("arbitrary bytes", r -> load(FuzzRuns.bytes(r, 120)));
    }

    @Test
    void anEditedFileIsRefusedClearlyOrEncodesEveryText() {
        FuzzRuns.run("edited tokenizers", r -> {
            ObjectNode root = valid();
            for (int i = r.nextInt(5); i > 0; i--) edit(root, r);
            Tokenizer tok = load(TinyTokenizerJson.JSON.writeValueAsBytes(root));
            if (tok == null) return;
            for (String text : TEXTS) {
                int[] ids = tok.encode(text);
                for (int id : ids) assertTrue(id >= 0 && id < tok.vocabSize(), "id " + id + " of " + text + " outside [0, " + tok.vocabSize() + ")");
                if (root.equals(valid())) assertEquals(text, tok.decode(ids), "round trip of " + text);
            }
        });
    }

    /** A byte-level BPE file over all 256 byte tokens, four merges and two added tokens. */
    static ObjectNode valid() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        vocab.put("he", 256);
        vocab.put("ll", 257);
        vocab.put("hell", 258);
        vocab.put("Ġw", 259);
        ObjectNode root = TinyTokenizerJson.bpe(vocab, "h e", "l l", "he ll", "Ġ w");
        ArrayNode added = (ArrayNode) root.get("added_tokens");
        added.addObject().put("id", 260).put("content", "<|end|>").put("single_word", false).put("lstrip", false).put("rstrip", false)
                .put("normalized", false).put("special", true);
        added.addObject().put("id", 261).put("content", "<pad>").put("single_word", false).put("lstrip", false).put("rstrip", false)
                .put("normalized", false).put("special", true);
        return root;
    }

    private static final List<JsonNode> HOSTILE = List.of(TextNode.valueOf("x"), TinyTokenizerJson.JSON.getNodeFactory().numberNode(-1),
            TinyTokenizerJson.JSON.getNodeFactory().numberNode(1_000_000_000), TinyTokenizerJson.JSON.getNodeFactory().numberNode(2.5),
            TinyTokenizerJson.JSON.getNodeFactory().nullNode(), TinyTokenizerJson.JSON.getNodeFactory().booleanNode(true),
            TinyTokenizerJson.JSON.createArrayNode(), TinyTokenizerJson.JSON.createObjectNode(), TextNode.valueOf("Split"),
            TextNode.valueOf("h"), TextNode.valueOf("a b c"), TinyTokenizerJson.JSON.getNodeFactory().numberNode(259));

    /** One random edit somewhere in the tree: replace a value, remove a key or element, or append an element. */
    private static void edit(JsonNode root, SplittableRandom r) {
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        JsonNode c = containers.get(r.nextInt(containers.size()));
        JsonNode value = HOSTILE.get(r.nextInt(HOSTILE.size())).deepCopy();
        if (c instanceof ObjectNode o && o.size() > 0) {
            List<String> keys = new ArrayList<>();
            o.fieldNames().forEachRemaining(keys::add);
            String key = keys.get(r.nextInt(keys.size()));
            if (r.nextInt(4) == 0) o.remove(key);
            else o.set(key, value);
        } else if (c instanceof ArrayNode a) {
            if (a.size() > 0 && r.nextBoolean()) a.set(r.nextInt(a.size()), value);
            else a.add(value);
        }
    }

    private static void collect(JsonNode n, List<JsonNode> out) {
        if (n.isContainerNode()) {
            out.add(n);
            for (JsonNode child : n) collect(child, out);
        }
    }

    private static Tokenizer load(byte[] bytes) throws IOException {
        Path file = Files.createTempFile("tokenizer-fuzz", ".json");
        try {
            Files.write(file, bytes);
            return ParserContract.check(file, () -> Tokenizers.load(file));
        } finally {
            Files.delete(file);
        }
    }
}

package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refused file names itself and the problem; decoding an unknown id names the id and the vocab size. */
class MalformedFilesTest {
    @TempDir
    Path dir;

    static ObjectNode tiny() {
        return TinyTokenizerJson.bpe(Map.of("a", 0, "b", 1, "ab", 2), "a b");
    }

    /** Loads {@code json} (an ObjectNode, or raw text) and checks that the error names the file and the problem. */
    void assertRefused(Object json, String... problem) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        if (json instanceof String text) {
            Files.writeString(file, text);
        } else {
            TinyTokenizerJson.write(dir, "tokenizer.json", json);
        }
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(file));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        for (String part : problem) {
            assertTrue(e.getMessage().contains(part), () -> "\"" + part + "\" missing from: " + e.getMessage());
        }
    }

    @Test
    void theTinyFileItselfLoads() {
        Tokenizer t = Tokenizers.load(TinyTokenizerJson.write(dir, "tokenizer.json", tiny()));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2}, t.encode("ab"));
    }

    @Test
    void notJson() throws IOException {
        assertRefused("{\"model\": {\"type\": \"BPE\",", "not valid JSON");
        assertRefused("[1, 2]", "top level is not a JSON object");
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("absent.json");
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(file));
        assertTrue(e.getMessage().startsWith(file + ": cannot be read"), e.getMessage());
    }

    @Test
    void missingOrUnknownModel() throws IOException {
        ObjectNode json = tiny();
        json.remove("model");
        assertRefused(json, "no \"model\"");
        json = tiny();
        ((ObjectNode) json.get("model")).put("type", "Unigram");
        assertRefused(json, "model type \"Unigram\" is not supported");
        json = tiny();
        ((ObjectNode) json.get("model")).remove("type");
        assertRefused(json, "model has no \"type\"");
    }

    @Test
    void mergesWithUnknownTokens() throws IOException {
        assertRefused(TinyTokenizerJson.bpe(Map.of("a", 0, "b", 1, "ab", 2), "a c"),
                "merges[0]", "\"c\"", "not in model.vocab");
        // Both halves known, but the merged token is missing.
        assertRefused(TinyTokenizerJson.bpe(Map.of("a", 0, "b", 1, "ab", 2), "a b", "b a"),
                "merges[1]", "\"ba\"", "not in model.vocab");
        assertRefused(TinyTokenizerJson.bpe(Map.of("a", 0, "b", 1), "a b c"), "not two tokens");
    }

    @Test
    void unsupportedParts() throws IOException {
        ObjectNode json = tiny();
        json.putObject("normalizer").put("type", "Lowercase");
        assertRefused(json, "normalizer", "Lowercase", "not supported");

        json = tiny();
        json.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "▁");
        assertRefused(json, "pre_tokenizer", "Metaspace", "not supported");

        json = tiny();
        ObjectNode pre = json.putObject("pre_tokenizer").put("type", "Sequence");
        pre.putArray("pretokenizers").addObject().put("type", "Split").put("behavior", "Removed").put("invert", false)
                .putObject("pattern").put("Regex", "\\s+");
        ((com.fasterxml.jackson.databind.node.ArrayNode) pre.get("pretokenizers")).addObject().put("type", "ByteLevel");
        assertRefused(json, "Split behavior", "Removed");

        json = tiny();
        ((ObjectNode) json.get("model")).put("byte_fallback", true);
        assertRefused(json, "byte_fallback");

        json = tiny();
        ((ObjectNode) json.get("model")).put("continuing_subword_prefix", "##");
        assertRefused(json, "continuing_subword_prefix");

        json = tiny();
        json.putObject("decoder").put("type", "Metaspace");
        assertRefused(json, "decoder", "ByteLevel decoder");
    }

    @Test
    void addedTokenClashingWithTheVocab() throws IOException {
        ObjectNode json = tiny();
        json.putArray("added_tokens").addObject().put("id", 5).put("content", "ab").put("special", true);
        assertRefused(json, "added token \"ab\" has id 5 but the model vocab gives it 2");
    }

    @Test
    void decodingAnIdOutOfRange() {
        Tokenizer t = Tokenizers.load(TinyTokenizerJson.write(dir, "tokenizer.json", tiny()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {0, 7}));
        assertTrue(e.getMessage().contains("token id 7") && e.getMessage().contains("vocab size 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {-1}));
        assertTrue(e.getMessage().contains("token id -1") && e.getMessage().contains("vocab size 3"), e.getMessage());
    }
}

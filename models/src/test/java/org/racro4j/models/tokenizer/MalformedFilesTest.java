package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertRefused(TinyTokenizerJson.bpe(Map.of("a", 0, "b", 1, "ab", 2), "a cd"),
                "merges[0]", "uses \"cd\"", "not in model.vocab");
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
    void aVocabularyMissingBytesIsRefused() throws IOException {
        // Today this loads, and every space, newline and most letters vanish from the ids.
        assertRefused(TinyTokenizerJson.bpeAsIs(Map.of("a", 0, "b", 1, "ab", 2), "a b"),
                "model.vocab has no token for 254 of the 256 bytes: 0x00 (token \"\u0100\"), 0x01 (token \"\u0101\"), "
                        + "0x02 (token \"\u0102\"), 0x03 (token \"\u0103\"), 0x04 (token \"\u0104\"), 0x05 (token \"\u0105\"), "
                        + "0x06 (token \"\u0106\"), 0x07 (token \"\u0107\"), and 246 more; text containing them would "
                        + "silently lose them (byte-level BPE needs all 256, or a model.unk_token)");
        // One byte missing: the space, whose token is "Ġ".
        ObjectNode json = tiny();
        ((ObjectNode) json.get("model").get("vocab")).remove("\u0120");
        assertRefused(json, "no token for 1 of the 256 bytes: 0x20 (token \"\u0120\");");
    }

    @Test
    void anIdFarBeyondTheTokensIsRefusedBeforeAllocating() throws IOException {
        // Today: tables of 10^9 entries are allocated (an OutOfMemoryError, or gigabytes of heap).
        ObjectNode json = tiny();
        ((ObjectNode) json.get("model").get("vocab")).put("ab", 1_000_000_000);
        assertRefused(json, "model.vocab token \"ab\" has the id 1000000000, far beyond the file's tokens (ids must be below 65793)");
        json = tiny();
        json.putArray("added_tokens").addObject().put("id", 1_000_000_000).put("content", "<|end|>").put("special", true);
        assertRefused(json, "added token \"<|end|>\" has the id 1000000000, far beyond the file's tokens (ids must be below 65794)");
        // An id that does not fit an int is refused as such, not wrapped (2^32 + 5 is not 5).
        json = tiny();
        json.putArray("added_tokens").addObject().put("id", (1L << 32) + 5).put("content", "<|end|>").put("special", true);
        assertRefused(json, "added_tokens entry without a non-negative \"id\"");
    }

    @Test
    void aRepeatedKeyIsRefused() throws IOException {
        // Jackson keeps the last "a": which id "a" encodes to would depend on the order of the keys.
        String text = TinyTokenizerJson.JSON.writeValueAsString(tiny()).replace("\"vocab\":{", "\"vocab\":{\"a\":7,");
        assertRefused(text, "the key \"a\" appears twice in the object at /model/vocab (line 1, column");
        assertRefused("{\"model\": {\"type\": \"BPE\"}, \"model\": {}}", "the key \"model\" appears twice in the top-level object");
    }

    @Test
    void aFileThatIsNotUtf8IsRefused() throws IOException {
        Path file = TinyTokenizerJson.write(dir, "tokenizer.json", tiny());
        byte[] bytes = Files.readAllBytes(file);
        int at = TinyTokenizerJson.JSON.writeValueAsString(tiny()).indexOf("\"ab\"") + 1;
        bytes[at] = (byte) 0xE1;   // a Latin-1 'á' in place of the token's 'a'
        Files.write(file, bytes);
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(file));
        assertEquals(file + ": not UTF-8: byte 0xE1 at offset " + at + " (line 1) is not valid UTF-8", e.getMessage());
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
        // a, b, ab and the other 254 bytes: ids 0..256.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {0, 257}));
        assertTrue(e.getMessage().contains("token id 257") && e.getMessage().contains("vocab size 257"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {-1}));
        assertTrue(e.getMessage().contains("token id -1") && e.getMessage().contains("vocab size 257"), e.getMessage());
    }
}

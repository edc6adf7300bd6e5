package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordLevelTokenizerTest {
    @TempDir
    Path dir;

    static WordLevelTokenizer shapes() {
        return WordLevelTokenizer.of(List.of("the", "red", "circle", "is", "left", "of", "blue", "square", "the"),
                List.of("<image>"));
    }

    @Test
    void idsFollowSpecialsThenWords() {
        WordLevelTokenizer t = shapes();
        assertEquals(0, t.tokenId("<pad>"));
        assertEquals(1, t.tokenId("<unk>"));
        assertEquals(2, t.tokenId("<bos>"));
        assertEquals(3, t.tokenId("<eos>"));
        assertEquals(4, t.tokenId("<image>"));
        assertEquals(5, t.tokenId("the"));
        assertEquals(12, t.tokenId("square"));
        assertEquals(13, t.vocabSize(), "the repeated \"the\" keeps its first id");
        SpecialTokens s = t.specialTokens();
        assertEquals(List.of(2, 3, 0, 1), List.of(s.bos(), s.eos(), s.pad(), s.unk()));
        assertEquals(4, s.id("<image>"));
    }

    @Test
    void encodesWordsSplitOnAnyWhitespace() {
        WordLevelTokenizer t = shapes();
        assertArrayEquals(new int[] {5, 6, 7, 8, 9, 10, 5, 11, 12}, t.encode("the red circle\tis  left\nof the\u00a0blue square"));
        assertArrayEquals(new int[] {}, t.encode("  \n "));
    }

    @Test
    void unknownWordsBecomeUnk() {
        assertArrayEquals(new int[] {5, 1, 7}, shapes().encode("the green circle"));
        assertArrayEquals(new int[] {1}, shapes().encode("Red"), "the vocabulary is case-sensitive");
    }

    @Test
    void specialTokensAreMatchedInsideWords() {
        // As with Hugging Face's added tokens: "<image>the" is two tokens, not one unknown word.
        assertArrayEquals(new int[] {2, 4, 5, 6, 7, 3}, shapes().encode("<bos><image>the red circle<eos>"));
    }

    @Test
    void decodeJoinsWithSpaces() {
        WordLevelTokenizer t = shapes();
        int[] ids = t.encode("<bos> the red  circle <eos> <pad> <pad>");
        assertEquals("<bos> the red circle <eos> <pad> <pad>", t.decode(ids));
        assertEquals("the red circle", t.decode(ids, true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {13}));
        assertTrue(e.getMessage().contains("token id 13") && e.getMessage().contains("vocab size 13"), e.getMessage());
    }

    @Test
    void saveThenLoadGivesTheSameTokenizer() throws IOException {
        WordLevelTokenizer t = shapes();
        Path file = dir.resolve("model").resolve("tokenizer.json");
        t.save(file);

        // The file is Hugging Face's layout, so `tokenizers` can read it too.
        JsonNode json = TinyTokenizerJson.JSON.readTree(file.toFile());
        assertEquals("WordLevel", json.path("model").path("type").asText());
        assertEquals("<unk>", json.path("model").path("unk_token").asText());
        assertEquals("WhitespaceSplit", json.path("pre_tokenizer").path("type").asText());
        assertTrue(json.path("decoder").isNull());
        assertEquals(5, json.path("added_tokens").size());
        assertTrue(json.path("added_tokens").get(4).path("special").asBoolean());

        WordLevelTokenizer loaded = assertInstanceOf(WordLevelTokenizer.class, Tokenizers.load(file));
        assertEquals(t.vocab(), loaded.vocab());
        assertEquals(List.copyOf(t.vocab().keySet()), List.copyOf(loaded.vocab().keySet()), "same id order");
        assertEquals(t.specials(), loaded.specials());
        assertEquals(t.specialTokens(), loaded.specialTokens());
        for (String text : List.of("<bos> the blue square is left of the red circle <eos>", "a<image>b", "")) {
            assertArrayEquals(t.encode(text), loaded.encode(text));
            assertEquals(t.decode(t.encode(text)), loaded.decode(loaded.encode(text)));
        }
    }

    @Test
    void refusesWordsThatTheSplitCouldNeverProduce() {
        assertThrows(IllegalArgumentException.class, () -> WordLevelTokenizer.of(List.of("two words")));
        assertThrows(IllegalArgumentException.class, () -> WordLevelTokenizer.of(List.of("")));
        assertFalse(WordLevelTokenizer.of(List.of("ok")).isSpecial(4));
    }
}

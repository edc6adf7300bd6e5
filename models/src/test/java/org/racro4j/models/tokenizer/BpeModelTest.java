package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Merge order, merges in both JSON spellings, ignore_merges and unknown bytes, on tiny vocabularies. */
class BpeModelTest {
    @TempDir
    Path dir;

    static Map<String, Integer> vocab(String... tokens) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String t : tokens) {
            vocab.put(t, vocab.size());
        }
        return vocab;
    }

    static ObjectNode model(ObjectNode json) {
        return (ObjectNode) json.get("model");
    }

    Tokenizer load(ObjectNode json) {
        return Tokenizers.load(TinyTokenizerJson.write(dir, "tokenizer.json", json));
    }

    @Test
    void lowestRankMergesFirst() {
        Map<String, Integer> v = vocab("a", "b", "c", "ab", "bc", "abc");
        // "b c" ranks first, so "abc" is a + bc, then a + bc merges.
        assertArrayEquals(new int[] {5}, load(TinyTokenizerJson.bpe(v, "b c", "a b", "a bc")).encode("abc"));
        // Without "a bc" it stops at a, bc even though "a b" is listed.
        assertArrayEquals(new int[] {0, 4}, load(TinyTokenizerJson.bpe(v, "b c", "a b")).encode("abc"));
        // The other order: ab first, and then only "ab c" could continue.
        assertArrayEquals(new int[] {3, 2}, load(TinyTokenizerJson.bpe(v, "a b", "b c")).encode("abc"));
    }

    @Test
    void equalRanksMergeLeftmostFirst() {
        Map<String, Integer> v = vocab("a", "aa");
        // "aaa": the pair at position 0 merges first, leaving the third "a" alone.
        assertArrayEquals(new int[] {1, 0}, load(TinyTokenizerJson.bpe(v, "a a")).encode("aaa"));
        assertArrayEquals(new int[] {1, 1, 0}, load(TinyTokenizerJson.bpe(v, "a a")).encode("aaaaa"));
    }

    @Test
    void mergesAsArraysReadLikeStrings() {
        Map<String, Integer> v = vocab("a", "b", "c", "ab", "bc", "abc");
        ObjectNode json = TinyTokenizerJson.bpe(v);
        var merges = model(json).putArray("merges");
        merges.addArray().add("b").add("c");
        merges.addArray().add("a").add("bc");
        assertArrayEquals(new int[] {5}, load(json).encode("abc"));
    }

    @Test
    void ignoreMergesTakesAWholeTokenAsIs() {
        // "abc" is a token, but no merge chain reaches it: with ignore_merges it is still found whole.
        Map<String, Integer> v = vocab("a", "b", "c", "ab", "abc");
        ObjectNode json = TinyTokenizerJson.bpe(v, "a b");
        assertArrayEquals(new int[] {3, 2}, load(json).encode("abc"));
        model(json).put("ignore_merges", true);
        assertArrayEquals(new int[] {4}, load(json).encode("abc"));
    }

    @Test
    void bytesWithoutATokenAreRefusedOrBecomeUnk() throws java.io.IOException {
        Map<String, Integer> v = new LinkedHashMap<>(vocab("a", "<unk>"));
        ObjectNode json = TinyTokenizerJson.bpe(v);
        ((ObjectNode) model(json).get("vocab")).remove("x");
        // Without an unk_token Hugging Face drops the byte silently ("axxa" -> a, a): such a file is refused.
        Path file = TinyTokenizerJson.write(dir, "tokenizer.json", json);
        TokenizerFormatException e = org.junit.jupiter.api.Assertions.assertThrows(TokenizerFormatException.class,
                () -> Tokenizers.load(file));
        assertEquals(file + ": model.vocab has no token for 1 of the 256 bytes: 0x78 (token \"x\"); text containing them"
                + " would silently lose them (byte-level BPE needs all 256, or a model.unk_token)", e.getMessage());
        // With one, the missing byte becomes the unk token, visibly.
        model(json).put("unk_token", "<unk>");
        assertArrayEquals(new int[] {0, 1, 1, 0}, load(json).encode("axxa"));
        model(json).put("fuse_unk", true);
        assertArrayEquals(new int[] {0, 1, 0}, load(json).encode("axxa"));
    }

    @Test
    void scanAndHeapMergeAlike() {
        // Short pieces rescan an array, long ones use a heap; on GPT-2's merges both must give the same tokens.
        BpeModel gpt2 = ((BpeTokenizer) Tokenizers.load(Gpt2TokenizerTest.gpt2Json())).model();
        java.util.Random random = new java.util.Random(42);
        String alphabet = "eeettaaoinshrdlu   ..,,''0123456789éß世界🦙\n\t";
        for (int trial = 0; trial < 2000; trial++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(trial < 1000 ? 12 : 200);
            for (int i = 0; i < length; i++) {
                text.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0,
                        random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            int[] symbols = gpt2.byteSymbols(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertArrayEquals(gpt2.mergeByHeap(symbols), gpt2.mergeByScan(symbols), text::toString);
        }
    }

    @Test
    void longPieceWithoutSpacesStaysCheap() {
        // One 300,000-byte piece (no cache, heap-ordered merges): a quadratic merge loop would take minutes.
        Map<String, Integer> v = vocab("a", "aa", "aaaa");
        Tokenizer t = load(TinyTokenizerJson.bpe(v, "a a", "aa aa"));
        int[] ids = t.encode("a".repeat(300_001));
        assertEquals(75_001, ids.length);
        assertEquals(0, ids[ids.length - 1]);
    }
}

package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** GPT-2's published vocabulary against the ids Hugging Face produced for 47 texts (see the README beside them). */
class Gpt2TokenizerTest {
    static Tokenizer gpt2;

    @BeforeAll
    static void load() {
        gpt2 = Tokenizers.load(gpt2Json());
    }

    static Path gpt2Json() {
        try {
            return Path.of(Gpt2TokenizerTest.class.getResource("/tokenizer/gpt2/tokenizer.json").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        try (InputStream in = Gpt2TokenizerTest.class.getResourceAsStream("/tokenizer/gpt2/cases.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            for (JsonNode c : root) {
                int[] ids = new int[c.get("ids").size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = c.get("ids").get(i).intValue();
                }
                cases.add(Arguments.of(c.get("text").asText(), ids));
            }
        }
        assertEquals(47, cases.size(), "cases.json should hold 47 cases");
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void encodesAsHuggingFace(String text, int[] expected) {
        assertArrayEquals(expected, gpt2.encode(text), () -> "ids of " + TokenizerJson.quote(text));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void decodesBackToTheText(String text, int[] ids) {
        assertEquals(text, gpt2.decode(ids));
    }

    /** One tokenizer shared by threads (docs/THREADS.md): its piece cache is filled concurrently, the ids stay right. */
    @Test
    void encodesTheSameFromSeveralThreadsAtOnce() throws Exception {
        Tokenizer shared = Tokenizers.load(gpt2Json());   // an empty cache, filled by the threads together
        List<Arguments> all = cases().toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                jobs.add(pool.submit(() -> {
                    for (int round = 0; round < 3; round++) {
                        for (int c = 0; c < all.size(); c++) {
                            Arguments a = all.get((c + first * 11) % all.size());
                            assertArrayEquals((int[]) a.get()[1], shared.encode((String) a.get()[0]));
                        }
                    }
                }));
            }
            for (Future<?> f : jobs) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void gpt2RegexSplits() {
        BpeTokenizer bpe = (BpeTokenizer) gpt2;
        // GPT-2's contractions are case-sensitive, digits stay together, and " ?X+" takes one leading space.
        assertEquals(List.of("HE", "'", "S", " it", "'s", " 12345", "  ", " x"), bpe.preTokenize("HE'S it's 12345   x"));
        // U+00A0 is Unicode whitespace: " " is cut off by \s+(?!\S) and U+00A0 stands alone; with an ASCII \s,
        // " ?[^\s\p{L}\p{N}]+" would have taken " \u00a0" as one piece.
        assertEquals(List.of("a", " ", "\u00a0", "b"), bpe.preTokenize("a \u00a0b"));
    }

    @Test
    void vocabularyAndSpecialTokens() {
        assertEquals(50257, gpt2.vocabSize());
        assertEquals(50256, gpt2.tokenId("<|endoftext|>"));
        assertEquals("Ġworld", gpt2.token(995));
        assertEquals(995, gpt2.tokenId("Ġworld"));
        assertNull(gpt2.tokenId("no such token"));
        assertNull(gpt2.token(50257));
        assertTrue(gpt2.isSpecial(50256));
        // GPT-2 declares only <|endoftext|>, and it ends text.
        assertEquals(50256, gpt2.specialTokens().eos());
        assertNull(gpt2.specialTokens().bos());
        assertNull(gpt2.specialTokens().pad());
    }

    @Test
    void endOfTextIsMatchedInTheTextAndCanBeSkippedWhenDecoding() {
        int[] ids = gpt2.encode("Hello<|endoftext|> world");
        assertArrayEquals(new int[] {15496, 50256, 995}, ids);
        assertEquals("Hello<|endoftext|> world", gpt2.decode(ids));
        assertEquals("Hello world", gpt2.decode(ids, true));
    }

    @Test
    void decodingHalfACharacterGivesReplacementCharacters() {
        // "🦙" is F0 9F A6 99; GPT-2 has no token for it, so it is four byte tokens (or merges of them).
        int[] ids = gpt2.encode("🦙");
        assertTrue(ids.length > 1);
        int[] cut = java.util.Arrays.copyOf(ids, ids.length - 1);
        assertEquals("\uFFFD", gpt2.decode(cut), "a truncated 4-byte sequence is one U+FFFD, as in Rust");
    }
}

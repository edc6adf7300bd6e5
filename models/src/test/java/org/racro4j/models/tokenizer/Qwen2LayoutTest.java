package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Qwen2 layout of tokenizer.json (NFC normalizer; Sequence[Split(Qwen2 regex, Isolated), ByteLevel without
 * regex]; ByteLevel decoder; added tokens {@code <|endoftext|>}, {@code <|im_start|>}, {@code <|im_end|>}). The
 * real Qwen2 vocabulary is not available offline, so the file is built here around GPT-2's vocabulary and
 * merges: the pre-tokenization is Qwen2's, the BPE is GPT-2's.
 *
 * <p>The expected pieces below are derived by hand from the Qwen2 regex, whose alternatives are tried in order at
 * each position: (1) {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)}, (2) {@code [^\r\n\p{L}\p{N}]?\p{L}+}, (3)
 * {@code \p{N}}, (4) {@code  ?[^\s\p{L}\p{N}]+[\r\n]*}, (5) {@code \s*[\r\n]+}, (6) {@code \s+(?!\S)},
 * (7) {@code \s+}.
 */
class Qwen2LayoutTest {
    static final int IM_START = 50257;
    static final int IM_END = 50258;
    static final int END_OF_TEXT = 50256;

    /**
     * The split regex as Qwen/Qwen2-0.5B's tokenizer.json spells it, written out here rather than taken from
     * {@link SplitRegex#QWEN2}, so that the file under test does not inherit a mistake from the code under test.
     */
    static final String PUBLISHED_QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    @TempDir
    static Path dir;
    static BpeTokenizer qwen;

    @BeforeAll
    static void build() throws IOException {
        qwen = (BpeTokenizer) Tokenizers.load(writeQwen2Layout(dir));
    }

    /** GPT-2's tokenizer.json with Qwen2's normalizer, pre-tokenizer, decoder and chat tokens. */
    static Path writeQwen2Layout(Path dir) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(Gpt2TokenizerTest.gpt2Json().toFile());
        root.putObject("normalizer").put("type", "NFC");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", PUBLISHED_QWEN2_REGEX);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false)
                .put("use_regex", false);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", false).put("use_regex", false);
        root.putNull("post_processor");
        ArrayNode added = root.putArray("added_tokens");
        String[] chat = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
        int[] ids = {END_OF_TEXT, IM_START, IM_END};
        for (int i = 0; i < chat.length; i++) {
            added.addObject().put("id", ids[i]).put("content", chat[i]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        Path file = dir.resolve("tokenizer.json");
        mapper.writeValue(file.toFile(), root);
        return file;
    }

    /** Checks the hand-derived pieces, then that the ids are those pieces' GPT-2 BPE ids (or added token ids). */
    static void assertPieces(String text, String... expected) {
        assertEquals(List.of(expected), qwen.preTokenize(text), () -> "pieces of " + TokenizerJson.quote(text));
        IntList ids = new IntList();
        for (String piece : expected) {
            Integer added = switch (piece) {
                case "<|endoftext|>" -> END_OF_TEXT;
                case "<|im_start|>" -> IM_START;
                case "<|im_end|>" -> IM_END;
                default -> null;
            };
            if (added != null) {
                ids.add(added);
            } else {
                ids.addAll(qwen.encodePiece(piece));
            }
        }
        assertArrayEquals(ids.toArray(), qwen.encode(text), () -> "ids of " + TokenizerJson.quote(text));
    }

    @Test
    void digitsAreSplitOneByOne() {
        // " 12345": (2) needs a letter after the optional ' ', (4) cannot take ' ' before a digit, (5) needs a
        // newline, (6) ' ' is followed by a non-space so it backtracks to nothing; (7) takes " ". Then each digit
        // is (3) on its own — GPT-2's regex would have kept " 12345" whole.
        assertPieces("abc 12345 x", "abc", " ", "1", "2", "3", "4", "5", " x");
    }

    @Test
    void contractionsIgnoreCase() {
        // (1) is case-insensitive: "'S" is one piece. "," is (4) (the ' ' after it is whitespace, so it stops);
        // " isn" is (2) with ' ' as its prefix, and "'t" is (1) again.
        assertPieces("HE'S HERE, isn't it", "HE", "'S", " HERE", ",", " isn", "'t", " it");
    }

    @Test
    void oneNonLetterIsAttachedToTheWordAfterIt() {
        // (2) takes one character that is not a letter, digit or newline in front of the letters: "(hello".
        // ")" is (4). At " [world]" (2) cannot start (' ' then '[' is no letter) so (4) takes " [", then
        // "world" is (2) and "]" is (4).
        assertPieces("(hello) [world]", "(hello", ")", " [", "world", "]");
    }

    @Test
    void newlineRunsAndTheSpacesAroundThem() {
        // (5) \s*[\r\n]+: \s* first takes all of "\n\n\n", then gives back one newline for [\r\n]+.
        assertPieces("a\n\n\nb", "a", "\n\n\n", "b");
        // "  \n\n  b": (5) backtracks \s* until [\r\n]+ can end the match on the last newline: "  \n\n". Of the
        // two spaces left, (6) takes the first (the second is still whitespace), and " b" is (2).
        assertPieces("a  \n\n  b", "a", "  \n\n", " ", " b");
        // (4) ends with [\r\n]*, so newlines straight after punctuation join it.
        assertPieces("ok.\n\nnext", "ok", ".\n\n", "next");
    }

    @Test
    void trailingSpaces() {
        // (6) \s+(?!\S): at the end of the text nothing follows, so the whole run is one piece.
        assertPieces("hi   ", "hi", "   ");
        // "." is (4); then (5) takes the spaces with the newline.
        assertPieces("end.  \n", "end", ".", "  \n");
    }

    @Test
    void emojiAreOneCharacterToTheRegex() {
        // 🦙 is one code point (two UTF-16 chars), not a letter: at the start (2) takes it as the one-character
        // prefix of "s"; " 🦙🦙" is (4) because no letter follows the ' '.
        assertPieces("🦙s and 🦙🦙 ok", "🦙s", " and", " 🦙🦙", " ok");
        // With a space before it (2) cannot use 🦙 as the prefix (its prefix slot is the space), so (4) takes
        // " 🦙" and "s" is (2) on its own.
        assertPieces("hi 🦙s", "hi", " 🦙", "s");
    }

    @Test
    void unicodeWhitespaceIsWhitespace() {
        // U+3000 (ideographic space) is \s for Oniguruma. At " \u3000y": (2) and (4) cannot pass the U+3000 after
        // the ' ', (6) backtracks to " " (U+3000 after it is no \S). Then (2) takes U+3000 as the one-character
        // prefix of "y". An ASCII-only \s would have made (4) take " \u3000" instead.
        assertPieces("x \u3000y", "x", " ", "\u3000y");
        // U+0085 (NEL) and U+2028 are whitespace but not \r or \n: (5) does not apply; (6) and (7) do.
        assertPieces("a\u0085\u2028 b", "a", "\u0085\u2028", " b");
    }

    @Test
    void nfcComposesBeforeSplitting() {
        // "e" + U+0301 (combining acute) becomes "é" (U+00E9) before the regex runs: without NFC, U+0301 (a mark,
        // not a letter) would have cut "cafe" from "\u0301".
        assertPieces("cafe\u0301 au lait", "caf\u00e9", " au", " lait");
        assertArrayEquals(qwen.encode("caf\u00e9 au lait"), qwen.encode("cafe\u0301 au lait"));
        assertEquals("caf\u00e9 au lait", qwen.decode(qwen.encode("cafe\u0301 au lait")));
    }

    @Test
    void specialTokensInTheMiddleOfText() {
        assertPieces("Hello<|im_end|>world", "Hello", "<|im_end|>", "world");
        // The text before a special token is split on its own: "a " ends in a space that (6) takes alone.
        assertPieces("a <|endoftext|> b", "a", " ", "<|endoftext|>", " b");
        // No prefix space is added after a special token: ByteLevel has add_prefix_space=false here.
        assertPieces("<|im_start|><|im_end|>x", "<|im_start|>", "<|im_end|>", "x");
    }

    @Test
    void chatPrompt() {
        String prompt = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n";
        // " 2+2?": (7) takes the ' ' (a digit follows), the digits are (3), "+" and "?" are (4).
        assertPieces(prompt, "<|im_start|>", "user", "\n", "What", " is", " ", "2", "+", "2", "?", "<|im_end|>",
                "\n", "<|im_start|>", "assistant", "\n");
        // The same ids looked up one by one in GPT-2's vocabulary, where each of these pieces is a single token.
        String[] tokens = {"user", "Ċ", "What", "Ġis", "Ġ", "2", "+", "2", "?"};
        int[] expected = new int[tokens.length + 3];
        expected[0] = IM_START;
        for (int i = 0; i < tokens.length; i++) {
            expected[i + 1] = qwen.tokenId(tokens[i]);
        }
        expected[tokens.length + 1] = IM_END;
        expected[tokens.length + 2] = qwen.tokenId("Ċ");
        assertArrayEquals(expected, qwen.encode("<|im_start|>user\nWhat is 2+2?<|im_end|>\n"));
    }

    @Test
    void roundTripsUnicodeText() {
        for (String text : List.of("Grüße, 世界! naïve\tcafé\r\nend", "😶‍🌫️ (emoji) ✅ 🦙🦙", "нещо на Български",
                "कान्तेपुर ১২৩ ٣٤٥ Ⅻ", "  leading and trailing  ", "\u00a0non-breaking\u3000space", "")) {
            assertEquals(text, qwen.decode(qwen.encode(text)), () -> "round trip of " + TokenizerJson.quote(text));
        }
    }

    @Test
    void specialTokensAndSkipping() {
        assertEquals(END_OF_TEXT, qwen.specialTokens().eos());
        assertNull(qwen.specialTokens().bos(), "Qwen2 has no bos token");
        assertEquals(IM_END, qwen.specialTokens().id("<|im_end|>"));
        assertTrue(qwen.isSpecial(IM_START));
        assertEquals(50259, qwen.vocabSize());
        int[] ids = qwen.encode("<|im_start|>user\nhi<|im_end|>");
        assertEquals("<|im_start|>user\nhi<|im_end|>", qwen.decode(ids));
        assertEquals("user\nhi", qwen.decode(ids, true));
    }
}

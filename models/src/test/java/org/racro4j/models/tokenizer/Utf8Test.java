package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Malformed UTF-8 is replaced as Rust's {@code String::from_utf8_lossy} does: one U+FFFD per maximal prefix of a
 * well-formed sequence, else per byte. (Python's {@code decode("utf-8", "replace")} follows the same rule and gave
 * these expectations.)
 */
class Utf8Test {
    static String lossy(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return Utf8.decodeLossy(b, b.length);
    }

    @Test
    void wellFormedTextIsUnchanged() {
        String text = "aé€🦙";
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(text, Utf8.decodeLossy(b, b.length));
    }

    @Test
    void malformedSequences() {
        assertEquals("\uFFFD", lossy(0xF0, 0x9F, 0x98), "a truncated 4-byte sequence is one maximal prefix");
        assertEquals("\uFFFD", lossy(0xE2, 0x82));
        assertEquals("\uFFFDA", lossy(0xF0, 0x9F, 0x98, 0x41));
        assertEquals("\uFFFD\uFFFD", lossy(0xC0, 0xAF), "overlong: both bytes bad");
        assertEquals("\uFFFD\uFFFD\uFFFD", lossy(0xED, 0xA0, 0x80), "an encoded surrogate is three bad bytes (Java's own decoder says one)");
        assertEquals("\uFFFD\uFFFD\uFFFD\uFFFD", lossy(0xF4, 0x90, 0x80, 0x80), "above U+10FFFF");
        assertEquals("\uFFFD\uFFFD\uFFFD", lossy(0xE0, 0x80, 0x80));
        assertEquals("\uFFFD(\uFFFD", lossy(0xE2, 0x28, 0xA1));
        assertEquals("\uFFFD", lossy(0xFF));
    }

    @Test
    void gpt2DecodesByteTokensThroughIt() {
        Tokenizer gpt2 = Tokenizers.load(Gpt2TokenizerTest.gpt2Json());
        int[] ids = new int[3];
        int[] bytes = {0xED, 0xA0, 0x80};
        for (int i = 0; i < 3; i++) {
            ids[i] = gpt2.tokenId(String.valueOf(ByteLevel.charOf(bytes[i])));
        }
        assertEquals("\uFFFD\uFFFD\uFFFD", gpt2.decode(ids));
    }
}

package org.racro4j.models.tokenizer;

/**
 * UTF-8 decoding that replaces malformed input the way Rust's {@code String::from_utf8_lossy} (and so Hugging
 * Face's decoders) does: one U+FFFD per maximal prefix of a valid sequence, or per lone bad byte. Java's own
 * decoder differs for encoded surrogates ({@code ED A0 80} gives one U+FFFD in Java, three in Rust), and a
 * generated id sequence can end in the middle of a character, so decode output must not depend on it.
 */
final class Utf8 {
    private Utf8() {}

    static String decodeLossy(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        int i = 0;
        while (i < length) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            // Expected continuation count and the allowed range of the second byte (excludes overlongs,
            // surrogates and code points above U+10FFFF), per the Unicode table of well-formed sequences.
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F;
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                out.append('\uFFFD');
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = i + 1;
            boolean complete = true;
            for (int k = 0; k < need; k++, j++) {
                if (j >= length) {
                    complete = false;
                    break;
                }
                int b = bytes[j] & 0xFF;
                int min = k == 0 ? lo : 0x80;
                int max = k == 0 ? hi : 0xBF;
                if (b < min || b > max) {
                    complete = false;
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            if (complete) {
                out.appendCodePoint(cp);
            } else {
                out.append('\uFFFD');
            }
            i = j;
        }
        return out.toString();
    }
}

package org.racro4j.core.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding that says where a file stops being UTF-8. The JDK's own strict decoding
 * ({@code Files.readString}) reports only "Input length = 1", which names neither the file nor the place, and
 * its lenient decoding ({@code new String(bytes, UTF_8)}) silently turns bad bytes into U+FFFD.
 */
public final class Utf8Text {
    private Utf8Text() {}

    /** Bytes that are not UTF-8; the message says which byte and where, for the caller to prefix with the file. */
    public static final class MalformedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final long offset;

        MalformedException(long offset, String message) {
            super(message);
            this.offset = offset;
        }

        /** The offset of the first byte that is not part of a valid UTF-8 sequence. */
        public long offset() {
            return offset;
        }
    }

    /** Decodes {@code bytes} as UTF-8, refusing malformed sequences. */
    public static String decode(byte[] bytes) throws MalformedException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        // UTF-8 never needs more UTF-16 chars than it has bytes (a 4-byte sequence becomes 2 chars).
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new MalformedException(at, String.format("byte 0x%02X at offset %d (line %d) is not valid UTF-8",
                    bytes[at] & 0xFF, at, line));
        }
        out.flip();
        return out.toString();
    }
}

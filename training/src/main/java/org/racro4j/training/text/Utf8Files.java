package org.racro4j.training.text;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads a user's text file (a run config, a JSONL dataset) strictly as UTF-8. Java's own error for a byte that is
 * not UTF-8 is "Input length = 1", which names neither the file nor the place; this one names both, so a file saved
 * as Latin-1 or UTF-16 is found at once.
 */
public final class Utf8Files {
    private Utf8Files() {}

    public static String read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);   // UTF-8 never decodes to more chars than it has bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) result = decoder.flush(out);
        if (result.isError()) {
            int offset = in.position();   // the decoder stops at the first byte it cannot decode
            int line = 1;
            for (int i = 0; i < offset; i++) if (bytes[i] == '\n') line++;
            throw new IOException(String.format(Locale.ROOT, "%s:%d: not UTF-8 text (byte 0x%02X at offset %d); save the file as UTF-8",
                    file, line, bytes[offset] & 0xff, offset));
        }
        return out.flip().toString();
    }
}

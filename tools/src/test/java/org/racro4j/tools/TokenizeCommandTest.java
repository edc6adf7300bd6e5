package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.models.tokenizer.WordLevelTokenizer;

/** tokenize/detokenize: bad input files and ids give one line naming the file, and exit code 2. */
class TokenizeCommandTest {
    @TempDir
    Path tmp;

    private Path tokenizer() {
        Path tj = tmp.resolve("tokenizer.json");
        WordLevelTokenizer.of(List.of("a", "dog", "ran")).save(tj);
        return tj;
    }

    @Test
    void anInputFileThatIsNotUtf8IsNamedWithTheOffendingByte() throws IOException {
        Path tj = tokenizer();
        Path in = tmp.resolve("latin1.txt");
        Files.write(in, "a dog\nran caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));   // é is the single byte 0xE9
        CommandLineTest.Run r = CommandLineTest.run("tokenize", "--tokenizer", tj.toString(), "--input", in.toString());
        // Today: "racro4j tokenize: Input length = 1".
        assertEquals("racro4j tokenize: " + in + ": not UTF-8 text: byte 0xE9 at offset 13 (line 2) is not valid UTF-8",
                r.err().strip());
        assertEquals(2, r.exit());
    }

    @Test
    void aBrokenTokenizerJsonIsOneLine() throws IOException {
        Path tj = tmp.resolve("tokenizer.json");
        Files.writeString(tj, "{\"model\": {\"type\": \"WordLevel\"}, \"model\": {}}");
        CommandLineTest.Run r = CommandLineTest.run("tokenize", "--tokenizer", tj.toString(), "a dog");
        assertEquals("racro4j tokenize: " + tj + ": the key \"model\" appears twice in the top-level object (line 1, column 41)",
                r.err().strip());
        assertEquals(2, r.exit());
    }

    @Test
    void anIdOutsideTheVocabularyNamesTheTokenizer() {
        Path tj = tokenizer();
        CommandLineTest.Run r = CommandLineTest.run("detokenize", "--tokenizer", tj.toString(), "4", "99");
        assertEquals(2, r.exit());
        assertEquals(true, r.err().strip().startsWith("racro4j detokenize: " + tj + ": token id 99"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}

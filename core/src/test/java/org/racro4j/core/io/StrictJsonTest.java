package org.racro4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The strictness every model-file reader relies on: repeated keys, trailing values and non-UTF-8 bytes are errors. */
class StrictJsonTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRepeatedKeyIsNamedWithItsObjectAndPlace() {
        StrictJson.Problem p = assertThrows(StrictJson.Problem.class,
                () -> StrictJson.parse(utf8("{\"model\": {\"vocab\": {\"a\": 0,\n \"a\": 1}}}")));
        assertEquals("the key \"a\" appears twice in the object at /model/vocab (line 2, column 5)", p.getMessage());
        assertEquals("a", p.duplicateKey());
        assertEquals("/model/vocab", p.duplicateIn());
        p = assertThrows(StrictJson.Problem.class, () -> StrictJson.parse(utf8("{\"x\": 1, \"x\": 1}")));
        assertEquals("the key \"x\" appears twice in the top-level object (line 1, column 13)", p.getMessage());
        assertEquals("", p.duplicateIn());
        // The same key in two different objects is fine.
        assertEquals(2, assertDoesNotThrow("[{\"k\": 1}, {\"k\": 2}]").size());
    }

    @Test
    void aSecondValueAfterTheFirstIsAnError() {
        StrictJson.Problem p = assertThrows(StrictJson.Problem.class, () -> StrictJson.parse(utf8("{\"a\": 1} {\"a\": 2}")));
        assertEquals(null, p.duplicateKey());
        assertEquals(true, p.getMessage().startsWith("not valid JSON: Trailing token"), p.getMessage());
        assertEquals(1, assertDoesNotThrow("{\"a\": 1}   \n").size(), "trailing whitespace is fine");
    }

    @Test
    void bytesThatAreNotUtf8AreLocated() {
        byte[] b = utf8("{\"a\":\n\"caf\u00e9 x\"}");
        b[b.length - 4] = (byte) 0xE9;   // a Latin-1 'é' where UTF-8 has a space
        StrictJson.Problem p = assertThrows(StrictJson.Problem.class, () -> StrictJson.parse(b));
        assertEquals("not UTF-8: byte 0xE9 at offset " + (b.length - 4) + " (line 2) is not valid UTF-8", p.getMessage());
    }

    @Test
    void aByteOrderMarkIsSkipped() throws StrictJson.Problem {
        assertEquals(1, StrictJson.parse(utf8("\uFEFF{\"a\": 1}")).get("a").asInt());
    }

    private static com.fasterxml.jackson.databind.JsonNode assertDoesNotThrow(String json) {
        try {
            return StrictJson.parse(utf8(json));
        } catch (StrictJson.Problem e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}

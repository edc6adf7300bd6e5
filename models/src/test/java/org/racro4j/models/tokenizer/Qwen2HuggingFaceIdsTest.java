package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Qwen2 layout of tokenizer.json (built around GPT-2's vocabulary, see {@link Qwen2LayoutTest}) against the
 * ids that Hugging Face's Rust tokenizers (and, identically, its JavaScript port) give 55 texts: contractions in
 * any case, digits, whitespace runs, Unicode whitespace, text NFC changes, emoji and added tokens inside text.
 * How they were produced is in {@code resources/tokenizer/qwen2-layout/README.md}. A wrong regex flag, a missing
 * NFC step, a wrong split behaviour or a wrong merge order changes some of these ids.
 */
class Qwen2HuggingFaceIdsTest {
    @TempDir
    static Path dir;
    static Tokenizer qwen;

    @BeforeAll
    static void build() throws IOException {
        qwen = Tokenizers.load(Qwen2LayoutTest.writeQwen2Layout(dir));
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        try (InputStream in = Qwen2HuggingFaceIdsTest.class.getResourceAsStream("/tokenizer/qwen2-layout/cases.json")) {
            for (JsonNode c : new ObjectMapper().readTree(in)) {
                int[] ids = new int[c.get("ids").size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = c.get("ids").get(i).intValue();
                }
                cases.add(Arguments.of(c.get("text").asText(), ids));
            }
        }
        assertEquals(55, cases.size(), "cases.json should hold 55 cases");
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void encodesAsHuggingFace(String text, int[] expected) {
        assertArrayEquals(expected, qwen.encode(text), () -> "ids of " + TokenizerJson.quote(text));
    }

    /** Decoding gives back the text as the normalizer left it (NFC), added tokens included. */
    @ParameterizedTest
    @MethodSource("cases")
    void decodesToTheNormalizedText(String text, int[] ids) {
        assertEquals(Normalizer.normalize(text, Normalizer.Form.NFC), qwen.decode(ids), () -> "decoding of " + TokenizerJson.quote(text));
    }
}

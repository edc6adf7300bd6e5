package org.racro4j.core.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * JSON reading for model files (safetensors headers, config.json, tokenizer.json, sharded indexes), stricter than
 * Jackson's defaults wherever those let a broken file load with a different meaning than its author's:
 * <ul>
 *   <li>a key repeated within one object is an error (Jackson keeps the last one, Python's json the last one,
 *       other readers the first: which value a tool sees would depend on the tool);</li>
 *   <li>anything but whitespace after the top-level value is an error (Jackson stops reading at the value's
 *       end, so a second, concatenated object would be ignored);</li>
 *   <li>the text must be UTF-8 (a lenient decoder would turn bad bytes into U+FFFD inside token strings).</li>
 * </ul>
 * Problems come back as {@link Problem}, whose message the caller prefixes with the file name.
 */
public final class StrictJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private StrictJson() {}

    /** Why some bytes are not acceptable JSON; the message has no file name, the caller adds it. */
    public static final class Problem extends Exception {
        private static final long serialVersionUID = 1L;
        private final String duplicateKey;
        private final String duplicateIn;

        Problem(String message, String duplicateKey, String duplicateIn, Throwable cause) {
            super(message, cause);
            this.duplicateKey = duplicateKey;
            this.duplicateIn = duplicateIn;
        }

        /** The repeated key, when that is the problem; null otherwise. */
        public String duplicateKey() {
            return duplicateKey;
        }

        /** The JSON pointer of the object holding the repeated key ("" for the top level); null when no key repeats. */
        public String duplicateIn() {
            return duplicateIn;
        }
    }

    /** Parses UTF-8 bytes (a leading byte-order mark is skipped). */
    public static JsonNode parse(byte[] bytes) throws Problem {
        String text;
        try {
            text = Utf8Text.decode(bytes);
        } catch (Utf8Text.MalformedException e) {
            throw new Problem("not UTF-8: " + e.getMessage(), null, null, e);
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw describe(e);
        }
    }

    private static Problem describe(JsonProcessingException e) {
        String where = "";
        JsonLocation at = e.getLocation();
        if (at != null && at.getLineNr() > 0) {
            where = " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        }
        // Jackson's duplicate detection leaves the parser on the repeated key, so we can name it and its object.
        String original = String.valueOf(e.getOriginalMessage());
        if (original.startsWith("Duplicate field '") && e.getProcessor() instanceof JsonParser parser) {
            String key = parser.getParsingContext().getCurrentName();
            String in = parser.getParsingContext().getParent() == null ? ""
                    : parser.getParsingContext().getParent().pathAsPointer().toString();
            String object = in.isEmpty() ? "the top-level object" : "the object at " + in;
            return new Problem("the key \"" + key + "\" appears twice in " + object + where, key, in, e);
        }
        return new Problem("not valid JSON: " + original + where, null, null, e);
    }
}

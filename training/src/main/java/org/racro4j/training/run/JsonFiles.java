package org.racro4j.training.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads the JSON files a run writes for itself (state.json, stages.json, eval caches). They are read strictly (a
 * duplicate key is an error), and a damaged file, a truncated one say, is one line naming it, not a parser's trace.
 */
public final class JsonFiles {
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private JsonFiles() {}

    public static JsonNode read(Path file) throws IOException {
        String text = Files.readString(file);
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON (damaged or cut short?): " + describe(e));
        }
        if (node == null || node.isMissingNode()) throw new IOException(file + ": empty (damaged or cut short?)");
        return node;
    }

    /** The parser's complaint and where, on one line. */
    private static String describe(JsonProcessingException e) {
        String what = e.getOriginalMessage().strip().replaceAll("\\s*\\n\\s*", " ");
        JsonLocation at = e.getLocation();
        return at == null ? what : what + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }
}

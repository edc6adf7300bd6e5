package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import org.racro4j.core.io.FuzzRuns;
import org.racro4j.core.io.ParserContract;

/**
 * Fuzzes run-config loading: arbitrary bytes, and the defaults with one to three values replaced anywhere in the
 * tree (another type, a fraction for a count, a huge or negative number, null, an empty list or map, a string).
 * A config either is refused with a message naming the file, or loads; it may load only when every replaced value
 * has the type of the value it replaced (an integer where an integer was, a number where a number was, ...): a
 * value of the wrong type is never bent to fit or replaced by a default.
 */
class RunConfigFuzzTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final List<JsonNode> VALUES = List.of(F.numberNode(8.5), F.numberNode(-1), F.numberNode(0), F.numberNode(3),
            F.numberNode(1_000_000_000_000L), F.numberNode(0.25), F.numberNode(1e300), TextNode.valueOf("x"), TextNode.valueOf("12"),
            TextNode.valueOf("qwen2"), F.booleanNode(true), F.nullNode(), F.arrayNode(), F.objectNode());

    @Test
    void arbitraryBytesAreRefusedClearly() {
        FuzzRuns.run("arbitrary bytes", r -> load(FuzzRuns.bytes(r, 120)));
    }

    @Test
    void aConfigLoadsOnlyWhenEveryValueHasItsType() {
        FuzzRuns.run("edited configs", RunConfigFuzzTest::editAndLoad);
    }

    /** One to three values replaced; a config that loads may hold no value of a type other than its default's. */
    private static void editAndLoad(SplittableRandom r) throws IOException {
        ObjectNode config = ConfigLoader.defaults();
        ObjectNode defaults = ConfigLoader.defaults();
        java.util.Set<String> edited = new java.util.LinkedHashSet<>();
        for (int i = 1 + r.nextInt(3); i > 0; i--) {
            List<String> paths = new ArrayList<>();
            leaves(config, "", paths);
            String path = paths.get(r.nextInt(paths.size()));
            ObjectNode parent = (ObjectNode) config.at(path.substring(0, path.lastIndexOf('/')));
            parent.set(path.substring(path.lastIndexOf('/') + 1), VALUES.get(r.nextInt(VALUES.size())));
            edited.add(path);
        }
        List<String> wrongTypes = new ArrayList<>();
        for (String path : edited) {
            JsonNode old = defaults.at(path);
            JsonNode now = config.at(path);
            if (!sameType(old, now)) wrongTypes.add(path.substring(1).replace('/', '.') + ": " + old + " -> " + now);
        }
        RunConfig loaded = load(YAML.writeValueAsString(config).getBytes(StandardCharsets.UTF_8));
        if (loaded != null) assertNull(wrongTypes.isEmpty() ? null : wrongTypes, "a config loaded with values of the wrong type");
    }

    /** JSON pointers of the scalar leaves (and empty containers) under n. */
    private static void leaves(JsonNode n, String at, List<String> out) {
        if (n.isObject() && n.size() > 0) {
            n.fieldNames().forEachRemaining(k -> leaves(n.get(k), at + "/" + k, out));
        } else if (!n.isArray()) {
            out.add(at);
        }
    }

    /** Whether v may stand where old stood: integers for integers, numbers for numbers, strings, booleans, nulls. */
    private static boolean sameType(JsonNode old, JsonNode v) {
        if (old.isIntegralNumber()) return v.isIntegralNumber();
        if (old.isNumber()) return v.isNumber();
        if (old.isTextual()) return v.isTextual();
        if (old.isBoolean()) return v.isBoolean();
        return old.getNodeType() == v.getNodeType();
    }

    private static RunConfig load(byte[] bytes) throws IOException {
        Path file = Files.createTempFile("config-fuzz", ".yaml");
        try {
            Files.write(file, bytes);
            return ParserContract.check(file, () -> ConfigLoader.load(file));
        } finally {
            Files.delete(file);
        }
    }
}

package org.racro4j.training.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import org.racro4j.training.text.Utf8Files;

/**
 * Reads a run configuration: the defaults (defaults.yaml) with a user's YAML merged over them key by key. A key
 * the defaults do not have, a key given twice, a value of the wrong type, or an impossible value is an error naming
 * the file and the key — never silently ignored, never bent to fit (8.5 steps are not 8, "10" is not 10, and of two
 * values for one key neither wins).
 */
public final class ConfigLoader {
    /** Maps whose keys are names chosen by the user (checked against the known reward names instead). */
    private static final List<String> FREE_MAPS = List.of("rl.rewards", "rl.solver_rewards");
    /** Keys that were renamed, with their new names: a file with an old one is told the new one. */
    private static final Map<String, String> RENAMED = Map.of(
            "rl.reader_samples", "rl.answer_samples",
            "rl.reader_temperature", "rl.answer_temperature",
            "rl.reader_reward", "rl.reasoner_reward");
    /**
     * Keys that may be null: a whole optional section (switched off); what a role given as a pretrained checkpoint
     * does not have (the architecture it would train, a reasoner's SFT) and its prompt (chosen by its tokenizer); and
     * the tasks' JSONL files (none: the built-in tasks).
     */
    private static final List<String> NULLABLE = List.of("swap_reasoner", "reasoner.model", "reasoner.sft", "reasoner.pretrained", "reasoner.prompt",
            "swap_reasoner.model", "swap_reasoner.sft", "swap_reasoner.pretrained", "swap_reasoner.prompt", "captioner.model", "captioner.pretrained",
            "captioner.prompt", "tasks.train_jsonl", "tasks.test_jsonl");
    /** The sections whose decoder may be a pretrained checkpoint instead of a model trained from scratch. */
    private static final List<String> DECODERS = List.of("reasoner", "swap_reasoner", "captioner");
    static final List<String> CAPTION_REWARDS = List.of("caption_utility", "format", "leakage", "grounded");
    static final List<String> SOLVER_REWARDS = List.of("accuracy", "format", "description", "facts", "evidence_utility");

    private static final ObjectMapper YAML = strictYaml();

    private static ObjectMapper strictYaml() {
        YAMLFactory factory = YAMLFactory.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        ObjectMapper mapper = YAMLMapper.builder(factory)
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)   // a second YAML document is not ignored
                .build();
        // Jackson's defaults convert between scalar kinds; a config value of the wrong kind is a mistake to report.
        // A whole number where a decimal is expected is still fine (lr: 1).
        mapper.coercionConfigFor(LogicalType.Integer)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Float)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Boolean)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    private ConfigLoader() {}

    public static ObjectNode defaults() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream("defaults.yaml")) {
            return (ObjectNode) YAML.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in defaults.yaml", e);
        }
    }

    /** The defaults, with {@code file} merged over them when it is not null. */
    public static RunConfig load(Path file) throws IOException {
        return load(file, null);
    }

    /**
     * The defaults with {@code file} merged over them, on {@code device} when it is not null (the command line's
     * --device wins over the file's, and only the device that will be used is checked).
     */
    public static RunConfig load(Path file, String device) throws IOException {
        ObjectNode merged = defaults();
        String where = "defaults";
        if (file != null) {
            where = file.toString();
            JsonNode user;
            String text = Utf8Files.read(file);
            try {
                user = YAML.readTree(text);
            } catch (JsonProcessingException e) {
                throw new IOException(file + ": " + yamlError(e));
            }
            if (user != null && !user.isNull() && !user.isMissingNode()) {
                if (!user.isObject()) throw new IOException(file + ": the configuration must be a mapping of keys to values");
                merge(merged, (ObjectNode) user, "", file);
                resolvePaths(merged, file);
            }
        }
        if (device != null) merged.put("device", device);
        return bind(merged, where);
    }

    /**
     * {@code cfg} with a YAML mapping merged over it, checked like a config file ({@code where} names the overlay in
     * messages): how a study derives each arm's and its own settings from one config.
     */
    public static RunConfig override(RunConfig cfg, String overlay, String where) throws IOException {
        ObjectNode tree = (ObjectNode) YAML.readTree(toYaml(cfg));
        JsonNode user = YAML.readTree(overlay);
        if (!(user instanceof ObjectNode o)) throw new IOException(where + ": the overlay must be a mapping of keys to values");
        merge(tree, o, "", Path.of(where));
        return bind(tree, where);
    }

    /**
     * A relative {@code pretrained} directory or JSONL file is relative to the config file that names it, made absolute
     * here so that the run folder's config.yaml names the same place wherever the run is resumed or evaluated from.
     */
    private static void resolvePaths(ObjectNode merged, Path file) throws IOException {
        for (String section : DECODERS) resolvePath(merged, section, "pretrained", file);
        resolvePath(merged, "tasks", "train_jsonl", file);
        resolvePath(merged, "tasks", "test_jsonl", file);
    }

    private static void resolvePath(ObjectNode merged, String section, String key, Path file) throws IOException {
        JsonNode s = merged.get(section);
        if (!(s instanceof ObjectNode o) || !o.path(key).isTextual()) return;
        Path p;
        try {
            p = Path.of(o.get(key).textValue());
        } catch (java.nio.file.InvalidPathException e) {
            throw new IOException(file + ": " + section + "." + key + " is not a path: " + e.getMessage());
        }
        Path base = file.toAbsolutePath().getParent();
        o.put(key, (p.isAbsolute() || base == null ? p : base.resolve(p)).toAbsolutePath().normalize().toString());
    }

    /** A parse error of the YAML text: a duplicated key names the whole key and its line. */
    private static String yamlError(JsonProcessingException e) {
        String original = e.getOriginalMessage().lines().findFirst().orElse("");
        int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
        if (original.startsWith("Duplicate field") && e.getProcessor() instanceof JsonParser parser) {
            return "duplicate key " + dotted(parser.getParsingContext()) + (line > 0 ? " (line " + line + ")" : "");
        }
        if (original.startsWith("Trailing token")) {
            return "more than one YAML document" + (line > 0 ? " (the second at line " + line + ")" : "") + "; a config is one mapping of keys";
        }
        return "not valid YAML" + (line > 0 ? " (line " + line + ")" : "") + ": " + original;
    }

    static RunConfig bind(ObjectNode tree, String where) throws IOException {
        RunConfig cfg;
        try {
            cfg = YAML.treeToValue(tree, RunConfig.class);
        } catch (ValueInstantiationException e) {
            // a record refused its values; its message starts with its own key, so put the record's place in front
            // unless the message names the full key already (RlConfig's do)
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String place = path(e);
            String message = cause.getMessage();
            boolean placed = place.isEmpty() || message.startsWith(place + ".");
            throw new IOException(where + ": " + (placed ? "" : place + ".") + message);
        } catch (MismatchedInputException e) {
            throw new IOException(where + ": " + typeError(path(e), e.getTargetType(), valueAt(tree, e), e.getOriginalMessage()));
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof InputCoercionException tooLarge) {
                // a whole number beyond its field's range
                boolean isLong = tooLarge.getTargetType() == long.class || tooLarge.getTargetType() == Long.class;
                throw new IOException(where + ": " + path(e) + " must be a whole number from " + (isLong ? Long.MIN_VALUE : Integer.MIN_VALUE)
                        + " to " + (isLong ? Long.MAX_VALUE : Integer.MAX_VALUE) + ", got " + valueAt(tree, e));
            }
            throw new IOException(where + ": " + path(e) + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        try {
            RunConfig.checkDevice(cfg.device());
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage());
        }
        checkRewardNames(cfg.rl().rewards(), CAPTION_REWARDS, "rl.rewards", where);
        checkRewardNames(cfg.rl().solverRewards(), SOLVER_REWARDS, "rl.solver_rewards", where);
        return cfg;
    }

    /** "KEY must be KIND, got VALUE" for a value of the wrong type; Jackson's own words where the type is not a plain one. */
    private static String typeError(String key, Class<?> target, JsonNode value, String original) {
        String kind = null;
        if (target == int.class || target == Integer.class || target == long.class || target == Long.class) kind = "a whole number";
        else if (target == double.class || target == Double.class || target == float.class || target == Float.class) kind = "a number";
        else if (target == boolean.class || target == Boolean.class) kind = "true or false";
        else if (target == String.class) kind = "a string";
        else if (target != null && Collection.class.isAssignableFrom(target)) kind = "a list";
        if (kind == null || value == null) return key + ": " + original.lines().findFirst().orElse("");
        return key + " must be " + kind + ", got " + describe(value);
    }

    private static String describe(JsonNode value) {
        if (value.isTextual()) return "the string \"" + value.asText() + "\"";
        if (value.isArray()) return "a list";
        if (value.isObject()) return "a mapping";
        return value.toString();
    }

    /** The value a mapping error is about, found in the tree by the error's path. */
    private static JsonNode valueAt(JsonNode tree, JsonMappingException e) {
        JsonNode n = tree;
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (n == null) return null;
            n = ref.getFieldName() != null ? n.get(ref.getFieldName()) : n.get(ref.getIndex());
        }
        return n;
    }

    private static void checkRewardNames(Map<String, Double> weights, List<String> known, String key, String where) throws IOException {
        if (weights == null || weights.isEmpty()) throw new IOException(where + ": " + key + " needs at least one reward");
        for (var e : weights.entrySet()) {
            if (!known.contains(e.getKey())) throw new IOException(where + ": " + key + "." + e.getKey() + " is not a reward; known: " + known);
            if (e.getValue() == null || !Double.isFinite(e.getValue())) throw new IOException(where + ": " + key + "." + e.getKey() + " must be a number");
        }
    }

    /** The error's place as a config key: "rl.steps", "captioner.generic_views[1]". */
    private static String path(JsonMappingException e) {
        StringBuilder key = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (key.length() > 0) key.append('.');
                key.append(ref.getFieldName());
            } else {
                key.append('[').append(ref.getIndex()).append(']');
            }
        }
        return key.toString();
    }

    /** A parser's position as a config key, from the outermost mapping in. */
    private static String dotted(JsonStreamContext context) {
        List<String> parts = new ArrayList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            parts.add(0, c.inArray() ? "[" + c.getCurrentIndex() + "]" : c.getCurrentName());
        }
        return String.join(".", parts).replace(".[", "[");
    }

    /** Copies user values over the defaults; unknown keys are errors (except inside free-form maps). */
    private static void merge(ObjectNode base, ObjectNode user, String prefix, Path file) throws IOException {
        for (Iterator<Map.Entry<String, JsonNode>> it = user.fields(); it.hasNext(); ) {
            var e = it.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonNode def = base.get(e.getKey());
            if (def == null && RENAMED.containsKey(key)) throw new IOException(file + ": " + key + " was renamed " + RENAMED.get(key));
            if (def == null) {
                TreeSet<String> known = new TreeSet<>();
                base.fieldNames().forEachRemaining(known::add);
                throw new IOException(file + ": unknown key '" + key + "'" + (prefix.isEmpty() ? "" : " (known keys under '" + prefix + "': "
                        + String.join(", ", known) + ")") + (prefix.isEmpty() ? "; known top-level keys: " + String.join(", ", known) : ""));
            }
            JsonNode val = e.getValue();
            if (val.isNull() && !NULLABLE.contains(key)) {
                // a null would reach the run as a missing value; only the keys above may be absent
                throw new IOException(file + ": " + key + " must have a value (null is only for swap_reasoner, for a reasoner's model, sft, "
                        + "pretrained and prompt, for the captioner's model, pretrained and prompt, and for tasks' JSONL files)");
            }
            if (DECODERS.contains(key) && def.isObject() && val.isObject() && val.hasNonNull("pretrained")) {
                // a checkpoint replaces the architecture the defaults would train (a model given as well is refused as
                // such); a reasoner checkpoint is not fine-tuned unless asked (the captioner's SFT trains its vision)
                if (!val.has("model")) ((ObjectNode) def).putNull("model");
                if (!key.equals("captioner") && !val.has("sft")) ((ObjectNode) def).putNull("sft");
            }
            if (FREE_MAPS.contains(key)) {
                base.set(e.getKey(), val);
            } else if (def.isObject() && val.isObject()) {
                merge((ObjectNode) def, (ObjectNode) val, key, file);
            } else if (def.isObject() && val.isNull() && NULLABLE.contains(key)) {
                base.set(e.getKey(), val);
            } else if (def.isObject() != val.isObject()) {
                throw new IOException(file + ": '" + key + "' must be " + (def.isObject() ? "a mapping of keys" : "a single value"));
            } else {
                base.set(e.getKey(), val);
            }
        }
    }

    /** The configuration as YAML (written into the run folder as config.yaml). */
    public static String toYaml(RunConfig cfg) throws IOException {
        return YAML.writeValueAsString(cfg);
    }
}

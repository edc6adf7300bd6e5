package org.racro4j.training.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

/**
 * Reads a run configuration: the defaults (defaults.yaml) with a user's YAML merged over them key by key. A key
 * the defaults do not have, a value of the wrong type, or an impossible value is an error naming the file and
 * the key — never silently ignored.
 */
public final class ConfigLoader {
    /** Maps whose keys are names chosen by the user (checked against the known reward names instead). */
    private static final List<String> FREE_MAPS = List.of("rl.rewards", "rl.solver_rewards");
    /** Sections that may be set to null to switch them off. */
    private static final List<String> NULLABLE = List.of("swap_reasoner");
    static final List<String> CAPTION_REWARDS = List.of("caption_utility", "format", "leakage", "grounded");
    static final List<String> SOLVER_REWARDS = List.of("accuracy", "format");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

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
        ObjectNode merged = defaults();
        String where = "defaults";
        if (file != null) {
            where = file.toString();
            JsonNode user;
            try {
                user = YAML.readTree(Files.readString(file));
            } catch (IOException e) {
                throw new IOException(file + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
            }
            if (user != null && !user.isNull() && !user.isMissingNode()) {
                if (!user.isObject()) throw new IOException(file + ": the configuration must be a mapping of keys to values");
                merge(merged, (ObjectNode) user, "", file);
            }
        }
        return bind(merged, where);
    }

    static RunConfig bind(ObjectNode tree, String where) throws IOException {
        RunConfig cfg;
        try {
            cfg = YAML.treeToValue(tree, RunConfig.class);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException(where + ": " + cause.getMessage());
        } catch (MismatchedInputException e) {
            throw new IOException(where + ": " + path(e) + ": " + e.getOriginalMessage());
        }
        checkRewardNames(cfg.rl().rewards(), CAPTION_REWARDS, "rl.rewards", where);
        checkRewardNames(cfg.rl().solverRewards(), SOLVER_REWARDS, "rl.solver_rewards", where);
        try {
            cfg.rl().toRlConfig(cfg.captioner().maxCaptionTokens());
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage());
        }
        return cfg;
    }

    private static void checkRewardNames(Map<String, Double> weights, List<String> known, String key, String where) throws IOException {
        if (weights == null || weights.isEmpty()) throw new IOException(where + ": " + key + " needs at least one reward");
        for (var e : weights.entrySet()) {
            if (!known.contains(e.getKey())) throw new IOException(where + ": " + key + "." + e.getKey() + " is not a reward; known: " + known);
            if (e.getValue() == null || !Double.isFinite(e.getValue())) throw new IOException(where + ": " + key + "." + e.getKey() + " must be a number");
        }
    }

    private static String path(MismatchedInputException e) {
        List<String> parts = new ArrayList<>();
        for (var ref : e.getPath()) parts.add(ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]");
        return String.join(".", parts);
    }

    /** Copies user values over the defaults; unknown keys are errors (except inside free-form maps). */
    private static void merge(ObjectNode base, ObjectNode user, String prefix, Path file) throws IOException {
        for (Iterator<Map.Entry<String, JsonNode>> it = user.fields(); it.hasNext(); ) {
            var e = it.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonNode def = base.get(e.getKey());
            if (def == null) {
                TreeSet<String> known = new TreeSet<>();
                base.fieldNames().forEachRemaining(known::add);
                throw new IOException(file + ": unknown key '" + key + "'" + (prefix.isEmpty() ? "" : " (known keys under '" + prefix + "': "
                        + String.join(", ", known) + ")") + (prefix.isEmpty() ? "; known top-level keys: " + String.join(", ", known) : ""));
            }
            JsonNode val = e.getValue();
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

package org.racro4j.models.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.racro4j.core.io.FuzzRuns;
import org.racro4j.core.io.ParserContract;

/**
 * Fuzzes config.json reading: arbitrary bytes, and configs whose keys are each kept, dropped, repeated or given a
 * value of another type (strings, floats, huge or negative numbers, null, arrays, objects). A config that loads must
 * hold exactly the values the file gives, as the type each key has — a present key is never replaced by a
 * default — and describe a model that can exist (positive sizes, heads that divide the hidden size). A repeated key
 * is an error.
 */
class ConfigJsonFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> INT_KEYS = List.of("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings", "bos_token_id");

    /** A config.json text, with the (key, value text) pairs it was built from in order. */
    record Candidate(String text, List<String[]> pairs) {
        @Override
        public String toString() {
            return text;
        }
    }

    @Test
    void arbitraryBytesAreRefusedClearly() {
        FuzzRuns.run("arbitrary bytes", r -> read(FuzzRuns.bytes(r, 120)));
    }

    @Test
    void aConfigThatLoadsHoldsExactlyItsValues() {
        FuzzRuns.run("edited configs", r -> check(config(r)));
    }

    private static void check(Candidate c) throws IOException {
        DecoderConfig cfg = read(c.text().getBytes(StandardCharsets.UTF_8));
        if (cfg == null) return;
        Map<String, JsonNode> given = new LinkedHashMap<>();
        for (String[] p : c.pairs()) {
            JsonNode v = JSON.readTree(p[1]);
            assertTrue(given.put(p[0], v) == null, "a config repeating \"" + p[0] + "\" loaded: " + c.text());
        }
        Map<String, Number> loaded = Map.of("vocab_size", cfg.vocabSize(), "hidden_size", cfg.hiddenSize(), "intermediate_size",
                cfg.intermediateSize(), "num_hidden_layers", cfg.numLayers(), "num_attention_heads", cfg.numHeads(), "num_key_value_heads",
                cfg.numKvHeads(), "head_dim", cfg.headDim(), "max_position_embeddings", cfg.maxPositions(), "bos_token_id", cfg.bosTokenId());
        for (String key : INT_KEYS) {
            JsonNode v = given.get(key);
            if (v == null || v.isNull()) continue;
            assertTrue(v.isIntegralNumber() && v.canConvertToInt(), key + " loaded from " + v);
            assertEquals(v.intValue(), loaded.get(key).intValue(), key);
        }
        for (String key : List.of("rope_theta", "rms_norm_eps")) {
            JsonNode v = given.get(key);
            if (v == null || v.isNull()) continue;
            assertTrue(v.isNumber(), key + " loaded from " + v);
            assertEquals(v.doubleValue(), key.equals("rope_theta") ? cfg.ropeTheta() : cfg.rmsNormEps(), 0.0, key);
        }
        JsonNode tie = given.get("tie_word_embeddings");
        if (tie != null && !tie.isNull()) {
            assertTrue(tie.isBoolean(), "tie_word_embeddings loaded from " + tie);
            assertEquals(tie.booleanValue(), cfg.tieWordEmbeddings());
        }
        JsonNode eos = given.get("eos_token_id");
        if (eos != null && !eos.isNull()) {
            List<Integer> want = new ArrayList<>();
            if (eos.isArray()) eos.forEach(x -> want.add(x.isIntegralNumber() && x.canConvertToInt() ? x.intValue() : null));
            else want.add(eos.isIntegralNumber() && eos.canConvertToInt() ? eos.intValue() : null);
            assertEquals(want, cfg.eosTokenIds(), "eos_token_id loaded from " + eos);
        }
        assertTrue(cfg.vocabSize() > 0 && cfg.hiddenSize() > 0 && cfg.intermediateSize() > 0 && cfg.numLayers() > 0 && cfg.headDim() > 0,
                "sizes are positive: " + c.text());
        assertTrue(cfg.numHeads() > 0 && cfg.numKvHeads() > 0 && cfg.numHeads() % cfg.numKvHeads() == 0,
                "key/value heads divide the heads: " + c.text());
    }

    private static DecoderConfig read(byte[] bytes) throws IOException {
        Path file = Files.createTempFile("config-fuzz", ".json");
        try {
            Files.write(file, bytes);
            return ParserContract.check(file, () -> DecoderConfig.read(file));
        } finally {
            Files.delete(file);
        }
    }

    private static final Map<String, String> VALID = new LinkedHashMap<>();
    static {
        VALID.put("architectures", "[\"Qwen2ForCausalLM\"]");
        VALID.put("vocab_size", "37");
        VALID.put("hidden_size", "24");
        VALID.put("intermediate_size", "40");
        VALID.put("num_hidden_layers", "2");
        VALID.put("num_attention_heads", "4");
        VALID.put("num_key_value_heads", "2");
        VALID.put("max_position_embeddings", "64");
        VALID.put("rope_theta", "10000.0");
        VALID.put("rms_norm_eps", "1e-6");
        VALID.put("tie_word_embeddings", "true");
        VALID.put("bos_token_id", "1");
        VALID.put("eos_token_id", "[2]");
        VALID.put("hidden_act", "\"silu\"");
    }
    private static final String[] OTHER = {"\"big\"", "\"12\"", "12.5", "-3", "0", "2147483648", "1e400", "null", "true", "[]",
            "[1, \"x\"]", "{}", "[\"LlamaForCausalLM\"]", "\"Qwen2ForCausalLM\"", "1000000", "7"};

    /** Each key kept (most often), dropped, given another value, or given twice. */
    private static Candidate config(SplittableRandom r) {
        List<String[]> pairs = new ArrayList<>();
        for (var e : VALID.entrySet()) {
            int what = r.nextInt(10);
            if (what < 6) pairs.add(new String[] {e.getKey(), e.getValue()});
            else if (what < 7) continue;
            else if (what < 9) pairs.add(new String[] {e.getKey(), FuzzRuns.oneOf(r, OTHER)});
            else {
                pairs.add(new String[] {e.getKey(), e.getValue()});
                pairs.add(new String[] {e.getKey(), FuzzRuns.oneOf(r, OTHER)});
            }
        }
        List<String> parts = new ArrayList<>();
        for (String[] p : pairs) parts.add("\"" + p[0] + "\": " + p[1]);
        return new Candidate("{" + String.join(", ", parts) + "}", pairs);
    }
}

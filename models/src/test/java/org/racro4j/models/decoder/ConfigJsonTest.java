package org.racro4j.models.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.MemoryStats;

/**
 * config.json values of the wrong JSON type, impossible sizes and repeated keys are errors that name the file and
 * the key: never a silent default, never an ArithmeticException, never a huge allocation before the error.
 */
class ConfigJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** The config.json racro4j writes for CausalLMTest's Qwen2 config, as an editable tree. */
    private static ObjectNode valid() {
        return CausalLMTest.qwen2Config().toJson();
    }

    private Path write(String text) throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, text);
        return p;
    }

    /** Reads {@code json} and returns the message, checking that it is one line starting with the file. */
    private String refused(String json) throws IOException {
        Path p = write(json);
        IOException e = assertThrows(IOException.class, () -> DecoderConfig.read(p));
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
        return e.getMessage().substring(p.toString().length() + 2);
    }

    private String refused(ObjectNode json) throws IOException {
        return refused(JSON.writeValueAsString(json));
    }

    @Test
    void theValidConfigReads() throws IOException {
        assertEquals(CausalLMTest.qwen2Config(), DecoderConfig.read(write(JSON.writeValueAsString(valid()))));
    }

    @Test
    void aValueOfTheWrongTypeIsAnErrorNotTheDefault() throws IOException {
        // Today "big" reads as theta 10000 and "x" as eos 0.
        assertEquals("\"rope_theta\" must be a number, got \"big\"", refused(valid().put("rope_theta", "big")));
        assertEquals("\"eos_token_id\" must be a token id or a list of them, got \"x\"", refused(valid().put("eos_token_id", "x")));
        ObjectNode list = valid();
        list.putArray("eos_token_id").add(1).add("x");
        assertEquals("\"eos_token_id\" must be a token id or a list of them, got \"x\"", refused(list));
        assertEquals("\"rms_norm_eps\" must be a number, got true", refused(valid().put("rms_norm_eps", true)));
        assertEquals("\"hidden_size\" must be an integer, got 24.5", refused(valid().put("hidden_size", 24.5)));
        assertEquals("\"max_position_embeddings\" must be an integer, got \"64\"", refused(valid().put("max_position_embeddings", "64")));
        assertEquals("\"tie_word_embeddings\" must be true or false, got \"yes\"", refused(valid().put("tie_word_embeddings", "yes")));
        assertEquals("\"bos_token_id\" must be a token id or a list of them, got 0.5", refused(valid().put("bos_token_id", 0.5)));
        assertEquals("\"hidden_act\" must be a string, got 5", refused(valid().put("hidden_act", 5)));
    }

    @Test
    void architecturesGivenAsAStringIsReportedAsSuch() throws IOException {
        assertEquals("\"architectures\" must be a list of names such as [\"Qwen2ForCausalLM\"], got \"Qwen2ForCausalLM\"",
                refused(valid().put("architectures", "Qwen2ForCausalLM")));
        ObjectNode absent = valid();
        absent.remove("architectures");
        assertTrue(refused(absent).startsWith("missing \"architectures\""));
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRefused() throws IOException {
        // An eos id past the embedding can never be sampled: generation would never stop.
        assertEquals("\"eos_token_id\" 37 is not a token id of a vocabulary of 37 (vocab_size)", refused(valid().put("eos_token_id", 37)));
        assertEquals("\"bos_token_id\" -2 is not a token id of a vocabulary of 37 (vocab_size)", refused(valid().put("bos_token_id", -2)));
        // -1 and null both mean "no bos token" (racro4j wrote -1 before it wrote null).
        assertEquals(-1, DecoderConfig.read(write(JSON.writeValueAsString(valid().put("bos_token_id", -1)))).bosTokenId());
        assertEquals(-1, DecoderConfig.read(write(JSON.writeValueAsString(valid().putNull("bos_token_id")))).bosTokenId());
    }

    @Test
    void impossibleSizesAreOneLineNamingTheKey() throws IOException {
        // Today: java.lang.ArithmeticException: / by zero (head_dim's default divides by it).
        ObjectNode zeroHeads = valid().put("num_attention_heads", 0);
        zeroHeads.remove("head_dim");
        assertEquals("num_attention_heads must be positive, got 0", refused(zeroHeads));
        assertEquals("num_hidden_layers must be positive, got -2", refused(valid().put("num_hidden_layers", -2)));
        assertEquals("vocab_size must be positive, got 0", refused(valid().put("vocab_size", 0)));
        assertEquals("num_hidden_layers is 1000000, more than racro4j accepts (1024)", refused(valid().put("num_hidden_layers", 1_000_000)));
        assertEquals("hidden_size is 1000000000, more than racro4j accepts (131072)", refused(valid().put("hidden_size", 1_000_000_000)));
        assertEquals("\"vocab_size\" must be an integer, got 10000000000", refused(valid().put("vocab_size", 10_000_000_000L)));
        assertEquals("rope_theta must be positive, got -1.0", refused(valid().put("rope_theta", -1)));
    }

    @Test
    void aRepeatedKeyIsAnError() throws IOException {
        // Jackson keeps the last value, Python's json too; a reader that keeps the first would build another model.
        String json = JSON.writeValueAsString(valid());
        String twice = json.replace("\"hidden_size\":24,", "\"hidden_size\":24,\"hidden_size\":48,");
        assertTrue(refused(twice).startsWith("the key \"hidden_size\" appears twice in the top-level object (line 1, column"));
    }

    /** A saved model directory whose config.json is then replaced by {@code config}. */
    private Path modelWithConfig(ObjectNode config) throws IOException {
        Path dir = tmp.resolve("model");
        try (CausalLM m = CausalLMTest.randomModel(CausalLMTest.qwen2Config(), 1)) {
            m.save(dir, Map.of());
        }
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config));
        return dir;
    }

    /** Loads a model expecting an error; checks that the CPU backend's peak stayed small (nothing of the config's size). */
    private String refusedBeforeAllocating(Path dir) {
        Device.CPU.backend().resetPeakMemory();
        long before = Device.CPU.backend().memoryStats().bytesInUse();
        IOException e = assertThrows(IOException.class, () -> CausalLM.load(dir, DType.F32, Device.CPU));
        MemoryStats after = Device.CPU.backend().memoryStats();
        assertTrue(after.peakBytesInUse() - before < (1 << 20), "peak " + after.peakBytesInUse() + " bytes during a refused load");
        Path cfg = dir.resolve("config.json");
        assertTrue(e.getMessage().startsWith(cfg + ": "), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
        return e.getMessage().substring(cfg.toString().length() + 2);
    }

    @Test
    void sizesBeyondTheCheckpointAreRefusedBeforeAllocation() throws IOException {
        // Today each of these allocates the whole model of the config's size, then lists every tensor as wrong.
        assertEquals("num_hidden_layers is 1000 but the checkpoint has layers 0..1 (model.layers.N)",
                refusedBeforeAllocating(modelWithConfig(valid().put("num_hidden_layers", 1000))));
        assertEquals("hidden_size is 100000 but model.embed_tokens.weight has shape [37, 24]",
                refusedBeforeAllocating(modelWithConfig(valid().put("hidden_size", 100_000))));
        assertEquals("vocab_size is 1000000 but model.embed_tokens.weight has shape [37, 24]",
                refusedBeforeAllocating(modelWithConfig(valid().put("vocab_size", 1_000_000))));
        assertEquals("intermediate_size is 1000000 but model.layers.0.mlp.gate_proj.weight has shape [40, 24]",
                refusedBeforeAllocating(modelWithConfig(valid().put("intermediate_size", 1_000_000))));
        assertEquals("num_attention_heads × head_dim is 4 × 4000 = 16000 but model.layers.0.self_attn.q_proj.weight has shape [24, 24]",
                refusedBeforeAllocating(modelWithConfig(valid().put("head_dim", 4000))));
    }

    @Test
    void aShardIndexWithRepeatedOrNonStringEntriesIsRefused() throws IOException {
        Path dir = modelWithConfig(valid());
        Path index = dir.resolve(CheckpointFiles.INDEX);
        Files.writeString(index, "{\"weight_map\": {\"model.norm.weight\": \"model.safetensors\", \"model.norm.weight\": \"other.safetensors\"}}");
        IOException e = assertThrows(IOException.class, () -> CheckpointFiles.weightMap(dir));
        assertEquals(index + ": the key \"model.norm.weight\" appears twice in the object at /weight_map (line 1, column 78)", e.getMessage());
        Files.writeString(index, "{\"weight_map\": {\"model.norm.weight\": 5}}");
        e = assertThrows(IOException.class, () -> CheckpointFiles.weightMap(dir));
        assertEquals(index + ": weight_map gives tensor 'model.norm.weight' the file 5, not a file name", e.getMessage());
        Files.writeString(index, "{\"weight_map\": {\"model.nrom.weight\": \"model.safetensors\"}}");
        e = assertThrows(IOException.class, () -> CheckpointFiles.shapes(dir));
        assertEquals(index + ": tensor 'model.nrom.weight' is listed in model.safetensors, which has no such tensor", e.getMessage());
    }
}

package org.racro4j.models.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.models.tokenizer.WordLevelTokenizer;

/**
 * A model and word-level tokenizer written as a Hugging Face directory and read back: through racro4j's loaders
 * (the ones that read third-party checkpoints), with the same logits bit for bit and the same ids and text; and
 * through the test's own reading of the files against the formats as documented: the tokenizers library's
 * tokenizer.json serialization (models::wordlevel, pre_tokenizers::whitespace::WhitespaceSplit,
 * processors::template::TemplateProcessing, AddedToken; docs.rs/tokenizers), transformers' Qwen2Config and
 * LlamaConfig (config.json keys and types), PreTrainedTokenizerFast (tokenizer_config.json,
 * special_tokens_map.json), GenerationConfig (generation_config.json), and the safetensors header layout (an
 * 8-byte little-endian header length, a JSON header with dtype, shape and data_offsets per tensor and
 * {@code __metadata__}).
 */
class HfExportTest {
    @TempDir
    Path tmp;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Words with punctuation, digits and non-ASCII letters; 5 specials + 17 words = 22 ids. */
    static final List<String> WORDS = List.of("how", "many", "red", "green", "shapes", "?", "a", "circle", "square", ".",
            "is", "left", "of", "the", "3", "café", "日本");

    static WordLevelTokenizer tokenizer() {
        return WordLevelTokenizer.of(WORDS, List.of("<image>"));
    }

    /** Qwen2 with tied embeddings and a vocab padded past the tokenizer's 22 ids. */
    static DecoderConfig qwen2() {
        return DecoderConfig.qwen2(27, 20, 36, 2, 5, 1, 48).withTokens(2, List.of(3));
    }

    /** Llama with its own head, head_dim not hidden / heads, two eos ids. */
    static DecoderConfig llama() {
        return new DecoderConfig(DecoderConfig.LLAMA, 22, 12, 28, 2, 3, 1, 6, 40, 500000.0, 1e-5, false, false, 2, List.of(3, 9));
    }

    static final String[] SAMPLES = {
            "how many red shapes ?",
            "<bos>the  café\tis left of\nthe 日本 square .<eos>",
            "a purple circle<image>is 3 squares",
            "<image><image>green?",
            "",
    };

    @Test
    void qwen2RoundTripGivesTheSameLogitsBitForBit() throws IOException {
        roundTrip(qwen2(), 11);
    }

    @Test
    void llamaRoundTripGivesTheSameLogitsBitForBit() throws IOException {
        roundTrip(llama(), 12);
    }

    private void roundTrip(DecoderConfig c, long seed) throws IOException {
        Path out = tmp.resolve("export");
        WordLevelTokenizer tok = tokenizer();
        try (CausalLM model = TestModels.randomModel(c, seed)) {
            HfExport.Summary s = HfExport.write(model, tok, out);
            assertEquals(out.toAbsolutePath().normalize(), s.dir());
            assertEquals(new TreeSet<>(HfExport.FILES), fileNames(out));
            assertEquals(Set.of("export"), fileNames(tmp), "no staging directory is left beside it");

            Generator g = new Generator(seed + 100);
            long[] ids = new long[2 * 13];
            for (int i = 0; i < ids.length; i++) ids[i] = g.nextInt(c.vocabSize());
            Tensor input = Tensor.ofLongs(ids, 2, 13);
            try (CausalLM back = CausalLM.load(out, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad()) {
                assertEquals(c, back.config());
                float[] want = model.forward(input, null, null).toFloatArray();
                float[] got = back.forward(input, null, null).toFloatArray();
                assertEquals(2 * 13 * c.vocabSize(), want.length);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "logit " + i);
                }
            }
        }
        checkTokenizerReadsBack(tok, out);
        checkFilesAgainstTheirFormats(c, tok, out);
    }

    /** racro4j's generic loader (the Hugging Face path) and the test's own reading of the JSON agree with the tokenizer written. */
    private static void checkTokenizerReadsBack(WordLevelTokenizer tok, Path out) throws IOException {
        Tokenizer back = Tokenizers.load(out.resolve("tokenizer.json"));
        assertEquals(tok.specialTokens(), back.specialTokens());
        JsonNode json = JSON.readTree(out.resolve("tokenizer.json").toFile());
        for (String text : SAMPLES) {
            int[] ids = tok.encode(text);
            assertArrayEquals(ids, back.encode(text), text);
            assertArrayEquals(referenceEncode(json, text), ids, text);
            for (boolean skip : new boolean[] {false, true}) {
                assertEquals(tok.decode(ids, skip), back.decode(ids, skip), text);
                assertEquals(referenceDecode(json, ids, skip), back.decode(ids, skip), text);
            }
        }
        // what Hugging Face's tokenizer(text) gives: the post-processor puts bos first
        JsonNode single = json.get("post_processor").get("single");
        assertEquals("<bos>", single.get(0).get("SpecialToken").get("id").asText());
        assertEquals("A", single.get(1).get("Sequence").get("id").asText());
        assertEquals(List.of(2), ints(json.get("post_processor").get("special_tokens").get("<bos>").get("ids")));
    }

    /**
     * tokenizers' pipeline for this file, written from its documentation: added tokens are cut out of the raw text
     * first (leftmost match, longest first), the rest is split by WhitespaceSplit (on Unicode white space; the
     * samples use space, tab and newline only) and each piece looked up in model.vocab, unknown pieces becoming
     * model.unk_token. Post-processing is not applied (add_special_tokens=False), as racro4j's encode.
     */
    static int[] referenceEncode(JsonNode tokenizerJson, String text) {
        Map<String, Integer> added = new HashMap<>();
        for (JsonNode t : tokenizerJson.get("added_tokens")) added.put(t.get("content").asText(), t.get("id").asInt());
        JsonNode vocab = tokenizerJson.get("model").get("vocab");
        int unk = vocab.get(tokenizerJson.get("model").get("unk_token").asText()).asInt();
        List<Integer> ids = new ArrayList<>();
        int i = 0;
        StringBuilder plain = new StringBuilder();
        while (i <= text.length()) {
            String match = null;
            for (String a : added.keySet()) {
                if (text.startsWith(a, i) && (match == null || a.length() > match.length())) match = a;
            }
            if (match != null || i == text.length()) {
                for (String w : plain.toString().split("[ \t\n]+")) {
                    if (!w.isEmpty()) ids.add(vocab.has(w) ? vocab.get(w).asInt() : unk);
                }
                plain.setLength(0);
                if (match == null) break;
                ids.add(added.get(match));
                i += match.length();
            } else {
                plain.append(text.charAt(i++));
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** tokenizers' decode without a decoder: the tokens joined with single spaces, special ones dropped if asked. */
    static String referenceDecode(JsonNode tokenizerJson, int[] ids, boolean skipSpecial) {
        Map<Integer, String> byId = new HashMap<>();
        Set<Integer> special = new java.util.HashSet<>();
        tokenizerJson.get("model").get("vocab").fields().forEachRemaining(e -> byId.put(e.getValue().asInt(), e.getKey()));
        for (JsonNode t : tokenizerJson.get("added_tokens")) {
            byId.put(t.get("id").asInt(), t.get("content").asText());
            if (t.get("special").asBoolean()) special.add(t.get("id").asInt());
        }
        List<String> words = new ArrayList<>();
        for (int id : ids) if (!(skipSpecial && special.contains(id))) words.add(byId.get(id));
        return String.join(" ", words);
    }

    /** Every key Hugging Face reads, with its JSON type and a value consistent with the model and the other files. */
    private static void checkFilesAgainstTheirFormats(DecoderConfig c, WordLevelTokenizer tok, Path out) throws IOException {
        boolean qwen = c.architecture().equals(DecoderConfig.QWEN2);
        JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals(c.architecture(), config.get("architectures").get(0).textValue());
        assertEquals(1, config.get("architectures").size());
        assertEquals(qwen ? "qwen2" : "llama", config.get("model_type").textValue());
        assertInt(config, "vocab_size", c.vocabSize());
        assertInt(config, "hidden_size", c.hiddenSize());
        assertInt(config, "intermediate_size", c.intermediateSize());
        assertInt(config, "num_hidden_layers", c.numLayers());
        assertInt(config, "num_attention_heads", c.numHeads());
        assertInt(config, "num_key_value_heads", c.numKvHeads());
        assertInt(config, "head_dim", c.headDim());
        assertInt(config, "max_position_embeddings", c.maxPositions());
        assertTrue(config.get("rope_theta").isNumber() && config.get("rope_theta").doubleValue() == c.ropeTheta());
        assertTrue(config.get("rms_norm_eps").isNumber() && config.get("rms_norm_eps").doubleValue() == c.rmsNormEps());
        assertEquals("silu", config.get("hidden_act").textValue());
        assertTrue(config.get("tie_word_embeddings").isBoolean());
        assertEquals(c.tieWordEmbeddings(), config.get("tie_word_embeddings").booleanValue());
        assertEquals("float32", config.get("torch_dtype").textValue());
        assertInt(config, "bos_token_id", 2);
        assertEquals(c.eosTokenIds(), c.eosTokenIds().size() == 1 ? List.of(config.get("eos_token_id").intValue()) : ints(config.get("eos_token_id")));
        assertInt(config, "pad_token_id", 0);
        assertTrue(config.get("use_cache").booleanValue());
        assertTrue(config.get("rope_scaling").isNull());
        if (qwen) {
            assertFalse(config.get("use_sliding_window").booleanValue());
        } else {
            assertFalse(config.get("attention_bias").booleanValue());
            assertFalse(config.get("mlp_bias").booleanValue());
        }

        JsonNode gen = JSON.readTree(out.resolve("generation_config.json").toFile());
        assertEquals(config.get("bos_token_id"), gen.get("bos_token_id"));
        assertEquals(config.get("eos_token_id"), gen.get("eos_token_id"));
        assertEquals(config.get("pad_token_id"), gen.get("pad_token_id"));

        JsonNode t = JSON.readTree(out.resolve("tokenizer.json").toFile());
        assertEquals("1.0", t.get("version").textValue());
        assertTrue(t.get("normalizer").isNull() && t.get("decoder").isNull() && t.get("truncation").isNull() && t.get("padding").isNull());
        assertEquals("WhitespaceSplit", t.get("pre_tokenizer").get("type").textValue());
        assertEquals("TemplateProcessing", t.get("post_processor").get("type").textValue());
        JsonNode model = t.get("model");
        assertEquals("WordLevel", model.get("type").textValue());
        assertTrue(model.get("vocab").isObject() && model.get("vocab").size() == tok.vocabSize());
        model.get("vocab").fields().forEachRemaining(e -> assertTrue(e.getValue().isInt(), e.getKey()));
        assertTrue(model.get("vocab").has(model.get("unk_token").textValue()));
        Map<String, Integer> addedIds = new LinkedHashMap<>();
        for (JsonNode a : t.get("added_tokens")) {
            assertTrue(a.get("id").isInt() && a.get("content").isTextual(), a.toString());
            for (String flag : List.of("single_word", "lstrip", "rstrip", "normalized", "special")) assertTrue(a.get(flag).isBoolean(), a + " " + flag);
            assertTrue(a.get("special").booleanValue(), a.toString());
            assertEquals(model.get("vocab").get(a.get("content").textValue()).intValue(), a.get("id").intValue(), "added token = vocab entry");
            addedIds.put(a.get("content").textValue(), a.get("id").intValue());
        }
        assertEquals(Map.of("<pad>", 0, "<unk>", 1, "<bos>", 2, "<eos>", 3, "<image>", 4), addedIds);

        JsonNode tc = JSON.readTree(out.resolve("tokenizer_config.json").toFile());
        assertEquals("PreTrainedTokenizerFast", tc.get("tokenizer_class").textValue());
        assertEquals("<bos>", tc.get("bos_token").textValue());
        assertEquals("<eos>", tc.get("eos_token").textValue());
        assertEquals("<pad>", tc.get("pad_token").textValue());
        assertEquals("<unk>", tc.get("unk_token").textValue());
        assertInt(tc, "model_max_length", c.maxPositions());
        assertFalse(tc.get("clean_up_tokenization_spaces").booleanValue(), "decode must not glue '?' to the word before it");
        assertEquals(List.of("<image>"), texts(tc.get("additional_special_tokens")));
        Map<String, Integer> decoderIds = new LinkedHashMap<>();
        tc.get("added_tokens_decoder").fields().forEachRemaining(e -> {
            assertTrue(e.getValue().get("special").booleanValue());
            decoderIds.put(e.getValue().get("content").textValue(), Integer.parseInt(e.getKey()));
        });
        assertEquals(addedIds, decoderIds);
        // the ids of the role tokens are those config.json and generation_config.json give
        assertEquals(config.get("bos_token_id").intValue(), addedIds.get(tc.get("bos_token").textValue()));
        assertEquals(c.eosTokenIds().get(0), addedIds.get(tc.get("eos_token").textValue()));
        assertEquals(config.get("pad_token_id").intValue(), addedIds.get(tc.get("pad_token").textValue()));

        JsonNode map = JSON.readTree(out.resolve("special_tokens_map.json").toFile());
        for (String role : List.of("bos_token", "eos_token", "pad_token", "unk_token")) assertEquals(tc.get(role), map.get(role), role);
        assertEquals(tc.get("additional_special_tokens"), map.get("additional_special_tokens"));

        // safetensors, read here from its bytes: metadata format "pt" (transformers refuses others), F32 tensors
        // under Hugging Face's names and shapes, no lm_head when tied
        byte[] bytes = Files.readAllBytes(out.resolve("model.safetensors"));
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        assertEquals("pt", header.get("__metadata__").get("format").textValue());
        Map<String, List<Integer>> want = expectedTensors(c);
        Map<String, List<Integer>> got = new HashMap<>();
        header.fields().forEachRemaining(e -> {
            if (e.getKey().equals("__metadata__")) return;
            assertEquals("F32", e.getValue().get("dtype").textValue(), e.getKey());
            got.put(e.getKey(), ints(e.getValue().get("shape")));
        });
        assertEquals(want, got);
    }

    /** Hugging Face's Qwen2/Llama tensor names and shapes for this config, written out here from their modelling code's layout. */
    static Map<String, List<Integer>> expectedTensors(DecoderConfig c) {
        Map<String, List<Integer>> t = new HashMap<>();
        int d = c.hiddenSize(), q = c.numHeads() * c.headDim(), kv = c.numKvHeads() * c.headDim(), f = c.intermediateSize();
        t.put("model.embed_tokens.weight", List.of(c.vocabSize(), d));
        t.put("model.norm.weight", List.of(d));
        if (!c.tieWordEmbeddings()) t.put("lm_head.weight", List.of(c.vocabSize(), d));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", List.of(d));
            t.put(p + "post_attention_layernorm.weight", List.of(d));
            t.put(p + "self_attn.q_proj.weight", List.of(q, d));
            t.put(p + "self_attn.k_proj.weight", List.of(kv, d));
            t.put(p + "self_attn.v_proj.weight", List.of(kv, d));
            t.put(p + "self_attn.o_proj.weight", List.of(d, q));
            if (c.architecture().equals(DecoderConfig.QWEN2)) {
                t.put(p + "self_attn.q_proj.bias", List.of(q));
                t.put(p + "self_attn.k_proj.bias", List.of(kv));
                t.put(p + "self_attn.v_proj.bias", List.of(kv));
            }
            t.put(p + "mlp.gate_proj.weight", List.of(f, d));
            t.put(p + "mlp.up_proj.weight", List.of(f, d));
            t.put(p + "mlp.down_proj.weight", List.of(d, f));
        }
        return t;
    }

    @Test
    void anExistingOutputIsRefusedAndLeftAlone() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        try (CausalLM model = TestModels.randomModel(qwen2(), 3)) {
            IOException e = assertThrows(IOException.class, () -> HfExport.write(model, tokenizer(), out));
            assertEquals(out + " already exists (the export writes a new directory)", e.getMessage());
        }
        assertEquals(Set.of("keep.txt"), fileNames(out));
        assertEquals(Set.of("taken"), fileNames(tmp));
    }

    @Test
    void aTokenizerWiderThanTheModelIsRefusedBeforeAnythingIsWritten() throws IOException {
        DecoderConfig narrow = DecoderConfig.qwen2(21, 20, 36, 1, 5, 1, 48).withTokens(2, List.of(3));
        Path out = tmp.resolve("narrow");
        try (CausalLM model = TestModels.randomModel(narrow, 4)) {
            IOException e = assertThrows(IOException.class, () -> HfExport.write(model, tokenizer(), out));
            assertEquals("cannot export to " + out + ": the tokenizer has 22 ids but the model's vocab_size is 21", e.getMessage());
        }
        assertEquals(Set.of(), fileNames(tmp));
    }

    @Test
    void aLlamaWithAttentionBiasIsRefused() throws IOException {
        DecoderConfig biased = new DecoderConfig(DecoderConfig.LLAMA, 22, 12, 28, 1, 3, 1, 4, 40, 1e4, 1e-5, false, true, 2, List.of(3));
        try (CausalLM model = TestModels.randomModel(biased, 5)) {
            IOException e = assertThrows(IOException.class, () -> HfExport.write(model, tokenizer(), tmp.resolve("b")));
            assertTrue(e.getMessage().contains("a Llama decoder with attention_bias: transformers would add an o_proj bias"), e.getMessage());
        }
        assertEquals(Set.of(), fileNames(tmp));
    }

    private static void assertInt(JsonNode n, String key, int want) {
        assertTrue(n.get(key) != null && n.get(key).isInt(), key + " is " + n.get(key));
        assertEquals(want, n.get(key).intValue(), key);
    }

    private static List<Integer> ints(JsonNode array) {
        assertTrue(array.isArray(), array.toString());
        List<Integer> out = new ArrayList<>();
        array.forEach(x -> out.add(x.intValue()));
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(x -> out.add(x.textValue()));
        return out;
    }

    private static Set<String> fileNames(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }
}

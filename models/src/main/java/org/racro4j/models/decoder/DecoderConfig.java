package org.racro4j.models.decoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The shape of a Qwen2 or Llama decoder, read from (and written as) a Hugging Face config.json. Qwen2 has
 * biases on the q/k/v projections; Llama has none unless {@code attention_bias} says so.
 */
public record DecoderConfig(
        String architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int maxPositions,
        double ropeTheta,
        double rmsNormEps,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int bosTokenId,
        List<Integer> eosTokenIds) {

    public static final String QWEN2 = "Qwen2ForCausalLM";
    public static final String LLAMA = "LlamaForCausalLM";
    public static final List<String> ARCHITECTURES = List.of(QWEN2, LLAMA);

    private static final ObjectMapper JSON = new ObjectMapper();

    public DecoderConfig {
        if (!ARCHITECTURES.contains(architecture)) {
            throw new IllegalArgumentException("unknown architecture " + architecture + "; racro4j loads " + ARCHITECTURES);
        }
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositions);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        if (ropeTheta <= 0 || rmsNormEps <= 0) throw new IllegalArgumentException("rope_theta and rms_norm_eps must be positive");
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    private static void positive(String key, int v) {
        if (v <= 0) throw new IllegalArgumentException(key + " must be positive, got " + v);
    }

    /** A Qwen2-shaped config with the usual defaults (head dim = hidden / heads, theta 1e6, eps 1e-6). */
    public static DecoderConfig qwen2(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads, int maxPositions) {
        return new DecoderConfig(QWEN2, vocab, hidden, intermediate, layers, heads, kvHeads, hidden / heads, maxPositions,
                1_000_000.0, 1e-6, true, true, 0, List.of(0));
    }

    public DecoderConfig withTokens(int bos, List<Integer> eos) {
        return new DecoderConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                maxPositions, ropeTheta, rmsNormEps, tieWordEmbeddings, attentionBias, bos, eos);
    }

    public DecoderConfig withTiedEmbeddings(boolean tied) {
        return new DecoderConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                maxPositions, ropeTheta, rmsNormEps, tied, attentionBias, bosTokenId, eosTokenIds);
    }

    /** Parameters of the decoder (embedding and head counted once when tied). */
    public long parameterCount() {
        long attn = (long) hiddenSize * numHeads * headDim * 2 + (long) hiddenSize * numKvHeads * headDim * 2;
        if (attentionBias) attn += (long) numHeads * headDim + 2L * numKvHeads * headDim;
        long mlp = 3L * hiddenSize * intermediateSize;
        long layer = attn + mlp + 2L * hiddenSize;
        long embed = (long) vocabSize * hiddenSize;
        return numLayers * layer + hiddenSize + embed * (tieWordEmbeddings ? 1 : 2);
    }

    // ============================================================================================ JSON

    public static DecoderConfig read(Path configJson) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(configJson));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(configJson + ": not valid JSON: " + e.getOriginalMessage());
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IOException(configJson + ": " + e.getMessage(), e);
        }
    }

    public static DecoderConfig fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("config is not a JSON object");
        JsonNode archs = n.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty()) {
            throw new IllegalArgumentException("missing \"architectures\" (expected one of " + ARCHITECTURES + ")");
        }
        String arch = archs.get(0).asText();
        if (!ARCHITECTURES.contains(arch)) {
            throw new IllegalArgumentException("unknown architecture " + arch + "; racro4j loads " + ARCHITECTURES);
        }
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new IllegalArgumentException("hidden_act " + act + " is not supported (only silu)");
        JsonNode scaling = n.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw new IllegalArgumentException("rope_scaling " + scaling + " is not supported (only plain RoPE)");
        }
        if (n.path("use_sliding_window").asBoolean(false)) {
            throw new IllegalArgumentException("use_sliding_window=true is not supported");
        }
        if (n.path("mlp_bias").asBoolean(false)) throw new IllegalArgumentException("mlp_bias=true is not supported");
        int hidden = requireInt(n, "hidden_size");
        int heads = requireInt(n, "num_attention_heads");
        int kvHeads = n.has("num_key_value_heads") && !n.get("num_key_value_heads").isNull() ? requireInt(n, "num_key_value_heads") : heads;
        int headDim = n.has("head_dim") && !n.get("head_dim").isNull() ? requireInt(n, "head_dim") : hidden / heads;
        boolean bias = arch.equals(QWEN2) || n.path("attention_bias").asBoolean(false);
        List<Integer> eos;
        JsonNode e = n.get("eos_token_id");
        if (e == null || e.isNull()) eos = List.of();
        else if (e.isArray()) {
            java.util.ArrayList<Integer> l = new java.util.ArrayList<>();
            e.forEach(x -> l.add(x.asInt()));
            eos = l;
        } else eos = List.of(e.asInt());
        return new DecoderConfig(arch, requireInt(n, "vocab_size"), hidden, requireInt(n, "intermediate_size"),
                requireInt(n, "num_hidden_layers"), heads, kvHeads, headDim,
                n.path("max_position_embeddings").asInt(4096),
                n.path("rope_theta").asDouble(10000.0),
                n.path("rms_norm_eps").asDouble(1e-6),
                n.path("tie_word_embeddings").asBoolean(false),
                bias,
                n.path("bos_token_id").isNull() ? -1 : n.path("bos_token_id").asInt(-1),
                eos);
    }

    private static int requireInt(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing \"" + key + "\"");
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new IllegalArgumentException("\"" + key + "\" must be an integer, got " + v);
        return v.asInt();
    }

    /** The config.json Hugging Face transformers writes for this model. */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(architecture);
        n.put("model_type", architecture.equals(QWEN2) ? "qwen2" : "llama");
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numLayers);
        n.put("num_attention_heads", numHeads);
        n.put("num_key_value_heads", numKvHeads);
        n.put("head_dim", headDim);
        n.put("max_position_embeddings", maxPositions);
        n.put("rope_theta", ropeTheta);
        n.put("rms_norm_eps", rmsNormEps);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("hidden_act", "silu");
        if (architecture.equals(LLAMA)) n.put("attention_bias", attentionBias);
        n.put("bos_token_id", bosTokenId);
        ArrayNode eos = n.putArray("eos_token_id");
        eosTokenIds.forEach(eos::add);
        n.put("torch_dtype", "float32");
        return n;
    }

    public void write(Path configJson) throws IOException {
        Files.writeString(configJson, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
    }
}

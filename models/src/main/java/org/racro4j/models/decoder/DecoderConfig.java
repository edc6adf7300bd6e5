package org.racro4j.models.decoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.DType;
import org.racro4j.core.Shapes;
import org.racro4j.core.io.StrictJson;

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

    /** Upper bounds on the sizes a config may give (see the constructor). */
    public static final int MAX_VOCAB = 1 << 24;
    public static final int MAX_HIDDEN = 1 << 17;
    public static final int MAX_INTERMEDIATE = 1 << 20;
    public static final int MAX_LAYERS = 1024;
    public static final int MAX_HEADS = 1024;
    public static final int MAX_HEAD_DIM = 4096;
    public static final int MAX_POSITIONS = 1 << 25;

    public DecoderConfig {
        if (!ARCHITECTURES.contains(architecture)) {
            throw new IllegalArgumentException("unknown architecture " + architecture + "; racro4j loads " + ARCHITECTURES);
        }
        // Sizes must be positive and below bounds far above any released Qwen2/Llama model (hidden 16384, 126 layers,
        // 128 heads, vocab 152k, context 10M): a value past them is a typo or a broken file, and taking it at its
        // word would mean allocating terabytes (or millions of layers) before any weight is read.
        inRange("vocab_size", vocabSize, MAX_VOCAB);
        inRange("hidden_size", hiddenSize, MAX_HIDDEN);
        inRange("intermediate_size", intermediateSize, MAX_INTERMEDIATE);
        inRange("num_hidden_layers", numLayers, MAX_LAYERS);
        inRange("num_attention_heads", numHeads, MAX_HEADS);
        inRange("num_key_value_heads", numKvHeads, MAX_HEADS);
        inRange("head_dim", headDim, MAX_HEAD_DIM);
        inRange("max_position_embeddings", maxPositions, MAX_POSITIONS);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        // NaN compares false with everything, so "!(x > 0)" also refuses it.
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) throw new IllegalArgumentException("rope_theta must be positive, got " + ropeTheta);
        if (!(rmsNormEps > 0) || Double.isInfinite(rmsNormEps)) throw new IllegalArgumentException("rms_norm_eps must be positive, got " + rmsNormEps);
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    private static void inRange(String key, int v, int max) {
        if (v <= 0) throw new IllegalArgumentException(key + " must be positive, got " + v);
        if (v > max) throw new IllegalArgumentException(key + " is " + v + ", more than racro4j accepts (" + max + ")");
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

    /**
     * Reads a config.json. Every key racro4j uses must, when present, have its JSON type (a string where a number
     * belongs is an error, not the default), and a key may appear only once.
     *
     * @throws IOException naming the file and the key, for an unreadable, malformed or unsupported config
     */
    public static DecoderConfig read(Path configJson) throws IOException {
        JsonNode root;
        try {
            root = StrictJson.parse(Files.readAllBytes(configJson));
        } catch (StrictJson.Problem p) {
            throw new IOException(configJson + ": " + p.getMessage(), p);
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IOException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** The config in a parsed config.json object; errors name the key but not the file (the caller adds it). */
    public static DecoderConfig fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("config is not a JSON object");
        JsonNode archs = n.get("architectures");
        if (archs == null || archs.isNull()) {
            throw new IllegalArgumentException("missing \"architectures\" (expected one of " + ARCHITECTURES + ")");
        }
        if (!archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
            throw new IllegalArgumentException("\"architectures\" must be a list of names such as [\"" + QWEN2 + "\"], got " + archs);
        }
        String arch = archs.get(0).asText();
        if (!ARCHITECTURES.contains(arch)) {
            throw new IllegalArgumentException("unknown architecture " + arch + "; racro4j loads " + ARCHITECTURES);
        }
        String act = optString(n, "hidden_act", "silu");
        if (!act.equals("silu")) throw new IllegalArgumentException("hidden_act " + act + " is not supported (only silu)");
        JsonNode scaling = n.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw new IllegalArgumentException("rope_scaling " + scaling + " is not supported (only plain RoPE)");
        }
        if (optBoolean(n, "use_sliding_window", false)) {
            throw new IllegalArgumentException("use_sliding_window=true is not supported");
        }
        if (optBoolean(n, "mlp_bias", false)) throw new IllegalArgumentException("mlp_bias=true is not supported");
        int vocab = requireInt(n, "vocab_size");
        // Checked here because bos/eos ids are checked against it below (and "vocab of 0" would blame the wrong key).
        if (vocab <= 0) throw new IllegalArgumentException("vocab_size must be positive, got " + vocab);
        int hidden = requireInt(n, "hidden_size");
        int heads = requireInt(n, "num_attention_heads");
        // Checked here because the default head_dim divides by it (an ArithmeticException otherwise).
        if (heads <= 0) throw new IllegalArgumentException("num_attention_heads must be positive, got " + heads);
        int kvHeads = optInt(n, "num_key_value_heads", heads);
        int headDim = optInt(n, "head_dim", hidden / heads);
        boolean bias = arch.equals(QWEN2) || optBoolean(n, "attention_bias", false);
        List<Integer> eos = new ArrayList<>();
        JsonNode e = n.get("eos_token_id");
        if (e != null && e.isArray()) {
            for (JsonNode x : e) eos.add(tokenId("eos_token_id", x, vocab));
        } else if (e != null && !e.isNull()) {
            eos.add(tokenId("eos_token_id", e, vocab));
        }
        JsonNode b = n.get("bos_token_id");
        // -1 is how racro4j wrote "no bos token" before it wrote null; it still reads as none.
        int bos = b == null || b.isNull() || (b.isIntegralNumber() && b.asLong() == -1) ? -1 : tokenId("bos_token_id", b, vocab);
        return new DecoderConfig(arch, vocab, hidden, requireInt(n, "intermediate_size"),
                requireInt(n, "num_hidden_layers"), heads, kvHeads, headDim,
                optInt(n, "max_position_embeddings", 4096),
                optDouble(n, "rope_theta", 10000.0),
                optDouble(n, "rms_norm_eps", 1e-6),
                optBoolean(n, "tie_word_embeddings", false),
                bias,
                bos,
                eos);
    }

    /** A layer index in a tensor name, as Hugging Face numbers them (at most 9 digits, so it always parses). */
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d{1,9})\\.");

    /**
     * Compares the sizes with the shapes a checkpoint's headers declare (tensor name → shape, Hugging Face names
     * under {@code prefix}), before a model of this config is allocated: a config that promises more layers or
     * wider matrices than the weights have would otherwise allocate all of it first and only then list every
     * tensor as missing or mis-shaped. Tensors that are absent are left to the full check after allocation.
     *
     * @throws IllegalArgumentException naming the config key and the tensor that disagrees with it
     */
    public void checkAgainstCheckpoint(Map<String, int[]> shapes, String prefix) {
        String embed = prefix + "model.embed_tokens.weight";
        expectDim(shapes, embed, 0, "vocab_size is " + vocabSize, vocabSize);
        expectDim(shapes, embed, 1, "hidden_size is " + hiddenSize, hiddenSize);
        int layers = 0;
        for (String name : shapes.keySet()) {
            if (!name.startsWith(prefix)) continue;
            Matcher m = LAYER.matcher(name);
            if (m.region(prefix.length(), name.length()).lookingAt()) layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
        }
        if (numLayers > layers) {
            throw new IllegalArgumentException("num_hidden_layers is " + numLayers + " but the checkpoint has "
                    + (layers == 0 ? "no " + prefix + "model.layers.* tensors" : "layers 0.." + (layers - 1) + " (" + prefix + "model.layers.N)"));
        }
        String layer0 = prefix + "model.layers.0.";
        expectDim(shapes, layer0 + "self_attn.q_proj.weight", 0,
                "num_attention_heads × head_dim is " + numHeads + " × " + headDim + " = " + numHeads * headDim, numHeads * headDim);
        expectDim(shapes, layer0 + "self_attn.q_proj.weight", 1, "hidden_size is " + hiddenSize, hiddenSize);
        expectDim(shapes, layer0 + "self_attn.k_proj.weight", 0,
                "num_key_value_heads × head_dim is " + numKvHeads + " × " + headDim + " = " + numKvHeads * headDim, numKvHeads * headDim);
        expectDim(shapes, layer0 + "mlp.gate_proj.weight", 0, "intermediate_size is " + intermediateSize, intermediateSize);
    }

    private static void expectDim(Map<String, int[]> shapes, String tensor, int dim, String what, int want) {
        int[] shape = shapes.get(tensor);
        if (shape != null && shape.length == 2 && shape[dim] != want) {
            throw new IllegalArgumentException(what + " but " + tensor + " has shape " + Shapes.str(shape));
        }
    }

    // A key that is absent or JSON null takes its default; a key that is present must have the right JSON type.
    // (Jackson's asInt()/asDouble()/asBoolean() would quietly turn "big" into 0 or the default instead.)

    private static JsonNode present(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v;
    }

    private static int requireInt(JsonNode n, String key) {
        if (present(n, key) == null) throw new IllegalArgumentException("missing \"" + key + "\"");
        return optInt(n, key, 0);
    }

    private static int optInt(JsonNode n, String key, int absent) {
        JsonNode v = present(n, key);
        if (v == null) return absent;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("\"" + key + "\" must be an integer, got " + v);
        }
        return v.intValue();
    }

    private static double optDouble(JsonNode n, String key, double absent) {
        JsonNode v = present(n, key);
        if (v == null) return absent;
        if (!v.isNumber()) throw new IllegalArgumentException("\"" + key + "\" must be a number, got " + v);
        return v.doubleValue();
    }

    private static boolean optBoolean(JsonNode n, String key, boolean absent) {
        JsonNode v = present(n, key);
        if (v == null) return absent;
        if (!v.isBoolean()) throw new IllegalArgumentException("\"" + key + "\" must be true or false, got " + v);
        return v.booleanValue();
    }

    private static String optString(JsonNode n, String key, String absent) {
        JsonNode v = present(n, key);
        if (v == null) return absent;
        if (!v.isTextual()) throw new IllegalArgumentException("\"" + key + "\" must be a string, got " + v);
        return v.textValue();
    }

    /** A bos/eos id: an integer naming a row of the embedding (an id past it would never be produced, so never stop). */
    private static int tokenId(String key, JsonNode v, int vocab) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("\"" + key + "\" must be a token id or a list of them, got " + v);
        }
        int id = v.intValue();
        if (id < 0 || id >= vocab) {
            throw new IllegalArgumentException("\"" + key + "\" " + id + " is not a token id of a vocabulary of " + vocab + " (vocab_size)");
        }
        return id;
    }

    /** The config.json Hugging Face transformers writes for this model, with F32 weights. */
    public ObjectNode toJson() {
        return toJson(DType.F32);
    }

    /** The config.json Hugging Face transformers writes for this model with weights stored in {@code stored}. */
    public ObjectNode toJson(DType stored) {
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
        if (bosTokenId >= 0) n.put("bos_token_id", bosTokenId);
        else n.putNull("bos_token_id");
        ArrayNode eos = n.putArray("eos_token_id");
        eosTokenIds.forEach(eos::add);
        n.put("torch_dtype", switch (stored) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("config.json: weights cannot be stored as " + stored);
        });
        return n;
    }

    public void write(Path configJson) throws IOException {
        write(configJson, DType.F32);
    }

    /** Writes config.json, its torch_dtype naming the dtype the weights are stored in. */
    public void write(Path configJson, DType stored) throws IOException {
        Files.writeString(configJson, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(stored)));
    }
}

package org.racro4j.models.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A ViT: square images of {@code imageSize} pixels cut into {@code patchSize} patches, each patch embedded
 * linearly, learned position embeddings, {@code numLayers} pre-norm blocks, a final layer norm. Pixels are
 * normalised per channel with {@code mean}/{@code std} after scaling to [0, 1].
 */
public record VisionConfig(int imageSize, int patchSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                           double layerNormEps, float[] mean, float[] std) {
    public VisionConfig {
        if (imageSize <= 0 || patchSize <= 0 || imageSize % patchSize != 0) {
            throw new IllegalArgumentException("vision: image_size (" + imageSize + ") must be a positive multiple of patch_size (" + patchSize + ")");
        }
        if (hiddenSize <= 0 || numLayers < 0 || numHeads <= 0 || hiddenSize % numHeads != 0 || intermediateSize <= 0) {
            throw new IllegalArgumentException("vision: need hidden_size divisible by num_attention_heads and positive sizes, got hidden "
                    + hiddenSize + ", heads " + numHeads + ", intermediate " + intermediateSize + ", layers " + numLayers);
        }
        if (mean.length != 3 || std.length != 3) throw new IllegalArgumentException("vision: image_mean and image_std need 3 values");
        mean = mean.clone();
        std = std.clone();
    }

    /** A small ViT with CLIP's normalisation constants. */
    public static VisionConfig small(int imageSize, int patchSize, int hidden, int layers, int heads) {
        return new VisionConfig(imageSize, patchSize, hidden, layers, heads, hidden * 4, 1e-5,
                new float[] {0.4815f, 0.4578f, 0.4082f}, new float[] {0.2686f, 0.2613f, 0.2758f});
    }

    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    public int numPatches() {
        return patchesPerSide() * patchesPerSide();
    }

    /** Values per flattened patch: 3 channels × patch × patch. */
    public int patchDim() {
        return 3 * patchSize * patchSize;
    }

    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("image_size", imageSize);
        n.put("patch_size", patchSize);
        n.put("hidden_size", hiddenSize);
        n.put("num_hidden_layers", numLayers);
        n.put("num_attention_heads", numHeads);
        n.put("intermediate_size", intermediateSize);
        n.put("layer_norm_eps", layerNormEps);
        var m = n.putArray("image_mean");
        for (float v : mean) m.add(v);
        var s = n.putArray("image_std");
        for (float v : std) s.add(v);
        return n;
    }

    public static VisionConfig fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("missing \"vision_config\" object");
        int imageSize = req(n, "image_size");
        int patchSize = req(n, "patch_size");
        int hidden = req(n, "hidden_size");
        int layers = req(n, "num_hidden_layers");
        int heads = req(n, "num_attention_heads");
        int intermediate = req(n, "intermediate_size");
        return new VisionConfig(imageSize, patchSize, hidden, layers, heads, intermediate, n.path("layer_norm_eps").asDouble(1e-5),
                floats(n, "image_mean"), floats(n, "image_std"));
    }

    private static int req(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isIntegralNumber()) throw new IllegalArgumentException("vision_config: \"" + key + "\" must be an integer");
        return v.asInt();
    }

    private static float[] floats(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isArray() || v.size() != 3) throw new IllegalArgumentException("vision_config: \"" + key + "\" must hold 3 numbers");
        return new float[] {(float) v.get(0).asDouble(), (float) v.get(1).asDouble(), (float) v.get(2).asDouble()};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VisionConfig c && c.imageSize == imageSize && c.patchSize == patchSize && c.hiddenSize == hiddenSize
                && c.numLayers == numLayers && c.numHeads == numHeads && c.intermediateSize == intermediateSize
                && c.layerNormEps == layerNormEps && java.util.Arrays.equals(c.mean, mean) && java.util.Arrays.equals(c.std, std);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(imageSize, patchSize, hiddenSize, numLayers, numHeads, intermediateSize);
    }
}

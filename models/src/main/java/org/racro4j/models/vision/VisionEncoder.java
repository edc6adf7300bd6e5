package org.racro4j.models.vision;

import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Embedding;
import org.racro4j.core.nn.LayerNorm;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.nn.ModuleList;
import org.racro4j.core.random.Generator;

/**
 * ViT encoder: flattened patches [B, P, 3·p·p] → linear patch embedding (a stride-p convolution written as a
 * matmul) + learned position embeddings → pre-norm blocks → final layer norm → [B, P, hidden].
 */
public final class VisionEncoder extends Module {
    private final VisionConfig config;
    private final Embeddings embeddings;
    private final Encoder encoder;
    private final LayerNorm postNorm;
    private final Tensor positionIds;

    public VisionEncoder(VisionConfig c, float std, Generator gen, DType dtype, Device device) {
        this.config = c;
        embeddings = registerModule("embeddings", new Embeddings(c, std, gen, dtype, device));
        encoder = registerModule("encoder", new Encoder(c, std, gen, dtype, device));
        postNorm = registerModule("post_layernorm", new LayerNorm(c.hiddenSize(), (float) c.layerNormEps(), true, dtype, device));
        long[] ids = new long[c.numPatches()];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        positionIds = org.racro4j.core.Scope.escape(Tensor.ofLongs(ids, ids.length).to(device));
    }

    public VisionConfig config() {
        return config;
    }

    /** patches [B, P, patchDim] → features [B, P, hidden]. */
    public Tensor forward(Tensor patches) {
        if (patches.dim() != 3 || patches.size(1) != config.numPatches() || patches.size(2) != config.patchDim()) {
            throw new IllegalArgumentException("vision encoder: expected patches [B, " + config.numPatches() + ", " + config.patchDim()
                    + "], got " + org.racro4j.core.Shapes.str(patches.shape()));
        }
        Tensor h = embeddings.patch.forward(patches).add(embeddings.position.forward(positionIds));
        for (VisionBlock b : encoder.layers) h = b.forward(h);
        return postNorm.forward(h);
    }

    @Override
    public void close() {
        super.close();
        positionIds.close();
    }

    /** "embeddings.patch_embedding", "embeddings.position_embedding". */
    private static final class Embeddings extends Module {
        final Linear patch;
        final Embedding position;

        Embeddings(VisionConfig c, float std, Generator gen, DType dtype, Device device) {
            patch = registerModule("patch_embedding", Linear.normal(c.patchDim(), c.hiddenSize(), true, std, gen, dtype, device));
            position = registerModule("position_embedding", new Embedding(c.numPatches(), c.hiddenSize(), gen, std, dtype, device));
        }
    }

    /** "encoder.layers.N". */
    private static final class Encoder extends Module {
        final ModuleList<VisionBlock> layers;

        Encoder(VisionConfig c, float std, Generator gen, DType dtype, Device device) {
            List<VisionBlock> blocks = new ArrayList<>();
            for (int i = 0; i < c.numLayers(); i++) blocks.add(new VisionBlock(c, std, gen, dtype, device));
            layers = registerModule("layers", new ModuleList<>(blocks));
        }
    }
}

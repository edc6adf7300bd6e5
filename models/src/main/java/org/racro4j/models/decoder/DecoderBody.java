package org.racro4j.models.decoder;

import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Embedding;
import org.racro4j.core.nn.Module;
import org.racro4j.core.nn.ModuleList;
import org.racro4j.core.nn.RMSNorm;
import org.racro4j.core.random.Generator;

/** The transformer without its head ("model." in HF checkpoints): embed_tokens, layers, norm. */
public final class DecoderBody extends Module {
    private final Embedding embed;
    private final ModuleList<DecoderLayer> layers;
    private final RMSNorm norm;

    DecoderBody(DecoderConfig c, float std, Generator gen, DType dtype, Device device) {
        embed = registerModule("embed_tokens", new Embedding(c.vocabSize(), c.hiddenSize(), gen, std, dtype, device));
        List<DecoderLayer> ls = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) ls.add(new DecoderLayer(c, std, gen, dtype, device));
        layers = registerModule("layers", new ModuleList<>(ls));
        norm = registerModule("norm", new RMSNorm(c.hiddenSize(), (float) c.rmsNormEps(), dtype, device));
    }

    Embedding embedding() {
        return embed;
    }

    /**
     * The layers and the final norm. Without autograd nothing refers to a layer's temporaries once it has returned, so
     * each layer's are freed as it ends, and its input once the next layer has read it: a prefill holds one layer's
     * activations at a time, not every layer's until it returns (24 layers of MLP activations for a 0.5B model's batch
     * of prompts, gigabytes).
     */
    Tensor forward(Tensor x, RopeTables rope, int pos0, Tensor keyMask, KvCache cache) {
        Tensor h = x;
        if (Autograd.isEnabled()) {
            for (int i = 0; i < layers.size(); i++) h = layers.get(i).forward(h, rope, pos0, keyMask, cache, i);
            return norm.forward(h);
        }
        for (int i = 0; i < layers.size(); i++) {
            Tensor in = h;
            try (Scope layer = Scope.open()) {
                h = layer.keep(layers.get(i).forward(in, rope, pos0, keyMask, cache, i));
            }
            if (in != x) in.close();
        }
        Tensor out = norm.forward(h);
        if (h != x) h.close();
        return out;
    }

    Tensor forwardDecode(Tensor x, Tensor cos, Tensor sin, KvCache cache) {
        Tensor h = x;
        for (int i = 0; i < layers.size(); i++) h = layers.get(i).forwardDecode(h, cos, sin, cache, i);
        return norm.forward(h);
    }
}

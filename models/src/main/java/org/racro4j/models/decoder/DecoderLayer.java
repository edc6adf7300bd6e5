package org.racro4j.models.decoder;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Module;
import org.racro4j.core.nn.RMSNorm;
import org.racro4j.core.random.Generator;

/** Pre-norm block: x + attn(norm(x)), then h + mlp(norm(h)). */
public final class DecoderLayer extends Module {
    private final RMSNorm inputNorm;
    private final Attention attention;
    private final RMSNorm postAttentionNorm;
    private final Mlp mlp;

    DecoderLayer(DecoderConfig c, float std, Generator gen, DType dtype, Device device) {
        attention = registerModule("self_attn", new Attention(c, std, gen, dtype, device));
        mlp = registerModule("mlp", new Mlp(c.hiddenSize(), c.intermediateSize(), std, gen, dtype, device));
        inputNorm = registerModule("input_layernorm", new RMSNorm(c.hiddenSize(), (float) c.rmsNormEps(), dtype, device));
        postAttentionNorm = registerModule("post_attention_layernorm", new RMSNorm(c.hiddenSize(), (float) c.rmsNormEps(), dtype, device));
    }

    Tensor forward(Tensor x, RopeTables rope, int pos0, Tensor keyMask, KvCache cache, int layer) {
        Tensor h = x.add(attention.forward(inputNorm.forward(x), rope, pos0, keyMask, cache, layer));
        return h.add(mlp.forward(postAttentionNorm.forward(h)));
    }

    Tensor forwardDecode(Tensor x, Tensor cos, Tensor sin, KvCache cache, int layer) {
        Tensor h = x.add(attention.forwardDecode(inputNorm.forward(x), cos, sin, cache, layer));
        return h.add(mlp.forward(postAttentionNorm.forward(h)));
    }
}

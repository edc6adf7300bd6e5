package org.racro4j.models.vision;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.LayerNorm;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.random.Generator;

/**
 * Pre-norm ViT block: x + attn(ln1(x)), then h + fc2(gelu(fc1(ln2(h)))). Attention is bidirectional. Names
 * follow CLIP/SigLIP: layer_norm1, self_attn.{q,k,v,out}_proj, layer_norm2, mlp.fc1, mlp.fc2.
 */
final class VisionBlock extends Module {
    private final LayerNorm norm1;
    private final SelfAttention attention;
    private final LayerNorm norm2;
    private final Mlp mlp;

    VisionBlock(VisionConfig c, float std, Generator gen, DType dtype, Device device) {
        int d = c.hiddenSize();
        norm1 = registerModule("layer_norm1", new LayerNorm(d, (float) c.layerNormEps(), true, dtype, device));
        attention = registerModule("self_attn", new SelfAttention(d, c.numHeads(), std, gen, dtype, device));
        norm2 = registerModule("layer_norm2", new LayerNorm(d, (float) c.layerNormEps(), true, dtype, device));
        mlp = registerModule("mlp", new Mlp(d, c.intermediateSize(), std, gen, dtype, device));
    }

    Tensor forward(Tensor x) {
        Tensor h = x.add(attention.forward(norm1.forward(x)));
        return h.add(mlp.forward(norm2.forward(h)));
    }

    static final class SelfAttention extends Module {
        private final Linear q;
        private final Linear k;
        private final Linear v;
        private final Linear out;
        private final int heads;

        SelfAttention(int d, int heads, float std, Generator gen, DType dtype, Device device) {
            this.heads = heads;
            q = registerModule("q_proj", Linear.normal(d, d, true, std, gen, dtype, device));
            k = registerModule("k_proj", Linear.normal(d, d, true, std, gen, dtype, device));
            v = registerModule("v_proj", Linear.normal(d, d, true, std, gen, dtype, device));
            out = registerModule("out_proj", Linear.normal(d, d, true, std, gen, dtype, device));
        }

        Tensor forward(Tensor x) {
            int b = x.size(0);
            int t = x.size(1);
            int d = x.size(2);
            int hd = d / heads;
            Tensor qs = q.forward(x).view(b, t, heads, hd).transpose(1, 2);
            Tensor ks = k.forward(x).view(b, t, heads, hd).transpose(1, 2);
            Tensor vs = v.forward(x).view(b, t, heads, hd).transpose(1, 2);
            Tensor a = Functional.scaledDotProductAttention(qs, ks, vs, null, false, Float.NaN);
            return out.forward(a.transpose(1, 2).reshape(b, t, d));
        }
    }

    static final class Mlp extends Module {
        private final Linear fc1;
        private final Linear fc2;

        Mlp(int d, int hidden, float std, Generator gen, DType dtype, Device device) {
            fc1 = registerModule("fc1", Linear.normal(d, hidden, true, std, gen, dtype, device));
            fc2 = registerModule("fc2", Linear.normal(hidden, d, true, std, gen, dtype, device));
        }

        Tensor forward(Tensor x) {
            return fc2.forward(fc1.forward(x).gelu());
        }
    }
}

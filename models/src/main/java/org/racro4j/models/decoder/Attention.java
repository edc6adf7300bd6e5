package org.racro4j.models.decoder;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.random.Generator;

/**
 * Causal grouped-query self-attention with rotary embeddings: q/k/v projections (with bias in Qwen2), RoPE on
 * q and k, attention over the cache plus the new tokens, output projection. HF names: q_proj, k_proj,
 * v_proj, o_proj.
 */
public final class Attention extends Module {
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear o;
    private final int heads;
    private final int kvHeads;
    private final int headDim;

    Attention(DecoderConfig c, float std, Generator gen, DType dtype, Device device) {
        this.heads = c.numHeads();
        this.kvHeads = c.numKvHeads();
        this.headDim = c.headDim();
        int d = c.hiddenSize();
        q = registerModule("q_proj", Linear.normal(d, heads * headDim, c.attentionBias(), std, gen, dtype, device));
        k = registerModule("k_proj", Linear.normal(d, kvHeads * headDim, c.attentionBias(), std, gen, dtype, device));
        v = registerModule("v_proj", Linear.normal(d, kvHeads * headDim, c.attentionBias(), std, gen, dtype, device));
        o = registerModule("o_proj", Linear.normal(heads * headDim, d, false, std, gen, dtype, device));
    }

    /**
     * @param x       [B, T, D] hidden states of the new tokens
     * @param pos0    rotary position of the first new token (the cache length plus its position offset)
     * @param keyMask [B, S] with S = cache length + T: 1 for keys that may be attended, 0 for padding; null = all
     * @param cache   the KV cache (null for a plain forward over the whole sequence)
     */
    Tensor forward(Tensor x, RopeTables rope, int pos0, Tensor keyMask, KvCache cache, int layer) {
        int b = x.size(0);
        int t = x.size(1);
        Tensor qs = q.forward(x).view(b, t, heads, headDim).transpose(1, 2);
        Tensor ks = k.forward(x).view(b, t, kvHeads, headDim).transpose(1, 2);
        Tensor vs = v.forward(x).view(b, t, kvHeads, headDim).transpose(1, 2);
        Tensor cos = rope.cos(pos0, t);
        Tensor sin = rope.sin(pos0, t);
        qs = Functional.rope(qs, cos, sin);
        ks = Functional.rope(ks, cos, sin);
        if (cache != null) {
            Tensor[] kv = cache.append(layer, ks, vs);
            if (t == 1 && KvCache.keysTransposed(kv[0].dtype(), kv[0].device(), headDim) && !qs.requiresGrad()) {
                // One new token per row: the decode kernel reads transposed keys in place, where the products below
                // would need a row-major copy of every key so far (continuous batching steps this way). A cache in
                // row-major order on such a device goes through the kernel too, so that both layouts give the bits of
                // device-cursor steps. The kernel records no backward, so a forward that autograd records takes the
                // products.
                int[] lengths = new int[b];
                java.util.Arrays.fill(lengths, kv[0].size(2));
                Tensor out = Functional.decodeAttention(qs, kv[0], kv[1], Tensor.ofInts(lengths, b).to(x.device()), keyMask, Float.NaN,
                        cache.sharedPrefix());
                return o.forward(out.transpose(1, 2).reshape(b, 1, heads * headDim));
            }
            // The products' bits depend on the keys' layout: they get the row-major one they always had.
            ks = kv[0].stride(3) == 1 ? kv[0] : kv[0].contiguous();
            vs = kv[1];
        }
        int s = ks.size(2);
        Tensor mask = keyMask == null ? null : keyMask.view(b, 1, 1, s);
        Tensor out = Functional.scaledDotProductAttention(qs, ks, vs, mask, t > 1, Float.NaN);
        return o.forward(out.transpose(1, 2).reshape(b, t, heads * headDim));
    }

    /**
     * One decode step of one new token per row at the cache's device position (a step a graph can replay): the
     * new key and value go into the cache at that position, and the query attends each row's cached keys
     * (Functional.decodeAttention, reading the lengths on the device).
     *
     * @param x   [B, 1, D]
     * @param cos the rotary rows of the position, [1, headDim / 2]
     */
    Tensor forwardDecode(Tensor x, Tensor cos, Tensor sin, KvCache cache, int layer) {
        int b = x.size(0);
        Tensor qs = Functional.rope(q.forward(x).view(b, 1, heads, headDim).transpose(1, 2), cos, sin);
        Tensor ks = Functional.rope(k.forward(x).view(b, 1, kvHeads, headDim).transpose(1, 2), cos, sin);
        Tensor vs = v.forward(x).view(b, 1, kvHeads, headDim).transpose(1, 2);
        cache.appendAt(layer, ks, vs);
        Tensor out = Functional.decodeAttention(qs, cache.keys(layer), cache.values(layer), cache.deviceLengths(), cache.keyMaskAll(),
                Float.NaN, cache.sharedPrefix());
        return o.forward(out.transpose(1, 2).reshape(b, 1, heads * headDim));
    }
}

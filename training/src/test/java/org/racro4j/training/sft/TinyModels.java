package org.racro4j.training.sft;

import java.util.List;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Module;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;

/**
 * Tiny models with large random weights for the SFT tests, and the float64 reference of the SFT objective. Weights
 * are drawn with std 0.4 so that next-token distributions are far from uniform: a target scored at the wrong
 * position then changes the loss by a lot, not by a rounding error.
 */
final class TinyModels {
    private TinyModels() {}

    /** A 2-layer Qwen2-shaped decoder over {@code vocab} ids (BOS 1, EOS 2), every weight redrawn with std 0.4. */
    static CausalLM decoder(int vocab, boolean tiedEmbeddings, int context, long seed) {
        CausalLM lm = CausalLM.create(config(vocab, tiedEmbeddings, context), seed, DType.F32, Device.CPU);
        randomize(lm, seed + 1);
        return lm;
    }

    static DecoderConfig config(int vocab, boolean tiedEmbeddings, int context) {
        return new DecoderConfig(DecoderConfig.QWEN2, vocab, 24, 40, 2, 4, 2, 6, context, 10000.0, 1e-6, tiedEmbeddings, true, 1, List.of(2));
    }

    static void randomize(Module m, long seed) {
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Generator g = new Generator(seed);
            for (Tensor t : m.stateDict().values()) t.copyFrom(Tensor.randn(g, t.shape()).mul(0.4f));
        }
    }

    /**
     * Float64 reference: −Σ_j log softmax(z[q_j − 1])[target_j], where q_j is the position of target token j in the
     * unpadded row [prefix][context][target] and z the model's logits on that row alone (the output at a position
     * predicts the token after it). Only the target tokens are scored.
     *
     * @param prefixRow null, or [1, P, D] embeddings placed before the context
     */
    static double targetNll(CausalLM lm, Tensor prefixRow, int[] context, int[] target) {
        int p = prefixRow == null ? 0 : prefixRow.size(1);
        long[] ids = new long[context.length + target.length];
        for (int i = 0; i < context.length; i++) ids[i] = context[i];
        for (int j = 0; j < target.length; j++) ids[context.length + j] = target[j];
        int v = lm.config().vocabSize();
        float[] logits;
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Tensor e = lm.embed(Tensor.ofLongs(ids, 1, ids.length));
            if (prefixRow != null) e = Tensor.cat(List.of(prefixRow, e), 1);
            logits = lm.logits(lm.hidden(e, null, null)).toFloatArray();
        }
        double nll = 0;
        for (int j = 0; j < target.length; j++) {
            int position = p + context.length + j;
            nll -= logSoftmax(logits, (position - 1) * v, v, target[j]);
        }
        return nll;
    }

    /** log softmax(z[off .. off + n))[k] in float64. */
    static double logSoftmax(float[] z, int off, int n, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, z[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(z[off + i] - max);
        return z[off + k] - max - Math.log(sum);
    }

    /** Random ids in [lo, hi) of the given length. */
    static int[] ids(java.util.SplittableRandom r, int length, int lo, int hi) {
        int[] out = new int[length];
        for (int i = 0; i < length; i++) out[i] = r.nextInt(lo, hi);
        return out;
    }
}

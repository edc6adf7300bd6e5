package org.racro4j.models.generation;

import java.util.List;

import org.racro4j.core.Autograd;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;

/**
 * Log-probabilities of given target tokens after given contexts, in one forward pass with autograd (what a
 * policy-gradient loss and SFT need). Rows are right-padded: a row is [prefix][context][target][pad...], and
 * since attention is causal no real token can see the padding, so a row scores exactly as it would alone.
 */
public final class TeacherForcing {
    private TeacherForcing() {}

    /** Per-token results, [B, L] with L the longest target; {@code mask} is 1 on real target tokens. */
    public record Scores(Tensor logProbs, Tensor mask, Tensor entropy) {}

    /** A non-finite log-probability: its row, the target token's index in the row's target, and the value. */
    public record NonFinite(int row, int token, float value) {}

    /**
     * The first real target token (row by row) whose log-probability is NaN or infinite, or null when all are finite.
     * It reads the scores back to the host: callers use it to say where, after a cheaper check (a loss, a row sum)
     * found a non-finite value.
     */
    public static NonFinite firstNonFinite(Scores s) {
        int b = s.logProbs().size(0);
        int l = s.logProbs().size(1);
        float[] lp = s.logProbs().toFloatArray();
        float[] mask = s.mask().toFloatArray();
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < l; j++) {
                if (mask[r * l + j] != 0f && !Float.isFinite(lp[r * l + j])) return new NonFinite(r, j, lp[r * l + j]);
            }
        }
        return null;
    }

    /**
     * @param prefix      null, or [B, P, D] embeddings before each context (image tokens)
     * @param temperature logits are divided by it (1 = the model's own distribution)
     * @param withEntropy also return the entropy of each predicted distribution (no gradient)
     */
    public static Scores score(CausalLM lm, Tensor prefix, List<int[]> contexts, List<int[]> targets, float temperature,
                               boolean withEntropy) {
        int b = contexts.size();
        if (targets.size() != b) throw new IllegalArgumentException("score: " + b + " contexts but " + targets.size() + " targets");
        int p = prefix == null ? 0 : prefix.size(1);
        int tmax = 0;
        int lmax = 0;
        for (int r = 0; r < b; r++) {
            tmax = Math.max(tmax, contexts.get(r).length + targets.get(r).length);
            lmax = Math.max(lmax, targets.get(r).length);
        }
        lmax = Math.max(lmax, 1);
        long[] ids = new long[b * tmax];
        long[] labels = new long[b * (p + tmax)];
        java.util.Arrays.fill(labels, -100);
        long[] where = new long[b * lmax];
        float[] mask = new float[b * lmax];
        for (int r = 0; r < b; r++) {
            int[] ctx = contexts.get(r);
            int[] tgt = targets.get(r);
            if (p + ctx.length == 0 && tgt.length > 0) {
                throw new IllegalArgumentException("score: row " + r + " has targets but no context or prefix to predict them from");
            }
            for (int i = 0; i < ctx.length; i++) ids[r * tmax + i] = ctx[i];
            for (int j = 0; j < tgt.length; j++) {
                ids[r * tmax + ctx.length + j] = tgt[j];
                int predictedAt = p + ctx.length + j - 1;   // the logits at position i predict token i + 1
                labels[r * (p + tmax) + predictedAt] = tgt[j];
                where[r * lmax + j] = predictedAt;
                mask[r * lmax + j] = 1f;
            }
        }
        Tensor embeds = lm.embed(Tensor.ofLongs(ids, b, tmax).to(lm.device()));
        if (prefix != null) embeds = Tensor.cat(List.of(prefix.to(embeds.dtype()), embeds), 1);
        Tensor logits = lm.logits(lm.hidden(embeds, null, null));
        if (temperature != 1f) logits = logits.div(temperature);
        Tensor labelT = Tensor.ofLongs(labels, b, p + tmax).to(lm.device());
        Tensor tokenLogProbs = Functional.crossEntropy(logits, labelT, -100, Functional.Reduction.NONE).neg();
        Tensor index = Tensor.ofLongs(where, b, lmax).to(lm.device());
        Tensor maskT = Tensor.of(mask, b, lmax).to(lm.device());
        Tensor lp = tokenLogProbs.gather(1, index).mul(maskT);
        Tensor entropy = null;
        if (withEntropy) {
            try (Autograd.Mode off = Autograd.noGrad()) {
                Tensor logp = logits.logSoftmax(-1);
                Tensor h = logp.exp().mul(logp).sum(-1, false).neg();   // [B, P + T]
                entropy = h.gather(1, index).mul(maskT);
            }
        }
        return new Scores(lp, maskT, entropy);
    }
}

package org.racro4j.training.rl;

import org.racro4j.core.Autograd;
import org.racro4j.core.Tensor;

/**
 * The GRPO/PPO token-level objective. For each response token t with advantage A (its response's),
 * ratio r = exp(log π − log π_old):
 * <pre>
 *   policy term  = −min(r A, clip(r, 1 − clipLow, 1 + clipHigh) A)
 *   kl term      = klCoef · KL_k(π, π_ref)          (k1 or k3, per token)
 *   loss         = aggregate(policy term + kl term)  over masked tokens
 * </pre>
 * Returned with the diagnostics a run logs: mean ratio, clip fraction (tokens whose gradient the clip removed),
 * mean KL.
 */
public final class PolicyLoss {
    private PolicyLoss() {}

    public record Result(Tensor loss, double clipFraction, double meanKl, double meanRatio) {}

    /**
     * @param logProbs   [B, L] log π of the response tokens (with autograd)
     * @param oldLogProbs [B, L] log π_old at sampling time (no gradient)
     * @param refLogProbs [B, L] log π_ref of the frozen reference, or null when klCoef is 0
     * @param advantages [B] one advantage per response
     * @param mask       [B, L] 1 on real response tokens, 0 on padding
     * @param maxLength  the constant length TOKEN_SUM_NORM divides by
     */
    public static Result compute(Tensor logProbs, Tensor oldLogProbs, Tensor refLogProbs, Tensor advantages, Tensor mask,
                                 LossConfig cfg, int maxLength) {
        int b = logProbs.size(0);
        Tensor adv = advantages.reshape(b, 1);
        Tensor ratio = logProbs.sub(oldLogProbs).exp();
        Tensor unclipped = ratio.mul(adv);
        Tensor clipped = ratio.clamp((float) (1 - cfg.clipLow()), (float) (1 + cfg.clipHigh())).mul(adv);
        Tensor perToken = unclipped.minimum(clipped).neg();
        Tensor kl = null;
        if (cfg.klCoef() > 0) {
            if (refLogProbs == null) throw new IllegalArgumentException("policy loss: a KL coefficient needs reference log-probs");
            Tensor diff = refLogProbs.sub(logProbs);   // log π_ref − log π
            kl = cfg.kl() == LossConfig.KlEstimator.K1 ? diff.neg() : diff.exp().sub(diff).sub(1f);
            perToken = perToken.add(kl.mul((float) cfg.klCoef()));
        }
        Tensor loss = aggregate(perToken, mask, cfg.aggregation(), maxLength);

        double clipFraction;
        double meanKl = 0;
        double meanRatio;
        try (Autograd.Mode off = Autograd.noGrad()) {
            double tokens = Math.max(1, mask.sum().item());
            // The clip removes the gradient where the clipped term is the smaller one and differs from r A.
            Tensor active = clipped.lt(unclipped).mul(mask);
            clipFraction = active.sum().item() / tokens;
            meanRatio = ratio.mul(mask).sum().item() / tokens;
            if (kl != null) meanKl = kl.mul(mask).sum().item() / tokens;
        }
        return new Result(loss, clipFraction, meanKl, meanRatio);
    }

    /** Averages per-token values [B, L] over the mask as the aggregation says. */
    public static Tensor aggregate(Tensor perToken, Tensor mask, LossConfig.Aggregation how, int maxLength) {
        Tensor masked = perToken.mul(mask);
        return switch (how) {
            case TOKEN_MEAN -> masked.sum().div(mask.sum().clamp(1f, Float.MAX_VALUE));
            case SEQUENCE_MEAN -> {
                Tensor perSeq = masked.sum(1, false).div(mask.sum(1, false).clamp(1f, Float.MAX_VALUE));
                yield perSeq.mean();
            }
            case TOKEN_SUM_NORM -> masked.sum().div((float) perToken.size(0) * maxLength);
        };
    }
}

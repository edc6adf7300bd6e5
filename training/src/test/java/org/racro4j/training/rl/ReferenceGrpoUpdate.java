package org.racro4j.training.rl;

import java.util.List;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;

/**
 * PolicyUpdate written again the long way, as the test's independent reference: every rollout is scored alone
 * (no padding, no masks, no mixing of image and text rows), the clipped objective, the KL estimators and the
 * aggregations are evaluated token by token in float64, the loss's gradient is assembled by the chain rule as
 * Σ_t (∂L/∂log π_t) ∇log π_t, and global-norm clipping and AdamW run in float64 on float64 master weights (a
 * parameter without a gradient skips the step, as in PyTorch). Only ∇log π_t of a single unpadded row comes from
 * the engine's autograd.
 */
final class ReferenceGrpoUpdate {
    /** AdamW's hyper-parameters, with weight decay on parameters of rank >= 2 only (as AdamW.forTransformer). */
    record Adam(double lr, double weightDecay, double beta1, double beta2, double eps) {}

    /** The same quantities as PolicyUpdate.Stats, averaged over minibatches the same way. */
    record Result(double[][] parameters, double loss, double clipFraction, double kl, double entropy, double ratio, double gradNorm,
                  int optimizerSteps, long tokens) {}

    private ReferenceGrpoUpdate() {}

    /**
     * @param policy  updated in place (its float weights follow the float64 master weights)
     * @param batches the minibatches in the order they are stepped (indices into rollouts)
     */
    static Result run(CaptionPolicy policy, CaptionPolicy reference, List<Rollout> rollouts, double[] advantages, Tensor patches,
                      RlConfig cfg, Adam adam, List<int[]> batches) {
        LossConfig loss = cfg.loss();
        int n = rollouts.size();
        double[][] old = new double[n][];
        double[][] ref = new double[n][];
        for (int i = 0; i < n; i++) {
            old[i] = logProbsAlone(policy, rollouts.get(i), patches, cfg);
            if (loss.klCoef() > 0) ref[i] = logProbsAlone(reference, rollouts.get(i), patches, cfg);
        }
        List<Tensor> params = policy.model().parameters();
        double[][] w = TinyPolicy.parameters(policy);
        double[][] m = new double[w.length][];
        double[][] v = new double[w.length][];
        long[] stepsOf = new long[w.length];   // AdamW's per-parameter step: only steps that gave the parameter a gradient count
        for (int p = 0; p < w.length; p++) {
            m[p] = new double[w[p].length];
            v[p] = new double[w[p].length];
        }
        double lossSum = 0, clipSum = 0, klSum = 0, entSum = 0, ratioSum = 0, normSum = 0;
        long tokens = 0;
        for (int[] batch : batches) {
            int batchTokens = 0;
            for (int i : batch) batchTokens += rollouts.get(i).response().length;
            double batchLoss = 0, clipped = 0, klTotal = 0, ratioTotal = 0, entropyTotal = 0;
            for (int i : batch) {
                Rollout r = rollouts.get(i);
                int len = r.response().length;
                double a = advantages[i];
                try (Scope s = Scope.open()) {
                    TeacherForcing.Scores sc = scoreAlone(policy, r, patches, cfg, true);
                    float[] lp = sc.logProbs().toFloatArray();
                    float[] ent = sc.entropy().toFloatArray();
                    float[] dLoss = new float[len];   // ∂L/∂log π_t
                    for (int t = 0; t < len; t++) {
                        double weight = switch (loss.aggregation()) {
                            case TOKEN_MEAN -> 1.0 / batchTokens;
                            case SEQUENCE_MEAN -> 1.0 / (batch.length * (double) len);
                            case TOKEN_SUM_NORM -> 1.0 / (batch.length * (double) policy.maxCaptionTokens());
                        };
                        double ratio = Math.exp(lp[t] - old[i][t]);
                        double clippedRatio = Math.min(Math.max(ratio, 1 - loss.clipLow()), 1 + loss.clipHigh());
                        // −min(rA, clip(r)A): its derivative in log π is −rA where rA is the smaller term, 0 where the clip wins
                        boolean clipWins = clippedRatio * a < ratio * a;
                        double term = -Math.min(ratio * a, clippedRatio * a);
                        double dTerm = clipWins ? 0 : -ratio * a;
                        double kl = 0;
                        if (loss.klCoef() > 0) {
                            double d = ref[i][t] - lp[t];
                            kl = loss.kl() == LossConfig.KlEstimator.K1 ? -d : Math.exp(d) - d - 1;
                            double dKl = loss.kl() == LossConfig.KlEstimator.K1 ? 1 : 1 - Math.exp(d);
                            term += loss.klCoef() * kl;
                            dTerm += loss.klCoef() * dKl;
                        }
                        batchLoss += weight * term;
                        dLoss[t] = (float) (weight * dTerm);
                        clipped += clipWins ? 1 : 0;
                        klTotal += kl;
                        ratioTotal += ratio;
                        entropyTotal += ent[t];
                    }
                    sc.logProbs().mul(Tensor.of(dLoss, 1, len)).sum().backward();
                }
            }
            double[][] g = new double[w.length][];
            double sumSquares = 0;
            boolean[] hadGrad = new boolean[w.length];
            for (int p = 0; p < w.length; p++) {
                Tensor grad = params.get(p).grad();
                hadGrad[p] = grad != null;
                float[] gf = grad == null ? new float[w[p].length] : grad.toFloatArray();
                g[p] = new double[gf.length];
                for (int j = 0; j < gf.length; j++) {
                    g[p][j] = gf[j];
                    sumSquares += g[p][j] * g[p][j];
                }
                params.get(p).zeroGrad();
            }
            double norm = Math.sqrt(sumSquares);
            double scale = Math.min(1, cfg.maxGradNorm() / (norm + 1e-6));
            for (int p = 0; p < w.length; p++) {
                if (!hadGrad[p]) continue;   // e.g. the vision tower in a minibatch of text-only Solver rows
                stepsOf[p]++;
                double bc1 = 1 - Math.pow(adam.beta1(), stepsOf[p]);
                double bc2 = 1 - Math.pow(adam.beta2(), stepsOf[p]);
                double decay = params.get(p).dim() >= 2 ? adam.weightDecay() : 0;
                float[] updated = new float[w[p].length];
                for (int j = 0; j < w[p].length; j++) {
                    double gj = g[p][j] * scale;
                    m[p][j] = adam.beta1() * m[p][j] + (1 - adam.beta1()) * gj;
                    v[p][j] = adam.beta2() * v[p][j] + (1 - adam.beta2()) * gj * gj;
                    double mHat = m[p][j] / bc1;
                    double vHat = v[p][j] / bc2;
                    w[p][j] = w[p][j] * (1 - adam.lr() * decay) - adam.lr() * mHat / (Math.sqrt(vHat) + adam.eps());
                    updated[j] = (float) w[p][j];
                }
                try (Autograd.Mode off = Autograd.noGrad()) {
                    params.get(p).copyFrom(Tensor.of(updated, params.get(p).shape()));
                }
            }
            lossSum += batchLoss;
            clipSum += clipped / batchTokens;
            klSum += klTotal / batchTokens;
            ratioSum += ratioTotal / batchTokens;
            entSum += entropyTotal / batchTokens;
            normSum += norm;
            tokens += batchTokens;
        }
        int steps = batches.size();
        return new Result(w, lossSum / steps, clipSum / steps, klSum / steps, entSum / steps, ratioSum / steps, normSum / steps, steps,
                tokens);
    }

    /** log π of one rollout's response tokens, scored on its own, at the temperature its role samples with. */
    static double[] logProbsAlone(CaptionPolicy p, Rollout r, Tensor patches, RlConfig cfg) {
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            float[] f = scoreAlone(p, r, patches, cfg, false).logProbs().toFloatArray();
            double[] out = new double[r.response().length];
            for (int t = 0; t < out.length; t++) out[t] = f[t];
            return out;
        }
    }

    private static TeacherForcing.Scores scoreAlone(CaptionPolicy p, Rollout r, Tensor patches, RlConfig cfg, boolean entropy) {
        boolean image = r.image() >= 0;
        float temperature = r.role() != Role.SOLVER ? cfg.temperature() : cfg.answerTemperature() > 0 ? cfg.answerTemperature() : 1f;
        Tensor row = image ? patches.narrow(0, r.image(), 1) : null;
        return p.score(row, List.of(r.context()), List.of(r.response()), temperature, entropy);
    }
}

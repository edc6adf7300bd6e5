package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Tensor;

/**
 * Two responses, advantages +1 and −1, clip 0.2, mask [[1, 1, 0], [1, 1, 1]].
 * Row 0 (A = +1): ratios e^0.2 = 1.2214028 (clipped to 1.2: term −1.2, clip active), 1 (term −1).
 * Row 1 (A = −1): ratios e^−0.3 = 0.7408182 (min(−0.7408, −0.8) = −0.8: term +0.8, clip active),
 * 1 (term +1), e^0.2 (min(−1.2214, −1.2) = −1.2214: term +1.2214028, not clipped).
 */
class PolicyLossTest {
    static final Tensor LOGP = Tensor.of(new float[] {-1.0f, -0.5f, -9f, -2.0f, -1.0f, -0.3f}, 2, 3);
    static final Tensor OLD = Tensor.of(new float[] {-1.2f, -0.5f, -3f, -1.7f, -1.0f, -0.5f}, 2, 3);
    static final Tensor ADV = Tensor.of(new float[] {1f, -1f}, 2);
    static final Tensor MASK = Tensor.of(new float[] {1, 1, 0, 1, 1, 1}, 2, 3);
    static final double E02 = Math.exp(0.2);

    static LossConfig cfg(LossConfig.Aggregation agg, double klCoef, LossConfig.KlEstimator kl) {
        return new LossConfig(0.2, 0.2, agg, kl, klCoef);
    }

    @Test
    void tokenMeanSequenceMeanAndTokenSumNormMatchHandComputedValues() {
        double tokenMean = (-1.2 - 1 + 0.8 + 1 + E02) / 5;
        double seqMean = ((-1.2 - 1) / 2 + (0.8 + 1 + E02) / 3) / 2;
        double sumNorm = (-1.2 - 1 + 0.8 + 1 + E02) / (2 * 4);
        assertEquals(tokenMean, loss(LossConfig.Aggregation.TOKEN_MEAN).loss().item(), 1e-6);
        assertEquals(seqMean, loss(LossConfig.Aggregation.SEQUENCE_MEAN).loss().item(), 1e-6);
        assertEquals(sumNorm, loss(LossConfig.Aggregation.TOKEN_SUM_NORM).loss().item(), 1e-6);
        assertEquals(0.4, loss(LossConfig.Aggregation.TOKEN_MEAN).clipFraction(), 1e-9);
    }

    private static PolicyLoss.Result loss(LossConfig.Aggregation agg) {
        return PolicyLoss.compute(LOGP, OLD, null, ADV, MASK, cfg(agg, 0, LossConfig.KlEstimator.K3), 4);
    }

    /** Clipped tokens give no gradient; others give −A·r / N (token mean). Padding gives none. */
    @Test
    void gradientIsZeroWhereClippedAndMinusAdvantageTimesRatioElsewhere() {
        Tensor logp = Tensor.of(LOGP.toFloatArray(), 2, 3).requiresGrad(true);
        PolicyLoss.compute(logp, OLD, null, ADV, MASK, cfg(LossConfig.Aggregation.TOKEN_MEAN, 0, LossConfig.KlEstimator.K3), 4)
                .loss().backward();
        float[] want = {0f, (float) (-1.0 / 5), 0f, 0f, (float) (1.0 / 5), (float) (E02 / 5)};
        assertArrayEquals(want, logp.grad().toFloatArray(), 1e-6f);
    }

    /** k3 = e^d − d − 1 and k1 = −d with d = log π_ref − log π, added per token with the coefficient. */
    @Test
    void klTermsUseTheirEstimators() {
        Tensor ref = Tensor.of(new float[] {-1.1f, -0.2f, 0f, -2.5f, -1.0f, 0.1f}, 2, 3);
        float[] lp = LOGP.toFloatArray();
        float[] rf = ref.toFloatArray();
        float[] m = MASK.toFloatArray();
        double k3 = 0;
        double k1 = 0;
        for (int i = 0; i < 6; i++) {
            if (m[i] == 0) continue;
            double d = rf[i] - lp[i];
            k3 += Math.exp(d) - d - 1;
            k1 += -d;
        }
        double policy = (-1.2 - 1 + 0.8 + 1 + E02) / 5;
        PolicyLoss.Result r3 = PolicyLoss.compute(LOGP, OLD, ref, ADV, MASK, cfg(LossConfig.Aggregation.TOKEN_MEAN, 0.5, LossConfig.KlEstimator.K3), 4);
        PolicyLoss.Result r1 = PolicyLoss.compute(LOGP, OLD, ref, ADV, MASK, cfg(LossConfig.Aggregation.TOKEN_MEAN, 0.5, LossConfig.KlEstimator.K1), 4);
        assertEquals(policy + 0.5 * k3 / 5, r3.loss().item(), 1e-6);
        assertEquals(k3 / 5, r3.meanKl(), 1e-6);
        assertEquals(policy + 0.5 * k1 / 5, r1.loss().item(), 1e-6);
    }

    /** DAPO's asymmetric clip: with clip_high 0.3 the e^0.2 ratio of row 0 is no longer clipped. */
    @Test
    void clipHigherWidensOnlyTheUpperBound() {
        LossConfig c = new LossConfig(0.2, 0.3, LossConfig.Aggregation.TOKEN_MEAN, LossConfig.KlEstimator.K3, 0);
        PolicyLoss.Result r = PolicyLoss.compute(LOGP, OLD, null, ADV, MASK, c, 4);
        assertEquals((-E02 - 1 + 0.8 + 1 + E02) / 5, r.loss().item(), 1e-6);
        assertEquals(0.2, r.clipFraction(), 1e-9);
    }
}

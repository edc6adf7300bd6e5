package org.racro4j.core;

import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.normal;
import static org.racro4j.core.TestSupport.uniform;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Functional.Reduction;
import org.racro4j.core.random.Generator;

/** Finite-difference checks of the functional layers (linear, norms, rope, losses, attention, dropout). */
class LayerGradTest {

    @Test
    void linearWithBiasOnA3dInput() {
        check("linear", x -> Functional.linear(x[0], x[1], x[2]),
                in(normal(1, 42), 2, 3, 7), in(normal(2, 28), 4, 7), in(normal(3, 4), 4));
    }

    @Test
    void linearWithoutBias() {
        check("linear no bias", x -> Functional.linear(x[0], x[1], null), in(normal(4, 35), 5, 7), in(normal(5, 21), 3, 7));
    }

    @Test
    void layerNormWithBias() {
        check("layerNorm", x -> Functional.layerNorm(x[0], x[1], x[2], 1e-5f),
                in(normal(6, 105), 3, 5, 7), in(uniform(7, 7, 0.5, 1.5), 7), in(normal(8, 7), 7));
    }

    @Test
    void layerNormWithoutBias() {
        check("layerNorm no bias", x -> Functional.layerNorm(x[0], x[1], null, 1e-5f),
                in(normal(9, 105), 3, 5, 7), in(uniform(10, 7, 0.5, 1.5), 7));
    }

    @Test
    void layerNormOfANonContiguousInput() {
        check("layerNorm(x^T)", x -> Functional.layerNorm(x[0].transpose(0, 1), x[1], x[2], 1e-5f),
                in(normal(11, 35), 7, 5), in(uniform(12, 7, 0.5, 1.5), 7), in(normal(13, 7), 7));
    }

    @Test
    void rmsNorm() {
        check("rmsNorm", x -> Functional.rmsNorm(x[0], x[1], 1e-6f), in(normal(14, 105), 3, 5, 7), in(uniform(15, 7, 0.5, 1.5), 7));
    }

    @Test
    void ropeRotatesHalvesAndItsGradientRotatesBack() {
        int t = 5;
        int d = 6;
        float[] cos = new float[t * d / 2];
        float[] sin = new float[t * d / 2];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < d / 2; i++) {
                double theta = p * Math.pow(10000, -2.0 * i / d);
                cos[p * d / 2 + i] = (float) Math.cos(theta);
                sin[p * d / 2 + i] = (float) Math.sin(theta);
            }
        }
        check("rope", x -> Functional.rope(x[0], Tensor.of(cos, t, d / 2), Tensor.of(sin, t, d / 2)), in(normal(16, 2 * 3 * t * d), 2, 3, t, d));
    }

    private static final long[] TARGETS = {3, -100, 0, 6, 6, 2, -100, 1, 5, 4, 0, 2, 3, 1, 6};

    @Test
    void crossEntropyMeanSumAndNoneWithIgnoredTargets() {
        GradCheck.Input logits = in(normal(17, 105), 3, 5, 7);
        check("crossEntropy mean", x -> Functional.crossEntropy(x[0], Tensor.ofLongs(TARGETS, 3, 5), -100), logits);
        check("crossEntropy sum", x -> Functional.crossEntropy(x[0], Tensor.ofLongs(TARGETS, 3, 5), -100, Reduction.SUM), logits);
        check("crossEntropy none", x -> Functional.crossEntropy(x[0], Tensor.ofLongs(TARGETS, 3, 5), -100, Reduction.NONE), logits);
    }

    @Test
    void crossEntropyWithI32TargetsAndANonNegativeIgnoreIndex() {
        int[] t = {1, 4, 4, 0, 2, 4, 3};
        check("crossEntropy I32, ignore 4", x -> Functional.crossEntropy(x[0], Tensor.ofInts(t, 7), 4), in(normal(18, 35), 7, 5));
    }

    @Test
    void attentionCausalWithMoreKeysThanQueries() {
        // T = 3 queries aligned with the last 3 of S = 5 keys (a chunk of a longer sequence)
        check("sdpa causal T<S", x -> Functional.scaledDotProductAttention(x[0], x[1], x[2], null, true, Float.NaN),
                in(normal(19, 2 * 2 * 3 * 4), 2, 2, 3, 4), in(normal(20, 2 * 2 * 5 * 4), 2, 2, 5, 4), in(normal(21, 2 * 2 * 5 * 3), 2, 2, 5, 3));
    }

    @Test
    void attentionWithAKeepMaskAndGroupedQueryHeads() {
        // Hq = 4 query heads share Hkv = 2 key/value heads; key 1 of batch 0 and key 3 of batch 1 are padding.
        float[] keep = {1, 0, 1, 1, 1, 1, 1, 1, 0, 1};
        check("sdpa GQA + keep mask", x -> Functional.scaledDotProductAttention(x[0], x[1], x[2], Tensor.of(keep, 2, 1, 1, 5), false, 0.4f),
                in(normal(22, 2 * 4 * 3 * 4), 2, 4, 3, 4), in(normal(23, 2 * 2 * 5 * 4), 2, 2, 5, 4), in(normal(24, 2 * 2 * 5 * 3), 2, 2, 5, 3));
    }

    @Test
    void attentionCausalGroupedQuery() {
        check("sdpa GQA causal", x -> Functional.scaledDotProductAttention(x[0], x[1], x[2], null, true, Float.NaN),
                in(normal(25, 4 * 4 * 4), 1, 4, 4, 4), in(normal(26, 2 * 6 * 4), 1, 2, 6, 4), in(normal(27, 2 * 6 * 2), 1, 2, 6, 2));
    }

    @Test
    void dropoutWithTheSameMaskOnEveryEvaluation() {
        // A fresh generator with the same seed per evaluation gives the same mask, so f is linear in x.
        check("dropout", x -> Functional.dropout(x[0], 0.3f, true, new Generator(1234)), in(normal(28, 105), 3, 5, 7));
    }
}

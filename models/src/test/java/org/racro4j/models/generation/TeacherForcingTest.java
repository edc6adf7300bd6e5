package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.TestModels;

class TeacherForcingTest {
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.LLAMA, 31, 20, 36, 2, 5, 1, 4, 64, 10000.0, 1e-5, false, false, 0, List.of(1));

    /** Two independent code paths (cached left-padded decoding vs one right-padded forward) must agree. */
    @Test
    void scoresEqualTheLogProbsSampledByGeneration() {
        try (CausalLM lm = TestModels.randomModel(CONFIG, 5)) {
            List<int[]> prompts = List.of(TextGenerationTest.ids(1, 6), TextGenerationTest.ids(2, 3), TextGenerationTest.ids(3, 9));
            Tensor prefix;
            try (Autograd.Mode off = Autograd.noGrad()) {
                prefix = Tensor.randn(new org.racro4j.core.random.Generator(9), 3, 2, CONFIG.hiddenSize());
            }
            for (float temp : new float[] {1f, 0.7f}) {
                List<Generated> gen = TextGeneration.generate(lm, prefix, prompts, new SamplingConfig(7, temp, 0, 1f, 3, Set.of()));
                TeacherForcing.Scores s = TeacherForcing.score(lm, prefix, prompts,
                        gen.stream().map(Generated::tokens).toList(), temp, true);
                float[] lp = s.logProbs().toFloatArray();
                float[] mask = s.mask().toFloatArray();
                int l = s.logProbs().size(1);
                for (int r = 0; r < 3; r++) {
                    for (int j = 0; j < l; j++) {
                        boolean real = j < gen.get(r).tokens().length;
                        assertEquals(real ? 1f : 0f, mask[r * l + j]);
                        if (real) assertEquals(gen.get(r).logProbs()[j], lp[r * l + j], 1e-4, "row " + r + " token " + j + " at T=" + temp);
                        else assertEquals(0f, lp[r * l + j]);
                    }
                }
            }
        }
    }

    @Test
    void gradientsFlowToTheWeights() {
        try (CausalLM lm = TestModels.randomModel(CONFIG, 6)) {
            TeacherForcing.Scores s = TeacherForcing.score(lm, null, List.of(new int[] {3, 4, 5}), List.of(new int[] {6, 7}), 1f, false);
            s.logProbs().sum().backward();
            double norm = 0;
            for (Tensor p : lm.parameters()) {
                if (p.grad() != null) for (float g : p.grad().toFloatArray()) norm += g * g;
            }
            org.junit.jupiter.api.Assertions.assertTrue(norm > 0 && Double.isFinite(norm), "gradient norm " + norm);
        }
    }
}

package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Tensor;
import org.racro4j.core.optim.AdamW;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.training.pipeline.NonFiniteSteps;

/**
 * What reaches the gradient of a supervised step. The gradient is read back through the optimizer: AdamW with
 * beta1 = 0 stores the (clipped) gradient itself as its first moment, and learning rate 0 leaves the weights as
 * they were, so the same model is reused.
 */
class SftStepGradientTest {
    private static final int VOCAB = 37;

    /** Loss, gradient norm and the gradient of every parameter after one step. */
    record Step(double loss, double gradNorm, List<float[]> grads) {}

    static Step step(CausalLM lm, List<int[]> contexts, List<int[]> targets) {
        try (AdamW opt = new AdamW(List.of(new AdamW.Group(lm.parameters(), 0f)), 0f, 0f, 0.999f, 1e-8f)) {
            Map<String, Object> m = SftSteps.step(new NonFiniteSteps("test"), 0, () -> TeacherForcing.score(lm, null, contexts, targets, 1f, false),
                    lm.parameters(), opt, 0f, System.nanoTime());
            Map<String, Tensor> state = opt.stateDict();
            List<float[]> grads = new ArrayList<>();
            for (int i = 0; i < lm.parameters().size(); i++) {
                Tensor g = state.get("m." + i);
                grads.add(g == null ? null : g.toFloatArray());
            }
            return new Step((double) m.get("loss"), (double) m.get("grad_norm"), grads);
        }
    }

    /**
     * A row with a long context and no target lengthens every other row's padding (and puts padding ids in the batch)
     * without adding a target token: loss, gradient norm and every gradient must stay as they were.
     */
    @Test
    void morePaddingChangesNeitherLossNorGradients() {
        CausalLM lm = TinyModels.decoder(VOCAB, false, 40, 21);
        SplittableRandom r = new SplittableRandom(22);
        List<int[]> contexts = new ArrayList<>(List.of(TinyModels.ids(r, 4, 3, VOCAB), TinyModels.ids(r, 6, 3, VOCAB)));
        List<int[]> targets = new ArrayList<>(List.of(TinyModels.ids(r, 5, 3, VOCAB), TinyModels.ids(r, 2, 3, VOCAB)));
        Step plain = step(lm, contexts, targets);

        contexts.add(1, TinyModels.ids(r, 23, 3, VOCAB));
        targets.add(1, new int[0]);
        Step padded = step(lm, contexts, targets);

        assertEquals(plain.loss(), padded.loss(), 1e-6 * plain.loss());
        assertEquals(plain.gradNorm(), padded.gradNorm(), 1e-5 * plain.gradNorm());
        for (int i = 0; i < plain.grads().size(); i++) {
            float[] a = plain.grads().get(i);
            float[] b = padded.grads().get(i);
            double scale = 0;
            for (float x : a) scale = Math.max(scale, Math.abs(x));
            for (int k = 0; k < a.length; k++) {
                assertEquals(a[k], b[k], 1e-4 * scale + 1e-9, "parameter " + i + " element " + k);
            }
        }
    }

    /**
     * With untied embeddings, a token's input embedding gets gradient only through outputs at or after its position
     * that predict a target. So ids that occur only as padding (never written by the test) or only as the last
     * token of a target (whose output predicts nothing) get exactly zero gradient, while ids inside the contexts do
     * get some. Scoring padding, or a target at its own position instead of the one before, breaks this.
     */
    @Test
    void onlyTokensThatPrecedeATargetGetEmbeddingGradient() {
        CausalLM lm = TinyModels.decoder(VOCAB, false, 40, 23);
        SplittableRandom r = new SplittableRandom(24);
        int[] contextLengths = {3, 8, 5};
        int[] targetLengths = {4, 1, 6};
        List<int[]> contexts = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        for (int i = 0; i < contextLengths.length; i++) {
            contexts.add(TinyModels.ids(r, contextLengths[i], 3, 20));
            int[] t = TinyModels.ids(r, targetLengths[i], 3, 20);
            t[t.length - 1] = 30 + i;   // a last token that occurs nowhere else
            targets.add(t);
        }
        Step s = step(lm, contexts, targets);

        Tensor embedding = lm.namedParameters().get("model.embed_tokens.weight");
        int index = -1;
        for (int i = 0; i < lm.parameters().size(); i++) if (lm.parameters().get(i) == embedding) index = i;
        float[] g = s.grads().get(index);
        int d = lm.config().hiddenSize();
        boolean[] beforeATarget = new boolean[VOCAB];
        for (int i = 0; i < contexts.size(); i++) {
            for (int id : contexts.get(i)) beforeATarget[id] = true;
            int[] t = targets.get(i);
            for (int j = 0; j < t.length - 1; j++) beforeATarget[t[j]] = true;
        }
        int withGradient = 0;
        for (int id = 0; id < VOCAB; id++) {
            double norm = 0;
            for (int k = 0; k < d; k++) norm += (double) g[id * d + k] * g[id * d + k];
            if (beforeATarget[id]) {
                if (norm > 0) withGradient++;
            } else {
                assertEquals(0.0, norm, "embedding row " + id + " (never before a target) has gradient");
            }
        }
        int expected = 0;
        for (boolean b : beforeATarget) if (b) expected++;
        assertEquals(expected, withGradient, "every id that precedes a target gets gradient");
        assertTrue(expected > 10);
    }
}

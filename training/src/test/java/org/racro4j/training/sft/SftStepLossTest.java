package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Tensor;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.training.pipeline.NonFiniteSteps;

/**
 * The loss of one supervised step is the mean, over the target tokens of the batch, of −log p(target token | all
 * tokens before it). Reference: {@link TinyModels#targetNll}, which scores each row alone and unpadded in float64,
 * so it shares neither the batch's padding nor its label layout with the code under test.
 */
class SftStepLossTest {
    private static final int VOCAB = 37;

    @Test
    void lossIsTheMeanNllOfTheTargetTokensOnly() {
        CausalLM lm = TinyModels.decoder(VOCAB, true, 32, 5);
        List<int[]> contexts = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        randomRows(new SplittableRandom(11), new int[] {5, 1, 9, 3}, new int[] {3, 7, 1, 4}, contexts, targets);

        double sum = 0;
        int tokens = 0;
        for (int i = 0; i < contexts.size(); i++) {
            sum += TinyModels.targetNll(lm, null, contexts.get(i), targets.get(i));
            tokens += targets.get(i).length;
        }
        double loss = step(lm, () -> TeacherForcing.score(lm, null, contexts, targets, 1f, false));
        assertEquals(sum / tokens, loss, 1e-5 * Math.abs(sum / tokens));
    }

    /** Image rows before the context (the captioner) shift every position by the number of image tokens. */
    @Test
    void withPrefixRowsTheTargetsAreStillScoredAtTheirOwnPositions() {
        CausalLM lm = TinyModels.decoder(VOCAB, true, 40, 6);
        List<int[]> contexts = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        randomRows(new SplittableRandom(12), new int[] {4, 2, 7}, new int[] {5, 2, 3}, contexts, targets);
        int p = 5;
        Tensor prefix = Tensor.randn(new Generator(13), contexts.size(), p, lm.config().hiddenSize()).mul(0.7f);

        double sum = 0;
        int tokens = 0;
        for (int i = 0; i < contexts.size(); i++) {
            sum += TinyModels.targetNll(lm, prefix.narrow(0, i, 1), contexts.get(i), targets.get(i));
            tokens += targets.get(i).length;
        }
        double loss = step(lm, () -> TeacherForcing.score(lm, prefix, contexts, targets, 1f, false));
        assertEquals(sum / tokens, loss, 1e-5 * Math.abs(sum / tokens));
    }

    static void randomRows(SplittableRandom r, int[] contextLengths, int[] targetLengths, List<int[]> contexts, List<int[]> targets) {
        for (int i = 0; i < contextLengths.length; i++) {
            contexts.add(TinyModels.ids(r, contextLengths[i], 3, VOCAB));
            targets.add(TinyModels.ids(r, targetLengths[i], 3, VOCAB));
        }
    }

    /** One step at learning rate 0 (the weights stay as they are); its logged loss. */
    private static double step(CausalLM lm, java.util.function.Supplier<TeacherForcing.Scores> forward) {
        try (AdamW opt = new AdamW(lm.parameters(), 0f, 0f)) {
            Map<String, Object> m = SftSteps.step(new NonFiniteSteps("test"), 0, forward, lm.parameters(), opt, 0f, System.nanoTime());
            return (double) m.get("loss");
        }
    }
}

package org.racro4j.training.sft;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.optim.GradClip;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.training.pipeline.NonFiniteSteps;

/**
 * One supervised step: mean negative log-likelihood of the target tokens, backward, clip at norm 1, AdamW. A step
 * whose loss or gradient norm is not finite takes no optimizer step ({@link NonFiniteSteps}).
 */
final class SftSteps {
    private SftSteps() {}

    /**
     * {@code forward} scores the batch (inside this step's scope, so its activations are freed at the end).
     *
     * @param guard the stage's count of skipped steps (it throws when too many come in a row)
     */
    static Map<String, Object> step(NonFiniteSteps guard, int step, Supplier<TeacherForcing.Scores> forward, List<Tensor> params, AdamW opt,
                                    float lr, long t0) {
        return step(guard, step, forward, params, opt, lr, t0, false);
    }

    /**
     * @param rowMean the loss is the mean over rows of each row's mean NLL, so that a 2-token answer counts as much as
     *                a 30-token caption (else the mean over all target tokens)
     */
    static Map<String, Object> step(NonFiniteSteps guard, int step, Supplier<TeacherForcing.Scores> forward, List<Tensor> params, AdamW opt,
                                    float lr, long t0, boolean rowMean) {
        return stepParts(guard, step, () -> List.of(forward.get()), params, opt, lr, t0, rowMean);
    }

    /**
     * As {@link #step}, for a batch scored in parts (rows after image tokens and rows without them, say): the loss is
     * the one the parts' rows would have as one batch.
     */
    static Map<String, Object> stepParts(NonFiniteSteps guard, int step, Supplier<List<TeacherForcing.Scores>> forward, List<Tensor> params,
                                         AdamW opt, float lr, long t0, boolean rowMean) {
        Map<String, Object> m = new LinkedHashMap<>();
        try (Scope s = Scope.open()) {
            List<TeacherForcing.Scores> parts = forward.get();
            Tensor tokens = null;
            Tensor sum = null;
            int rows = 0;
            for (TeacherForcing.Scores sc : parts) {
                Tensor partTokens = sc.mask().sum();
                Tensor partSum = rowMean ? sc.logProbs().sum(1, false).div(sc.mask().sum(1, false)).sum() : sc.logProbs().sum();
                tokens = tokens == null ? partTokens : tokens.add(partTokens);
                sum = sum == null ? partSum : sum.add(partSum);
                rows += sc.mask().size(0);
            }
            Tensor loss = (rowMean ? sum.div((float) rows) : sum.div(tokens)).neg();
            float lossValue = loss.item();
            float norm = Float.NaN;
            String skipped = null;
            if (!Float.isFinite(lossValue)) {
                // no backward: the gradients of a non-finite loss are not finite either
                TeacherForcing.NonFinite at = null;
                int offset = 0;
                for (TeacherForcing.Scores sc : parts) {
                    TeacherForcing.NonFinite partAt = TeacherForcing.firstNonFinite(sc);
                    if (partAt != null) {
                        at = new TeacherForcing.NonFinite(offset + partAt.row(), partAt.token(), partAt.value());
                        break;
                    }
                    offset += sc.mask().size(0);
                }
                skipped = "the loss is " + lossValue + (at == null ? ""
                        : " (the log-probability of target token " + at.token() + " of row " + at.row() + " is " + at.value() + ")");
            } else {
                loss.backward();
                norm = GradClip.clipGradNorm(params, 1f);   // a non-finite norm comes back unclipped
                if (!Float.isFinite(norm)) skipped = "the gradient norm is " + norm + " (loss " + lossValue + ")";
            }
            if (skipped == null) {
                opt.setLr(lr);
                opt.step();
            }
            opt.zeroGrad();
            guard.record(step, skipped == null ? 1 : 0, skipped == null ? 0 : 1, skipped);
            double n = tokens.item();
            m.put("loss", (double) lossValue);
            m.put("grad_norm", (double) norm);
            m.put("lr", (double) lr);
            m.put("tokens_per_s", n / ((System.nanoTime() - t0) / 1e9));
            m.put("skipped_nonfinite", skipped == null ? 0 : 1);
        }
        return m;
    }
}

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

/** One supervised step: mean negative log-likelihood of the target tokens, backward, clip at norm 1, AdamW. */
final class SftSteps {
    private SftSteps() {}

    /** {@code forward} scores the batch (inside this step's scope, so its activations are freed at the end). */
    static Map<String, Object> step(Supplier<TeacherForcing.Scores> forward, List<Tensor> params, AdamW opt, float lr, long t0) {
        Map<String, Object> m = new LinkedHashMap<>();
        try (Scope s = Scope.open()) {
            TeacherForcing.Scores sc = forward.get();
            Tensor tokens = sc.mask().sum();
            Tensor loss = sc.logProbs().sum().div(tokens).neg();
            loss.backward();
            float norm = GradClip.clipGradNorm(params, 1f);
            opt.setLr(lr);
            opt.step();
            opt.zeroGrad();
            double n = tokens.item();
            m.put("loss", (double) loss.item());
            m.put("grad_norm", (double) norm);
            m.put("lr", (double) lr);
            m.put("tokens_per_s", n / ((System.nanoTime() - t0) / 1e9));
        }
        return m;
    }
}

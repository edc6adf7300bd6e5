package org.racro4j.training.pipeline;

import java.util.Map;

import org.racro4j.core.nn.Module;
import org.racro4j.core.optim.AdamW;

/** A training stage run by {@link StageRunner}: a model, its optimizer, and a step function of the step number. */
public interface Stage {
    String name();

    int steps();

    Module model();

    AdamW optimizer();

    /** Trains on the batch of step {@code step} (0-based) and returns the metrics to log. */
    Map<String, Object> step(int step);

    /** A few words for the progress line, from the step's metrics. */
    default String summary(Map<String, Object> metrics) {
        Object loss = metrics.get("loss");
        return loss instanceof Double d ? String.format(java.util.Locale.ROOT, "loss %.3f", d) : "";
    }
}

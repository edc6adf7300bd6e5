package org.racro4j.training.sft;

import java.util.Map;
import java.util.function.Supplier;

import org.racro4j.core.nn.Module;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.optim.LrSchedule;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.training.pipeline.NonFiniteSteps;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.pipeline.Stage;

/**
 * What the supervised warm starts share: AdamW (β 0.9/0.95) at the configured rate, warmed up linearly and then
 * decayed by a cosine to a tenth of it, and one {@link SftSteps#step} per batch. A subclass builds its batch.
 */
abstract class SftStage implements Stage {
    private final String name;
    private final Module model;
    private final RunConfig.Sft cfg;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final NonFiniteSteps nonFinite;

    SftStage(String name, Module model, RunConfig.Sft cfg) {
        this.name = name;
        this.model = model;
        this.cfg = cfg;
        this.optimizer = AdamW.forTransformer(model.parameters(), (float) cfg.lr(), (float) cfg.weightDecay(), 0.9f, 0.95f, 1e-8f);
        this.schedule = LrSchedule.warmupCosine((float) cfg.lr(), cfg.warmup(), cfg.steps(), (float) (cfg.lr() * 0.1));
        this.nonFinite = new NonFiniteSteps(name);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int steps() {
        return cfg.steps();
    }

    @Override
    public final Module model() {
        return model;
    }

    @Override
    public final AdamW optimizer() {
        return optimizer;
    }

    /** One supervised step on the batch {@code forward} scores; see {@link SftSteps#step} for {@code rowMean}. */
    final Map<String, Object> update(int step, long t0, Supplier<TeacherForcing.Scores> forward, boolean rowMean) {
        return SftSteps.step(nonFinite, step, forward, model.parameters(), optimizer, schedule.lr(step), t0, rowMean);
    }

    /** As {@link #update}, for a batch scored in parts ({@link SftSteps#stepParts}). */
    final Map<String, Object> updateParts(int step, long t0, Supplier<java.util.List<TeacherForcing.Scores>> forward, boolean rowMean) {
        return SftSteps.stepParts(nonFinite, step, forward, model.parameters(), optimizer, schedule.lr(step), t0, rowMean);
    }
}

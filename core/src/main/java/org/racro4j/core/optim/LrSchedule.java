package org.racro4j.core.optim;

/** A learning rate as a function of the step (counting from 0). */
@FunctionalInterface
public interface LrSchedule {
    float lr(long step);

    static LrSchedule constant(float lr) {
        return step -> lr;
    }

    /**
     * Linear warm-up from 0 to {@code peak} over {@code warmup} steps, then a cosine decay to {@code min} at
     * {@code total} steps, constant after.
     */
    static LrSchedule warmupCosine(float peak, long warmup, long total, float min) {
        if (warmup < 0 || total < warmup) {
            throw new IllegalArgumentException("warmupCosine: need 0 <= warmup <= total, got warmup=" + warmup + " total=" + total);
        }
        return step -> {
            if (step < warmup) return peak * (step + 1) / (float) warmup;
            if (step >= total) return min;
            double progress = (double) (step - warmup) / Math.max(1, total - warmup);
            return (float) (min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress)));
        };
    }
}

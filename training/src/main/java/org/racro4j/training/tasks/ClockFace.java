package org.racro4j.training.tasks;

import java.util.SplittableRandom;

/**
 * A clock with one hour hand pointing exactly at an hour mark.
 *
 * @param hour     1–12
 * @param jitterX  offset of the clock's centre from the image centre, as a fraction of the image size
 * @param jitterY  likewise, vertically
 */
public record ClockFace(int hour, double jitterX, double jitterY) {

    static final double MAX_JITTER = 0.02;

    public ClockFace {
        if (hour < 1 || hour > 12) {
            throw new IllegalArgumentException("hour out of range: " + hour);
        }
    }

    static ClockFace sample(SplittableRandom random) {
        return new ClockFace(1 + random.nextInt(12),
                random.nextDouble(-MAX_JITTER, MAX_JITTER), random.nextDouble(-MAX_JITTER, MAX_JITTER));
    }

    /** e.g. "the clock shows 7 o'clock ." ("o'clock" is one vocabulary word). */
    public String fact() {
        return Sentences.fact("the", "clock", "shows", hour, "o'clock");
    }

    /** The hour {@code hours} later on a 12-hour clock: 11 + 3 → 2, 12 + 12 → 12. */
    static int hourAfter(int hour, int hours) {
        return Math.floorMod(hour - 1 + hours, 12) + 1;
    }
}

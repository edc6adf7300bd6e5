package org.racro4j.core.io;

import java.util.SplittableRandom;

/**
 * Runs a fuzz property over seeded random inputs: try i draws everything from {@code SplittableRandom(seed + i)}, so
 * a failure names the one seed that reproduces it. {@code mvn verify} runs 300 tries from seed 1; a longer run sets
 * {@code -Dracro4j.fuzz.tries=N} (and {@code -Dracro4j.fuzz.seed=S} for other inputs than the usual ones).
 */
public final class FuzzRuns {
    /** One try of a property: draws its input from {@code r} and checks it. */
    @FunctionalInterface
    public interface Try {
        void run(SplittableRandom r) throws Exception;
    }

    private FuzzRuns() {}

    public static int tries() {
        return Integer.getInteger("racro4j.fuzz.tries", 300);
    }

    public static void run(String property, Try body) {
        long first = Long.getLong("racro4j.fuzz.seed", 1L);
        int tries = tries();
        for (int i = 0; i < tries; i++) {
            long seed = first + i;
            try {
                body.run(new SplittableRandom(seed));
            } catch (Exception | AssertionError e) {
                throw new AssertionError(property + " failed at seed " + seed + " (again with -Dracro4j.fuzz.seed=" + seed
                        + " -Dracro4j.fuzz.tries=1): " + e.getMessage(), e);
            }
        }
    }

    /** Random bytes, up to {@code max} of them. */
    public static byte[] bytes(SplittableRandom r, int max) {
        byte[] b = new byte[r.nextInt(max + 1)];
        for (int i = 0; i < b.length; i++) b[i] = (byte) r.nextInt(256);
        return b;
    }

    /** One of the given values. */
    @SafeVarargs
    public static <T> T oneOf(SplittableRandom r, T... values) {
        return values[r.nextInt(values.length)];
    }
}

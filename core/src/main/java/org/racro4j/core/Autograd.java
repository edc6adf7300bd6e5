package org.racro4j.core;

/**
 * The thread's autograd switch. Inside {@code try (var off = Autograd.noGrad()) { ... }} no graph is recorded:
 * inference and optimizer updates cost no memory for backward.
 */
public final class Autograd {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private Autograd() {}

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    public static Mode noGrad() {
        return set(false);
    }

    public static Mode enableGrad() {
        return set(true);
    }

    private static Mode set(boolean enabled) {
        boolean previous = ENABLED.get();
        ENABLED.set(enabled);
        return new Mode(previous);
    }

    /** Restores the previous mode on close. */
    public static final class Mode implements AutoCloseable {
        private final boolean previous;

        private Mode(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            ENABLED.set(previous);
        }
    }
}

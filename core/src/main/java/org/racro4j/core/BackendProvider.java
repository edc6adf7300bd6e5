package org.racro4j.core;

/**
 * Service-provider interface for backends, found with {@link java.util.ServiceLoader}. core ships the "cpu"
 * provider; the kernels module adds "cuda" by listing its provider in
 * {@code META-INF/services/org.racro4j.core.BackendProvider}. core never names a concrete GPU class.
 */
public interface BackendProvider {
    /** The device kind this provider serves, e.g. "cpu" or "cuda". */
    String kind();

    /** Whether devices of this kind can be opened here, how many, and if not, why not. Cheap; never throws. */
    Availability availability();

    /** Opens device {@code index}; throws {@link BackendUnavailableException} with a reason if it cannot. */
    Backend open(int index);

    record Availability(boolean available, int deviceCount, String description) {
        public static Availability unavailable(String reason) {
            return new Availability(false, 0, reason);
        }
    }
}

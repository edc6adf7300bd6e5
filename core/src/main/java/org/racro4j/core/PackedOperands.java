package org.racro4j.core;

/**
 * Matrix-product operands kept in a backend's own kernel layout, an optional part of a {@link Backend}: for a right-hand
 * operand B that many products will read unchanged (a generation's weights), the backend lays it out once the way its
 * kernel reads it, instead of packing it, or streaming it in a worse order, on every product. Results are the same
 * bits as without: only where B is read from changes. Callers ask {@code backend instanceof PackedOperands p}.
 */
public interface PackedOperands {
    /**
     * Packs b, a row-major [K, N] F32 matrix, for the products that read it until the returned handle closes. The
     * caller must not change b meanwhile, and must close the handle before b. Closing frees the packed copy.
     */
    AutoCloseable pack(Tensor b);
}

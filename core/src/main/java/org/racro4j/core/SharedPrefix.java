package org.racro4j.core;

/**
 * What the rows of a KV cache share: consecutive runs of {@code rows} rows (a group of samples forked from one prompt)
 * hold the same keys, values and key mask at entries [0, length). A decode kernel may then read those entries once
 * per group ({@link DecodeAttentionKernel#decodeAttention(Tensor, Tensor, Tensor, Tensor, Tensor, float, SharedPrefix,
 * Tensor)}); its result is the one it gives without knowing.
 */
public record SharedPrefix(int rows, int length) {
    public SharedPrefix {
        if (rows < 1 || length < 0) {
            throw new IllegalArgumentException("SharedPrefix: need rows >= 1 and length >= 0, got rows " + rows + ", length " + length);
        }
    }
}

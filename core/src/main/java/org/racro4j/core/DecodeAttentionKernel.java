package org.racro4j.core;

/**
 * A decode-attention kernel (flash decoding), an optional part of a {@link Backend}: {@link Functional#decodeAttention}
 * runs it where {@code backend instanceof DecodeAttentionKernel dk && dk.supportsDecode(dtype, headDim)}, and its
 * composite of general ops everywhere else.
 */
public interface DecodeAttentionKernel {
    /** Whether {@link #decodeAttention} runs for this dtype and head dim. */
    boolean supportsDecode(DType dtype, int headDim);

    /**
     * Whether {@link #decodeAttention} also takes a key cache whose stride along C is 1 (each head's keys stored
     * transposed, [D, C], and viewed as [C, D]); {@link Functional#decodeAttention} hands other layouts over as a
     * contiguous copy.
     */
    default boolean readsTransposedKeys() {
        return false;
    }

    /**
     * One new query per sequence against a KV cache: q [B, Hq, 1, D], kCache and vCache [B, Hkv, C, D] (capacity C;
     * last stride 1, or for kCache stride 1 along C where {@link #readsTransposedKeys}). Row b attends keys
     * 0 .. lengths[b] - 1 (lengths [B], I32, read on the device, so a captured graph can replay the step as the
     * sequences grow) where keyMask [B, C] (F32, null = all) is not 0. Writes out [B, Hq, 1, D] (contiguous); 0 for a
     * row with no visible key.
     */
    void decodeAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale, Tensor out);

    /**
     * {@link #decodeAttention(Tensor, Tensor, Tensor, Tensor, Tensor, float, Tensor)} over a cache whose rows share a
     * prefix ({@link SharedPrefix}; B a multiple of its rows): a kernel may read the shared entries once per group. The
     * result is the same; this default ignores the sharing.
     */
    default void decodeAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale, SharedPrefix shared,
                                 Tensor out) {
        decodeAttention(q, kCache, vCache, lengths, keyMask, scale, out);
    }
}

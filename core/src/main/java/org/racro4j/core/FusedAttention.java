package org.racro4j.core;

/**
 * Fused attention kernels (flash attention), an optional part of a {@link Backend}. A backend without them (the CPU
 * backend) does not implement this interface, and {@link Functional#scaledDotProductAttention} composes attention
 * from the primitives instead; results agree within the dtype's rounding, except that a query which may attend no
 * key at all gets 0 from a fused kernel (the composite averages every value there). Callers ask
 * {@code backend instanceof FusedAttention fa && fa.supportsAttention(dtype, headDim)}.
 */
public interface FusedAttention {
    /** Whether {@link #attention} and {@link #attentionBackward} run for this dtype and head dim. */
    boolean supportsAttention(DType dtype, int headDim);

    /**
     * Fused attention forward (scores never stored): for q [B, Hq, T, D], k and v [B, Hkv, S, D] (Hq a multiple of
     * Hkv; any strides with the last one 1), out[b, h, t] = sum_s p_s v[b, h / (Hq/Hkv), s] with p = softmax over the
     * visible keys of scale * q k^T. Key s is visible to query t unless {@code causal} and s &gt; t + S - T, or
     * keyMask [B, S] (F32, last stride 1, batch stride may be 0; null = all) is 0 there. Writes out (q's shape, last
     * stride 1) and lse [B, Hq, T] (F32, contiguous), the log of the softmax denominator (-inf, and out 0, for a query
     * with no visible key), which the backward pass needs.
     */
    void attention(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale, Tensor out, Tensor lse);

    /** Gradients of {@link #attention} given its inputs, out, lse and gOut; writes gq, gk, gv (shapes of q, k, v, contiguous). */
    void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale, Tensor out, Tensor lse,
                           Tensor gOut, Tensor gq, Tensor gk, Tensor gv);
}

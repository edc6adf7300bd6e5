package org.racro4j.core;

/**
 * Attention through a backend's fused kernels ({@link FusedAttention#attention}, {@link DecodeAttentionKernel#decodeAttention}), used
 * by {@link Functional} when the backend has them; the composite in Functional is the reference and the CPU path.
 */
final class AttentionOps {
    private AttentionOps() {}

    /**
     * Whether a keep mask (broadcastable to [B, Hq, T, S]) has the form the fused kernels take: none, or one that
     * only varies over batch and key, [B or 1, 1, 1, S] (padding masks). Per-query or per-head masks do not.
     */
    static boolean keyMaskFusable(Tensor keepMask, int b, int s) {
        return keepMask == null || (keepMask.dim() == 4 && keepMask.size(1) == 1 && keepMask.size(2) == 1 && keepMask.size(3) == s
                && (keepMask.size(0) == 1 || keepMask.size(0) == b));
    }

    /** The [B, S] F32 key mask (last stride 1) of a fusable keep mask; null for none. */
    static Tensor keyMask(Tensor keepMask, int b, int s) {
        if (keepMask == null) return null;
        Tensor m;
        try (Autograd.Mode off = Autograd.noGrad()) {
            m = keepMask.reshape(keepMask.size(0), s);
            if (m.dtype() != DType.F32) m = m.to(DType.F32);
            if (m.stride(1) != 1) m = m.contiguous();
            if (m.size(0) != b) m = m.expand(b, s);
        }
        return m;
    }

    /** Whether q, k, v (already validated as [B, H, T, D] with matching heads) can run on the fused kernels. */
    static boolean fusable(Tensor q, Tensor k, Tensor v) {
        int d = q.size(3);
        return v.size(3) == d && k.dtype() == q.dtype() && v.dtype() == q.dtype() && q.backend() == k.backend()
                && q.backend() == v.backend() && q.backend() instanceof FusedAttention fa && fa.supportsAttention(q.dtype(), d);
    }

    /** Fused forward, recording the fused backward for autograd. */
    static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale) {
        Tensor qc = lastDimContiguous(q);
        Tensor kc = lastDimContiguous(k);
        Tensor vc = lastDimContiguous(v);
        int b = q.size(0), hq = q.size(1), t = q.size(2), d = q.size(3);
        FusedAttention be = (FusedAttention) q.backend();
        // [B, T, Hq, D] storage viewed as [B, Hq, T, D]: the caller's usual transpose(1, 2).reshape(B, T, Hq D)
        // back to the model's layout is then free.
        Tensor out = Tensor.empty(q.dtype(), q.device(), b, t, hq, d).transpose(1, 2);
        Tensor lse = Tensor.empty(DType.F32, q.device(), b, hq, t);
        be.attention(qc, kc, vc, keyMask, causal, scale, out, lse);
        return Node.record(out, "attention", new Tensor[] {qc, kc, vc}, g -> {
            Tensor gq = Tensor.empty(qc.dtype(), qc.device(), qc.shape());
            Tensor gk = Tensor.empty(kc.dtype(), kc.device(), kc.shape());
            Tensor gv = Tensor.empty(vc.dtype(), vc.device(), vc.shape());
            be.attentionBackward(qc, kc, vc, keyMask, causal, scale, out, lse, lastDimContiguous(g), gq, gk, gv);
            return new Tensor[] {qc.requiresGrad() ? gq : null, kc.requiresGrad() ? gk : null, vc.requiresGrad() ? gv : null};
        });
    }

    private static Tensor lastDimContiguous(Tensor x) {
        return x.stride(x.dim() - 1) == 1 || x.size(x.dim() - 1) == 1 ? x : x.contiguous();
    }
}

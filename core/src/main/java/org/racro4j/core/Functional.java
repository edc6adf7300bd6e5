package org.racro4j.core;

import org.racro4j.core.random.Generator;

/** Functional layers (PyTorch's torch.nn.functional): stateless, autograd-aware. */
public final class Functional {
    private Functional() {}

    /** How per-element losses are combined. */
    public enum Reduction { MEAN, SUM, NONE }

    /** x @ w^T + b with w [out, in] as in PyTorch and Hugging Face checkpoints; b may be null. */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        if (w.dim() != 2) throw new IllegalArgumentException("linear: weight must be [out, in], got " + Shapes.str(w.shape()));
        if (x.size(-1) != w.size(1)) {
            throw new IllegalArgumentException("linear: input " + Shapes.str(x.shape()) + " has " + x.size(-1)
                    + " features but weight " + Shapes.str(w.shape()) + " expects " + w.size(1));
        }
        Tensor wt = TransposedWeights.lookup(w);
        Tensor y = x.matmul(wt != null ? wt : w.t());
        return b == null ? y : y.add(b);
    }

    /**
     * Layer normalisation over the last dim, (x - mean) / sqrt(var + eps) * weight + bias: PyTorch's
     * {@code F.layer_norm(x, [C], weight, bias, eps)}. weight and bias may each be null (no scale, no shift, as
     * with elementwise_affine=False) and may be strided views; gradients reach the views.
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        // The fused kernels read contiguous [C] parameters and always a weight (a bias is optional to them).
        return RowOps.layerNorm(x, normWeight(x, weight), bias == null ? null : bias.contiguous(), eps);
    }

    /**
     * RMS normalisation over the last dim, x / sqrt(mean(x^2) + eps) * weight: PyTorch's
     * {@code F.rms_norm(x, [C], weight, eps)}. weight may be null (no scale) and may be a strided view.
     */
    public static Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        return RowOps.rmsNorm(x, normWeight(x, weight), eps);
    }

    /** A contiguous weight for the norm kernels: ones for none, a copy (that passes gradients back) for a strided view. */
    private static Tensor normWeight(Tensor x, Tensor weight) {
        if (weight != null) return weight.contiguous();
        return Tensor.ones(x.dtype(), x.device(), x.dim() == 0 ? 1 : x.size(-1));
    }

    /** Rotary position embedding ("rotate half") of x [..., T, D] with cos/sin tables [T, D/2]. */
    public static Tensor rope(Tensor x, Tensor cos, Tensor sin) {
        return RowOps.rope(x, cos, sin);
    }

    /** Mean cross-entropy of logits [..., C] against class indices [...], skipping targets equal to ignoreIndex. */
    public static Tensor crossEntropy(Tensor logits, Tensor target, int ignoreIndex) {
        return crossEntropy(logits, target, ignoreIndex, Reduction.MEAN);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor target, int ignoreIndex, Reduction reduction) {
        int c = logits.size(-1);
        int[] tshape = target.shape();
        long rows = target.numel();
        if (logits.numel() != rows * c) {
            throw new IllegalArgumentException("crossEntropy: logits " + Shapes.str(logits.shape()) + " do not match target "
                    + Shapes.str(tshape) + " (expected logits of shape target + [C])");
        }
        Tensor perRow = RowOps.crossEntropyRows(logits.reshape(-1, c), target.reshape(-1), ignoreIndex);
        return switch (reduction) {
            case NONE -> perRow.reshape(tshape);
            case SUM -> perRow.sum();
            case MEAN -> {
                Tensor count;
                try (Autograd.Mode off = Autograd.noGrad()) {
                    count = target.ne((float) ignoreIndex).sum().clamp(1f, Float.MAX_VALUE);
                }
                yield perRow.sum().div(count);
            }
        };
    }

    /** Zeroes elements with probability p and scales the rest by 1/(1-p) when training; identity otherwise. */
    public static Tensor dropout(Tensor x, float p, boolean training, Generator gen) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout: p must be in [0, 1), got " + p);
        if (!training || p == 0f) return x;
        Tensor keep;
        try (Autograd.Mode off = Autograd.noGrad()) {
            Tensor u = Tensor.rand(gen, DType.F32, x.device(), x.shape());
            keep = u.ge(p).mul(1f / (1f - p)).to(x.dtype());
        }
        return x.mul(keep);
    }

    /**
     * Attention softmax(q k^T * scale + mask) v with q [B, Hq, T, D], k [B, Hkv, S, D], v [B, Hkv, S, Dv] and
     * Hq a multiple of Hkv (grouped-query attention: each group of Hq/Hkv query heads shares one key/value head).
     *
     * @param keepMask null, or a tensor broadcastable to [B, Hq, T, S] with 1 where a query may attend and 0
     *                 where it may not (padding)
     * @param causal   query t may attend key s only if s &lt;= t + S - T (aligned at the end, so a decode step
     *                 with T = 1 sees the whole cache; equal to the usual lower triangle when T = S)
     * @param scale    multiplier of the scores; NaN means 1/sqrt(D)
     *
     * <p>Where the backend has fused attention kernels for the dtype and head dim ({@link
     * FusedAttention#supportsAttention}) and the mask is none or a key padding mask ([B or 1, 1, 1, S]), they run the
     * forward and backward; otherwise it is composed from matmul, masking and softmax (the CPU backend's way). The
     * two agree within rounding, except on a query that may attend no key: 0 from the kernels, the mean of v here.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor keepMask, boolean causal, float scale) {
        if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4) {
            throw new IllegalArgumentException("scaledDotProductAttention: q, k, v must be [B, H, T, D], got "
                    + Shapes.str(q.shape()) + ", " + Shapes.str(k.shape()) + ", " + Shapes.str(v.shape()));
        }
        int b = q.size(0);
        int hq = q.size(1);
        int t = q.size(2);
        int d = q.size(3);
        int hkv = k.size(1);
        int s = k.size(2);
        if (k.size(0) != b || v.size(0) != b || v.size(1) != hkv || v.size(2) != s || k.size(3) != d || hq % hkv != 0) {
            throw new IllegalArgumentException("scaledDotProductAttention: shapes do not fit: q " + Shapes.str(q.shape())
                    + ", k " + Shapes.str(k.shape()) + ", v " + Shapes.str(v.shape())
                    + " (need equal batch, k and v with the same heads and length, q heads a multiple of kv heads)");
        }
        float sc = Float.isNaN(scale) ? (float) (1.0 / Math.sqrt(d)) : scale;
        if (AttentionOps.fusable(q, k, v) && AttentionOps.keyMaskFusable(keepMask, b, s)) {
            Elementwise.checkSameDevice("scaledDotProductAttention", q, k);
            Elementwise.checkSameDevice("scaledDotProductAttention", q, v);
            return AttentionOps.attention(q, k, v, AttentionOps.keyMask(keepMask, b, s), causal, sc);
        }
        int group = hq / hkv;
        // Grouped query heads share K/V: fold the group into the query length instead of copying K and V.
        Tensor qg = q.reshape(b, hkv, group * t, d);
        Tensor scores = qg.matmul(k.transpose(2, 3)).mul(sc).reshape(b, hq, t, s);
        float masked = q.dtype() == DType.F16 ? -65504f : -1e30f; // finite: fully masked rows stay NaN-free
        if (causal) scores = scores.maskedFill(causalBlockMask(t, s, q.device()), masked);
        if (keepMask != null) {
            Tensor blocked;
            try (Autograd.Mode off = Autograd.noGrad()) {
                blocked = keepMask.eq(0f);
            }
            scores = scores.maskedFill(blocked, masked);
        }
        Tensor probs = scores.softmax(-1).reshape(b, hkv, group * t, s);
        return probs.matmul(v).reshape(b, hq, t, v.size(3));
    }

    /**
     * One new query per sequence against a KV cache, for decoding: q [B, Hq, 1, D], kCache and vCache [B, Hkv, C, D]
     * of capacity C, lengths [B] (I32) the number of valid cache entries per row (read on the device, so a captured
     * graph can replay the step as the sequences grow), keyMask null or [B, C] (1 where a key may be attended).
     * Runs the backend's decode kernel ({@link DecodeAttentionKernel#decodeAttention}) where it has one, else attention over the
     * whole capacity with the keys at and past each length masked out. Returns [B, Hq, 1, D].
     *
     * @param scale multiplier of the scores; NaN means 1/sqrt(D)
     */
    public static Tensor decodeAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale) {
        return decodeAttention(q, kCache, vCache, lengths, keyMask, scale, null);
    }

    /**
     * {@link #decodeAttention(Tensor, Tensor, Tensor, Tensor, Tensor, float)} over a cache whose rows share a prefix
     * (null: they do not): the backend's kernel may read the shared entries once per group, for the same result.
     */
    public static Tensor decodeAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale,
                                         SharedPrefix shared) {
        if (q.dim() != 4 || q.size(2) != 1 || kCache.dim() != 4 || vCache.dim() != 4) {
            throw new IllegalArgumentException("decodeAttention: need q [B, Hq, 1, D] and caches [B, Hkv, C, D], got "
                    + Shapes.str(q.shape()) + ", " + Shapes.str(kCache.shape()) + ", " + Shapes.str(vCache.shape()));
        }
        int b = q.size(0);
        int hq = q.size(1);
        int d = q.size(3);
        int hkv = kCache.size(1);
        int c = kCache.size(2);
        if (kCache.size(0) != b || !java.util.Arrays.equals(kCache.shape(), vCache.shape()) || kCache.size(3) != d || hq % hkv != 0
                || lengths.dim() != 1 || lengths.size(0) != b || lengths.dtype() != DType.I32
                || (keyMask != null && (keyMask.dim() != 2 || keyMask.size(0) != b || keyMask.size(1) != c))) {
            throw new IllegalArgumentException("decodeAttention: shapes do not fit: q " + Shapes.str(q.shape()) + ", caches "
                    + Shapes.str(kCache.shape()) + " / " + Shapes.str(vCache.shape()) + ", lengths " + Shapes.str(lengths.shape()) + " "
                    + lengths.dtype() + (keyMask == null ? "" : ", keyMask " + Shapes.str(keyMask.shape()))
                    + " (need lengths [B] I32 and keyMask [B, C])");
        }
        if (shared != null && (b % shared.rows() != 0 || shared.length() > c)) {
            throw new IllegalArgumentException("decodeAttention: a prefix shared by groups of " + shared.rows() + " rows over "
                    + shared.length() + " entries does not fit " + b + " rows of capacity " + c);
        }
        float sc = Float.isNaN(scale) ? (float) (1.0 / Math.sqrt(d)) : scale;
        if (q.backend() instanceof DecodeAttentionKernel be && be.supportsDecode(q.dtype(), d) && kCache.dtype() == q.dtype()
                && vCache.dtype() == q.dtype()) {
            Tensor km = keyMask == null ? null : keyMask.dtype() == DType.F32 && keyMask.stride(1) == 1 ? keyMask : keyMask.to(DType.F32).contiguous();
            Tensor out = Tensor.empty(q.dtype(), q.device(), b, hq, 1, d);
            boolean keysAsTheyAre = kCache.stride(3) == 1 || (kCache.stride(2) == 1 && be.readsTransposedKeys());
            Tensor qs = q.stride(3) == 1 ? q : q.contiguous();
            Tensor ks = keysAsTheyAre ? kCache : kCache.contiguous();
            Tensor vs = vCache.stride(3) == 1 ? vCache : vCache.contiguous();
            if (shared == null || shared.rows() == 1 || shared.length() == 0) be.decodeAttention(qs, ks, vs, lengths, km, sc, out);
            else be.decodeAttention(qs, ks, vs, lengths, km, sc, shared, out);
            return out;
        }
        return decodeAttentionComposite(q, kCache, vCache, lengths, keyMask, sc);
    }

    /** Functional.decodeAttention from general ops: backends without a decode kernel run it, and kernels are tested against it. */
    static Tensor decodeAttentionComposite(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale) {
        int b = q.size(0);
        int c = kCache.size(2);
        Tensor keep;
        try (Autograd.Mode off = Autograd.noGrad()) {
            Tensor positions = Tensor.arange(0, c, 1, DType.F32, q.device()).reshape(1, c);
            keep = positions.lt(lengths.to(DType.F32).reshape(b, 1));
            if (keyMask != null) keep = keep.mul(keyMask.to(DType.F32).ne(0f));
        }
        return scaledDotProductAttention(q, kCache, vCache, keep.reshape(b, 1, 1, c), false, scale);
    }

    /** [T, S] with 1 where key s is in the future of query t (s &gt; t + S - T). */
    static Tensor causalBlockMask(int t, int s, Device device) {
        float[] m = new float[t * s];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < s; j++) m[i * s + j] = j > i + s - t ? 1f : 0f;
        }
        Tensor host = Tensor.of(m, t, s);
        return device.isCpu() ? host : host.to(device);
    }
}

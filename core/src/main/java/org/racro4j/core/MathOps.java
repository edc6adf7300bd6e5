package org.racro4j.core;

/**
 * The elementwise math that is composed of other ops (tan, softplus, logSigmoid, where with a scalar), so that
 * every backend runs it and autograd comes from the parts. The primitives (sin, cos, log1p, expm1, erf) are
 * {@link UnaryOp}s.
 */
final class MathOps {
    private MathOps() {}

    static Tensor tan(Tensor x) {
        return x.sin().div(x.cos());
    }

    /**
     * (1/beta) log(1 + exp(beta x)), and x itself where beta x &gt; threshold (PyTorch's rule: there the two agree
     * to float precision and exp would overflow).
     */
    static Tensor softplus(Tensor x, float beta, float threshold) {
        Tensor z = beta == 1f ? x : x.mul(beta);
        Tensor linear = z.gt(threshold);
        // exp only ever sees z <= threshold: in the positions where the linear branch is taken, an overflowing
        // exp would turn the zero gradient that where sends to the unused branch into 0 * inf = NaN.
        Tensor soft = z.clamp(Float.NEGATIVE_INFINITY, threshold).exp().log1p();
        if (beta != 1f) soft = soft.div(beta);
        return Tensor.where(linear, x, soft);
    }

    /**
     * log(sigmoid(x)) = -softplus(-x). For x far below 0 softplus takes its linear branch, giving x exactly
     * (not log(0) = -inf); for large x, log1p(exp(-x)) keeps the tiny -exp(-x) with full relative accuracy.
     */
    static Tensor logSigmoid(Tensor x) {
        return softplus(x.neg(), 1f, 20f).neg();
    }

    static Tensor where(Tensor cond, float a, Tensor b) {
        return Tensor.where(cond, scalarLike(a, b), b);
    }

    static Tensor where(Tensor cond, Tensor a, float b) {
        return Tensor.where(cond, a, scalarLike(b, a));
    }

    static Tensor where(Tensor cond, float a, float b) {
        return Tensor.where(cond, Tensor.full(a, DType.F32, cond.device()), Tensor.full(b, DType.F32, cond.device()));
    }

    /** A 0-dimensional constant in the tensor's floating dtype (F32 for an integer tensor), on its device. */
    private static Tensor scalarLike(float s, Tensor like) {
        DType dt = like.dtype().isFloatingPoint() ? like.dtype() : DType.F32;
        return Tensor.full(s, dt, like.device());
    }
}

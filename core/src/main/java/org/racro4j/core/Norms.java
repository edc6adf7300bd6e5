package org.racro4j.core;

/**
 * Variance, standard deviation and vector p-norms over dims, with PyTorch's gradients where the plain
 * composition would give NaN: the gradient of std and of the 2-norm (and of any p-norm) is 0 where the result
 * is 0, not 0 * infinity.
 */
final class Norms {
    private Norms() {}

    /** PyTorch's var over dims: sum((x - mean)^2) / max(0, N - correction), N the number of reduced elements. */
    static Tensor var(Tensor x, int[] dims, boolean keepdim, int correction) {
        return var("var", x, dims, keepdim, correction);
    }

    /** var, with errors naming {@code op} (std reports its own name). */
    private static Tensor var(String op, Tensor x, int[] dims, boolean keepdim, int correction) {
        requireFloating(op, x);
        if (x.dim() == 0) {
            for (int d : dims) Shapes.dim(op, d, 1);
            return var(op, x.reshape(1), new int[] {0}, false, correction);
        }
        boolean[] reduce = Reductions.reducedDims(op, dims, x.dim());
        long n = 1;
        for (int d = 0; d < reduce.length; d++) if (reduce[d]) n *= x.size(d);
        Tensor centred = x.sub(x.mean(dims, true));
        return centred.mul(centred).sum(dims, keepdim).div((float) Math.max(0, n - correction));
    }

    static Tensor varAll(Tensor x, int correction) {
        requireFloating("var", x);
        return var(x.reshape(-1), new int[] {0}, false, correction);
    }

    /** PyTorch's std: sqrt(var), with a 0 gradient where the deviation is 0 (a constant slice). */
    static Tensor std(Tensor x, int[] dims, boolean keepdim, int correction) {
        requireFloating("std", x);
        return sqrtWithZeroGradAtZero(var("std", x, dims, keepdim, correction));
    }

    static Tensor stdAll(Tensor x, int correction) {
        requireFloating("std", x);
        return sqrtWithZeroGradAtZero(varAll(x, correction));
    }

    /** The 2-norm of all elements, 0-dimensional. */
    static Tensor norm2All(Tensor x) {
        requireFloating("norm", x);
        return norm(x.reshape(-1), 2f, new int[] {0}, false);
    }

    /**
     * PyTorch's norm(p, dims, keepdim) for p &gt; 0 (including +infinity): (sum |x|^p)^(1/p) over dims. p = 1, 2
     * and infinity are compositions (abs-sum, square-sum then sqrt, abs-amax); other p use PyTorch's gradient
     * formula directly.
     */
    static Tensor norm(Tensor x, float p, int[] dims, boolean keepdim) {
        requireFloating("norm", x);
        if (!(p > 0)) throw new IllegalArgumentException("norm: p must be positive or +infinity, got " + p);
        if (x.dim() == 0) {
            for (int d : dims) Shapes.dim("norm", d, 1);
            return norm(x.reshape(1), p, new int[] {0}, false);
        }
        Reductions.reducedDims("norm", dims, x.dim()); // so that a bad dim is reported as norm's, not sum's
        if (p == Float.POSITIVE_INFINITY) {
            // amax splits the gradient evenly among tied |x| maxima, as PyTorch's inf-norm does
            return Reductions.extremes(ReduceOp.MAX, "norm", x.abs(), dims, keepdim);
        }
        if (p == 1f) return x.abs().sum(dims, keepdim);
        if (p == 2f) return sqrtWithZeroGradAtZero(x.mul(x).sum(dims, keepdim));
        return generalNorm(x, p, dims, keepdim);
    }

    /**
     * (sum |x|^p)^(1/p) with PyTorch's gradient sign(x) |x|^(p-1) g / norm^(p-1), taken as 0 where x = 0 (for
     * p &lt; 1 the power alone is infinite there) and where the norm is 0.
     */
    private static Tensor generalNorm(Tensor x, float p, int[] dims, boolean keepdim) {
        Tensor absX;
        Tensor normKept;
        try (Autograd.Mode off = Autograd.noGrad()) {
            absX = x.abs();
            normKept = absX.pow(p).sum(dims, true).pow(1f / p);
        }
        int[] keptShape = normKept.shape();
        Tensor out = keepdim ? normKept.alias() : squeezeDims(normKept, dims);
        return Node.record(out, "norm", x, g -> {
            Tensor scale = g.reshape(keptShape).div(normKept.pow(p - 1f)).maskedFill(normKept.eq(0f), 0f);
            Tensor direction = x.sign().mul(absX.pow(p - 1f)).maskedFill(x.eq(0f), 0f);
            return direction.mul(scale);
        });
    }

    /** kept with its (size-1) reduced dims removed, as a view. */
    private static Tensor squeezeDims(Tensor kept, int[] dims) {
        boolean[] reduce = Reductions.reducedDims("norm", dims, kept.dim());
        int[] shape = kept.shape();
        int n = 0;
        for (boolean r : reduce) if (!r) n++;
        int[] squeezed = new int[n];
        for (int d = 0, j = 0; d < shape.length; d++) if (!reduce[d]) squeezed[j++] = shape[d];
        return kept.rawView(squeezed, Shapes.contiguousStrides(squeezed), kept.offset());
    }

    /**
     * sqrt(v) whose gradient g / (2 sqrt v) is replaced by 0 where v = 0. That is PyTorch's convention for std and
     * norms: at a constant slice or a zero vector every direction is a kink, and 0 is the subgradient it picks.
     */
    static Tensor sqrtWithZeroGradAtZero(Tensor v) {
        Tensor root;
        try (Autograd.Mode off = Autograd.noGrad()) {
            root = v.sqrt();
        }
        return Node.record(root, "sqrt", v, g -> g.div(root.mul(2f)).maskedFill(root.eq(0f), 0f));
    }

    private static void requireFloating(String op, Tensor x) {
        x.checkOpen(op);
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating tensor, got " + x.dtype());
        }
    }
}

package org.racro4j.core;

import java.util.List;

/**
 * Inclusive scans along a dim (PyTorch's cumsum and cumprod), built from narrow, cat and one elementwise op so
 * they run on every backend and get autograd from those ops.
 *
 * <p>The scan is Hillis-Steele's: pass k combines every element with the one 2^k places before it (the first
 * 2^k elements with the identity), so after ceil(log2 n) passes element i holds x[0] op ... op x[i]. That is
 * O(n log n) work in log n whole-tensor kernels, instead of n small ones or an O(n^2) triangular matmul. The
 * gradient is the chain of those passes' own gradients; for cumprod it is built only from multiplications,
 * never divisions, so it stays exact when the input contains zeros.
 */
final class Scans {
    private Scans() {}

    static Tensor cumsum(Tensor x, int dim) {
        return scan("cumsum", BinaryOp.ADD, 0f, x, dim);
    }

    static Tensor cumprod(Tensor x, int dim) {
        return scan("cumprod", BinaryOp.MUL, 1f, x, dim);
    }

    private static Tensor scan(String name, BinaryOp combine, float identity, Tensor x, int dim) {
        x.checkOpen(name);
        if (x.dim() == 0) {
            // PyTorch treats a 0-d tensor as one element along dim 0 (or -1)
            Shapes.dim(name, dim, 1);
            return scan(name, combine, identity, x.reshape(1), 0).reshape();
        }
        int d = Shapes.dim(name, dim, x.dim());
        DType resultType = resultType(x.dtype());
        Tensor cur = x.to(workType(resultType));
        int n = x.size(d);
        for (int shift = 1; shift < n; shift *= 2) {
            int[] headShape = x.shape();
            headShape[d] = shift;
            Tensor head = Tensor.full(identity, cur.dtype(), cur.device(), headShape);
            Tensor shifted = Tensor.cat(List.of(head, cur.narrow(d, 0, n - shift)), d);
            cur = Elementwise.binary(combine, cur, shifted);
        }
        if (cur == x) return x.copy(); // a length-0 or 1 dim: still a new tensor, as PyTorch returns
        return cur.to(resultType);
    }

    /** PyTorch's result dtype for cumsum, cumprod and prod: integers widen to I64, floating types stay. */
    static DType resultType(DType input) {
        return input.isFloatingPoint() ? input : DType.I64;
    }

    /** Half-precision floats are combined in F32 (as PyTorch accumulates them) and rounded once at the end. */
    static DType workType(DType result) {
        return result == DType.BF16 || result == DType.F16 ? DType.F32 : result;
    }
}

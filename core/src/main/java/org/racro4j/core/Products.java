package org.racro4j.core;

import java.util.List;

/**
 * PyTorch's prod: the product along a dim as a pairwise tree of multiplications (the first half of the dim
 * times the second half, an odd element carried to the next level), so it takes ceil(log2 n) whole-tensor
 * kernels on any backend. The gradient follows the tree's multiplications, never dividing by the input: each
 * element gets the product of all the others, which stays right with one zero or several.
 */
final class Products {
    private Products() {}

    static Tensor prodAll(Tensor x) {
        x.checkOpen("prod");
        return prod(x.reshape(-1), 0, false);
    }

    static Tensor prod(Tensor x, int dim, boolean keepdim) {
        x.checkOpen("prod");
        if (x.dim() == 0) {
            // PyTorch treats a 0-d tensor as one element along dim 0 (or -1); the result stays 0-d
            Shapes.dim("prod", dim, 1);
            return prod(x.reshape(1), 0, false);
        }
        int d = Shapes.dim("prod", dim, x.dim());
        DType resultType = Scans.resultType(x.dtype());
        Tensor cur = x.to(Scans.workType(resultType));
        int n = x.size(d);
        if (n == 0) {
            // the empty product is 1; adding it to the (zero) empty sum keeps the result in x's graph
            Tensor one = cur.sum(d, true).add(1f).to(cur.dtype());
            return finish(one, d, keepdim, resultType);
        }
        while (n > 1) {
            int half = n / 2;
            Tensor pairs = cur.narrow(d, 0, half).mul(cur.narrow(d, half, half));
            cur = n % 2 == 0 ? pairs : Tensor.cat(List.of(pairs, cur.narrow(d, 2 * half, 1)), d);
            n = half + n % 2;
        }
        if (cur == x) cur = x.copy(); // a length-1 dim: still a new tensor, as PyTorch returns
        return finish(cur, d, keepdim, resultType);
    }

    private static Tensor finish(Tensor kept, int d, boolean keepdim, DType resultType) {
        Tensor out = keepdim ? kept : kept.squeeze(d);
        return out.to(resultType);
    }
}

package org.racro4j.core;

/**
 * Matrix products. Everything is reduced to the one batched primitive {@link Backend#matmul} on 3-D views;
 * broadcasting and reshaping are done with autograd-aware views, so the backward of matmul only has to handle
 * the 3-D case.
 */
final class MatmulOps {
    private MatmulOps() {}

    static Tensor matmul(Tensor a, Tensor b) {
        a.checkOpen("matmul");
        b.checkOpen("matmul");
        Elementwise.checkSameDevice("matmul", a, b);
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least one dimension, got shapes "
                    + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("matmul: dtypes differ (" + a.dtype() + " and " + b.dtype() + ")");
        }
        if (!a.dtype().isFloatingPoint()) throw new IllegalArgumentException("matmul: needs floating tensors, got " + a.dtype());
        // vector . vector: both promoted dims are removed again, leaving a 0-d result
        if (a.dim() == 1 && b.dim() == 1) return matmul(a.unsqueeze(0), b.unsqueeze(1)).squeeze(-1).squeeze(-1);
        if (a.dim() == 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
        if (b.dim() == 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
        int m = a.size(-2);
        int k = a.size(-1);
        int n = b.size(-1);
        if (b.size(-2) != k) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape())
                    + " do not match: a.size(-1) = " + k + " but b.size(-2) = " + b.size(-2));
        }
        // A stack of rows times one matrix (a linear layer): fold the batch into M.
        if (b.dim() == 2 && a.dim() > 2) {
            int[] outShape = a.shape();
            outShape[outShape.length - 1] = n;
            Tensor a2 = a.reshape(-1, k);
            return bmm(a2.unsqueeze(0), b.unsqueeze(0)).reshape(outShape);
        }
        int[] aBatch = java.util.Arrays.copyOf(a.shape(), a.dim() - 2);
        int[] bBatch = java.util.Arrays.copyOf(b.shape(), b.dim() - 2);
        int[] batch = Shapes.broadcast("matmul: batch dims of " + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()), aBatch, bBatch);
        int batchSize = (int) Shapes.numel(batch);
        Tensor a3 = a.expand(concat(batch, m, k)).reshape(batchSize, m, k);
        Tensor b3 = b.expand(concat(batch, k, n)).reshape(batchSize, k, n);
        return bmm(a3, b3).reshape(concat(batch, m, n));
    }

    /** The batched primitive: a [B, M, K] @ b [B, K, N]. */
    static Tensor bmm(Tensor a, Tensor b) {
        Tensor ac = matrixLayout(a);
        Tensor bc = matrixLayout(b);
        int batch = a.size(0);
        Tensor out = Tensor.empty(a.dtype(), a.device(), batch, a.size(1), b.size(2));
        a.backend().matmul(ac, bc, out, 1f, 0f);
        return Node.record(out, "matmul", new Tensor[] {ac, bc}, g -> new Tensor[] {
                ac.requiresGrad() ? bmm(g, bc.transpose(1, 2)) : null,
                bc.requiresGrad() ? gradientOfB(ac, g, bc) : null});
    }

    /**
     * dB = A^T g, laid out as b is. A transposed b (a linear layer's W^T) gets its gradient as (g^T A)^T, transposed
     * too, so it reaches W contiguous: as A^T g it reached W as a transposed view, which the leaf's gradient then
     * copied (2% of a small model's training step on one thread, perf). Each element is the same products summed in
     * the same order either way.
     */
    private static Tensor gradientOfB(Tensor a, Tensor g, Tensor b) {
        boolean transposed = b.stride(2) != 1 && b.stride(1) == 1;
        return transposed ? bmm(g.transpose(1, 2), a).transpose(1, 2) : bmm(a.transpose(1, 2), g);
    }

    /** The kernel reads each matrix row-major (stride(2) == 1) or transposed (stride(1) == 1); else copy. */
    private static Tensor matrixLayout(Tensor t) {
        return t.stride(2) == 1 || t.stride(1) == 1 ? t : t.copy();
    }

    private static int[] concat(int[] batch, int r, int c) {
        int[] s = java.util.Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = r;
        s[batch.length + 1] = c;
        return s;
    }
}

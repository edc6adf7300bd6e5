package org.racro4j.kernels.cuda;

/**
 * How a row-major batched product C = A B (Backend.matmul's strided views) maps onto column-major cuBLAS:
 * a row-major C [M, N] is a column-major C^T [N, M], and C^T = B^T A^T, so cuBLAS computes with m = N, n = M,
 * k = K, its first operand taken from B and its second from A. A row-major operand read column-major is already
 * transposed (op N); a transposed view is op T. Pure arithmetic, tested without a GPU.
 *
 * @param m cuBLAS m (= N)
 * @param n cuBLAS n (= M)
 * @param k cuBLAS k (= K)
 * @param opFirst op of the first operand (taken from B): 0 = N, 1 = T
 * @param ldFirst its leading dimension
 * @param strideFirst its batch stride in elements
 * @param opSecond op of the second operand (taken from A)
 * @param ldSecond its leading dimension
 * @param strideSecond its batch stride
 * @param ldc C's leading dimension (N)
 * @param strideC C's batch stride (M N)
 */
record GemmLayout(int m, int n, int k, int opFirst, int ldFirst, long strideFirst, int opSecond, int ldSecond, long strideSecond,
                  int ldc, long strideC) {
    static final int OP_N = 0;
    static final int OP_T = 1;

    /**
     * The layout for A [M, K] with strides (aRow, aCol), B [K, N] with (bRow, bCol), batch strides aBatch and
     * bBatch, C [M, N] contiguous; null when cuBLAS cannot express the strides (e.g. a stride-0 row inside a matrix).
     */
    static GemmLayout of(int M, int N, int K, long aBatch, long aRow, long aCol, long bBatch, long bRow, long bCol) {
        // First operand: B^T as column-major N x K.
        int opFirst;
        long ldFirst;
        if (bCol == 1 || N == 1) {        // row-major B: (p, j) at p * bRow + j, column-major N x K with ld bRow
            opFirst = OP_N;
            ldFirst = K == 1 ? Math.max(bRow, N) : bRow;
            if (ldFirst < N) return null;
        } else if (bRow == 1 || K == 1) { // transposed B: (p, j) at p + j * bCol, column-major K x N with ld bCol
            opFirst = OP_T;
            ldFirst = N == 1 ? Math.max(bCol, K) : bCol;
            if (ldFirst < K) return null;
        } else {
            return null;
        }
        // Second operand: A^T as column-major K x M.
        int opSecond;
        long ldSecond;
        if (aCol == 1 || K == 1) {        // row-major A: (i, p) at i * aRow + p, column-major K x M with ld aRow
            opSecond = OP_N;
            ldSecond = M == 1 ? Math.max(aRow, K) : aRow;
            if (ldSecond < K) return null;
        } else if (aRow == 1 || M == 1) { // transposed A: (i, p) at i + p * aCol, column-major M x K with ld aCol
            opSecond = OP_T;
            ldSecond = K == 1 ? Math.max(aCol, M) : aCol;
            if (ldSecond < M) return null;
        } else {
            return null;
        }
        if (ldFirst > Integer.MAX_VALUE || ldSecond > Integer.MAX_VALUE || aBatch < 0 || bBatch < 0) return null;
        return new GemmLayout(N, M, K, opFirst, (int) ldFirst, bBatch, opSecond, (int) ldSecond, aBatch, N, (long) M * N);
    }
}

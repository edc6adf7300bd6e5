package org.racro4j.core;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The primitive kernel set a device implements. Ops, autograd, nn and optimizers are written once in core on
 * top of these; a backend only moves bytes and runs kernels. Tensors passed in are views (storage, offset,
 * shape, strides) on this backend; outputs are allocated by the caller, contiguous unless noted.
 *
 * <p>Conventions shared by every backend, and checked against the CPU backend in the GPU tests:
 * <ul>
 * <li>Floating dtypes narrower than F32 are loaded, computed in F32 and rounded to nearest-even on store.</li>
 * <li>Integer tensors are accepted as indices (I32 or I64) and by copy, fill and comparisons.</li>
 * <li>Broadcasting is done by the caller: inputs arrive expanded to the output shape (stride 0 where
 * broadcast).</li>
 * </ul>
 *
 * <p>Optional kernels are separate interfaces a backend implements when it has them: {@link FusedAttention},
 * {@link DecodeAttentionKernel} and {@link GraphCapture}.
 */
public interface Backend extends AutoCloseable {

    Device device();

    // ---------------------------------------------------------------------------------------------- memory

    /** Allocates uninitialised storage for {@code numel} elements. */
    Storage allocate(DType dtype, long numel);

    /** Returns storage memory to the backend (called once, when the storage's last reference is released). */
    void free(Storage storage);

    MemoryStats memoryStats();

    /** Resets the peak in {@link #memoryStats()} to the bytes currently in use. */
    void resetPeakMemory();

    /** Copies {@code src.remaining()} bytes (little-endian, the storage's dtype) into the storage at a byte offset. */
    void upload(Storage dst, long dstByteOffset, ByteBuffer src);

    /** Copies {@code dst.remaining()} bytes out of the storage, starting at a byte offset. */
    void download(Storage src, long srcByteOffset, ByteBuffer dst);

    /** Waits until all queued work is done (a no-op where kernels run synchronously). */
    default void synchronize() {}

    // ---------------------------------------------------------------------------------------- elementwise

    /** dst = src, elementwise over equal shapes with any strides, converting dtype. */
    void copy(Tensor src, Tensor dst);

    void fill(Tensor dst, double value);

    /** out = op(x; p0, p1). x and out have the same shape. */
    void unary(UnaryOp op, Tensor x, Tensor out, float p0, float p1);

    /** out = op(a, b). a, b and out have the same shape (a and b possibly stride-0 broadcast). */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** out = cond != 0 ? a : b, all of out's shape. */
    void where(Tensor cond, Tensor a, Tensor b, Tensor out);

    // ------------------------------------------------------------------------------------------ reductions

    /**
     * Reduces x over {@code dim}. out has x's shape without that dim. {@code indices} (I64, out's shape) is
     * filled with the position of the first extreme element for MAX and MIN when it is not null.
     */
    void reduce(ReduceOp op, Tensor x, int dim, Tensor out, Tensor indices);

    // ------------------------------------------------------------------------------------------ matmul

    /**
     * out[b] = alpha * a[b] @ b[b] + beta * out[b] for 3-D a [B, M, K], b [B, K, N], out [B, M, N]. Within each
     * matrix of a and b either the last stride is 1 (row-major) or the middle one is (a transposed view); the
     * batch stride may be 0. out is contiguous.
     */
    void matmul(Tensor a, Tensor b, Tensor out, float alpha, float beta);

    // ------------------------------------------------------------------------------------------ fused rows

    /** Softmax (or log-softmax) over the last dim of contiguous x. */
    void softmax(Tensor x, Tensor out, boolean log);

    /**
     * Gradient of softmax over the last dim, from its output y and the output gradient gy:
     * softmax: gx = y (gy - sum(gy y)); log-softmax: gx = gy - exp(y) sum(gy).
     */
    void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log);

    /**
     * y = (x - mean) * rstd * w + b over the last dim of contiguous x [R, C]; w and b [C] (b may be null).
     * Saves mean and rstd [R] (F32) for backward.
     */
    void layerNorm(Tensor x, Tensor w, Tensor b, float eps, Tensor y, Tensor mean, Tensor rstd);

    /** Gradients of layerNorm. gw and gb may be null when not wanted. */
    void layerNormBackward(Tensor gy, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gx, Tensor gw, Tensor gb);

    /** y = x * rstd * w with rstd = 1/sqrt(mean(x^2) + eps) over the last dim; saves rstd [R] (F32). */
    void rmsNorm(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd);

    /** Gradients of rmsNorm. gw may be null. */
    void rmsNormBackward(Tensor gy, Tensor x, Tensor w, Tensor rstd, Tensor gx, Tensor gw);

    /**
     * Cross-entropy per row of logits [R, V] against target [R] (I32/I64): loss[r] = lse[r] - logits[r, t],
     * 0 where t == ignoreIndex. Saves lse [R] (F32). Targets out of [0, V) other than ignoreIndex are an error.
     */
    void crossEntropy(Tensor logits, Tensor target, int ignoreIndex, Tensor loss, Tensor lse);

    /** gLogits[r] = gLoss[r] * (softmax(logits[r]) - onehot(t)), 0 for ignored rows. */
    void crossEntropyBackward(Tensor logits, Tensor target, Tensor lse, Tensor gLoss, int ignoreIndex, Tensor gLogits);

    /**
     * Rotary position embedding in the "rotate half" form (Llama/Qwen2): for x [..., T, D] and tables cos, sin
     * [T, D/2], out[..., i] = x[i] cos - x[i + D/2] sin and out[..., i + D/2] = x[i + D/2] cos + x[i] sin.
     * {@code inverse} rotates by the negative angle (the backward pass). x and out contiguous.
     */
    void rope(Tensor x, Tensor cos, Tensor sin, Tensor out, boolean inverse);

    // ------------------------------------------------------------------------------------------ indexing

    /** out = src.index_select(dim, index); index 1-D I32/I64. */
    void indexSelect(Tensor src, int dim, Tensor index, Tensor out);

    /** dst.index_add_(dim, index, src): dst[..., index[i], ...] += src[..., i, ...]. */
    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /** out[i][j][k] = src[i][index[i][j][k]][k] for dim = 1 (and likewise for other dims); index has out's shape. */
    void gather(Tensor src, int dim, Tensor index, Tensor out);

    /** dst[i][index[i][j][k]][k] += src[i][j][k] for dim = 1; index has src's shape. */
    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src);

    // ------------------------------------------------------------------------------------------ random

    /**
     * Fills dst (contiguous, floating) from the Philox4x32-10 stream (seed, offset) as specified in
     * {@link org.racro4j.core.random.Philox}: uniform in [a, b) or normal with mean a and std b.
     */
    void random(Tensor dst, long seed, long offset, boolean normal, float a, float b);

    /**
     * Draws one token per row of logits [B, V] (contiguous, floating) into out [B] (I64). Temperature 0 means
     * argmax (first maximum). Otherwise p = softmax(logits / temperature); candidates are sorted by p
     * descending (ties by index ascending); the top {@code topK} are kept (topK &lt;= 0 keeps all), then the
     * shortest prefix whose mass, renormalised over those top-k, reaches {@code topP} (topP &gt;= 1 keeps all) —
     * the order in which Hugging Face and vLLM apply the two filters; the kept
     * probabilities are renormalised and the first candidate whose cumulative mass exceeds u is taken, where u
     * is element b of a uniform Philox fill with (seed, offset): u = uniform(word b mod 4 of block offset + b/4).
     * The caller advances its generator by ceil(B/4) blocks.
     */
    void sampleTokens(Tensor logits, float temperature, int topK, float topP, long seed, long offset, Tensor out);

    /**
     * {@link #sampleTokens(Tensor, float, int, float, long, long, Tensor)} with one stream position per row: row b's
     * uniform is word 0 of Philox block {@code offsets[b]} (what sampling that row alone at offset offsets[b] draws),
     * so a row's draw does not depend on the other rows or on its place in the batch. This default samples row by
     * row; the CPU backend does all rows in one parallel pass.
     */
    default void sampleTokens(Tensor logits, float temperature, int topK, float topP, long seed, long[] offsets, Tensor out) {
        int rows = logits.size(0);
        if (offsets.length != rows) {
            throw new IllegalArgumentException("sampleTokens: " + offsets.length + " offsets for " + rows + " rows of logits");
        }
        for (int r = 0; r < rows; r++) {
            sampleTokens(logits.narrow(0, r, 1), temperature, topK, topP, seed, offsets[r], out.narrow(0, r, 1));
        }
    }

    // ------------------------------------------------------------------------------------------ optimizer

    /**
     * One AdamW step over many tensors at once (a multi-tensor kernel on GPUs): for each i,
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd p).
     * Parameters may be F32, BF16 or F16; g, m and v are F32 or the parameter's dtype for g.
     */
    void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamWHyper hyper);

    /** Hyperparameters of one AdamW step; {@code step} counts from 1. */
    record AdamWHyper(float lr, float beta1, float beta2, float eps, float weightDecay, long step) {}

    @Override
    default void close() {}
}

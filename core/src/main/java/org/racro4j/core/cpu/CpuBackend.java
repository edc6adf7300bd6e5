package org.racro4j.core.cpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.racro4j.core.Backend;
import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.DecodeAttentionKernel;
import org.racro4j.core.Device;
import org.racro4j.core.MemoryStats;
import org.racro4j.core.PackedOperands;
import org.racro4j.core.ReduceOp;
import org.racro4j.core.Shapes;
import org.racro4j.core.SharedPrefix;
import org.racro4j.core.Storage;
import org.racro4j.core.Tensor;
import org.racro4j.core.UnaryOp;
import org.racro4j.core.random.Philox;

/**
 * The CPU backend: Java arrays, Vector API kernels, a fork-join pool. It is also the reference every other
 * backend is tested against. Memory is accounted for exactly: bytes in use rise on allocate and fall when the
 * last tensor of a storage closes.
 */
public final class CpuBackend implements Backend, DecodeAttentionKernel, PackedOperands {
    public static final CpuBackend INSTANCE = new CpuBackend();

    private final AtomicLong inUse = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong live = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong();
    /** Freed storage arrays for reuse: up to an eighth of the heap, at most 1 GiB. */
    private final ArrayPool pool = new ArrayPool(Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 8));

    private CpuBackend() {}

    @Override
    public Device device() {
        return Device.CPU;
    }

    // ---------------------------------------------------------------------------------------------- memory

    @Override
    public Storage allocate(DType dtype, long numel) {
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cpu: a storage of " + numel + " elements exceeds the Java array limit");
        }
        CpuStorage s = new CpuStorage(this, dtype, (int) numel, pool);
        long now = inUse.addAndGet(s.byteSize());
        peak.accumulateAndGet(now, Math::max);
        live.incrementAndGet();
        allocations.incrementAndGet();
        return s;
    }

    /**
     * Packed for the tile kernel in vector mode, into an array of the storage pool; counted in memory use and in
     * allocations like a storage while it is open.
     */
    @Override
    public AutoCloseable pack(Tensor b) {
        if (b.dtype() != DType.F32 || b.dim() != 2 || b.stride(1) != 1 || !b.device().equals(Device.CPU)) {
            throw new IllegalArgumentException("cpu pack: needs a row-major [K, N] F32 CPU matrix, got " + b.dtype() + " "
                    + Shapes.str(b.shape()) + " strides " + Arrays.toString(b.strides()) + " on " + b.device());
        }
        if (!VectorApi.ENABLED) return () -> {};   // the plain loops read B as it is
        PackedB.Handle handle = PackedB.register(Floats.read(b), b.offset(), b.stride(0), b.size(0), b.size(1), pool);
        allocations.incrementAndGet();   // its panels came from the pool, as a storage's array: fresh unless reused
        long bytes = handle.bytes();
        peak.accumulateAndGet(inUse.addAndGet(bytes), Math::max);
        return () -> {
            if (handle.bytes() == 0) return;
            handle.close();
            inUse.addAndGet(-bytes);
        };
    }

    /**
     * A storage of zeros whose array is only taken at first use: the placeholder of a weight a checkpoint will fill or
     * map ({@link CpuStorage#map}), which then never costs heap. Counted as in use at once, as an allocation when made.
     */
    public Storage placeholder(DType dtype, long numel) {
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cpu: a storage of " + numel + " elements exceeds the Java array limit");
        }
        CpuStorage s = CpuStorage.placeholder(this, dtype, (int) numel, pool);
        long now = inUse.addAndGet(s.byteSize());
        peak.accumulateAndGet(now, Math::max);
        live.incrementAndGet();
        return s;
    }

    void countAllocation() {
        allocations.incrementAndGet();
    }

    @Override
    public void free(Storage storage) {
        Object array = ((CpuStorage) storage).drop();
        if (array != null) pool.give(array);
        inUse.addAndGet(-storage.byteSize());
        live.decrementAndGet();
    }

    @Override
    public MemoryStats memoryStats() {
        long used = inUse.get();
        return new MemoryStats(used, used + pool.pooledBytes(), peak.get(), live.get(), allocations.get() - pool.reused());
    }

    @Override
    public void resetPeakMemory() {
        peak.set(inUse.get());
    }

    /**
     * Elements of BF16/F16 storages that kernels have converted to a float array as a whole, since the JVM started:
     * the kernels compute in F32 and widen most half-precision operands on the way in, which is cheap for
     * activations but would cost a float copy of a frozen model's weights per step. Matrix products read a
     * half-precision B in place and embedding lookups copy rows, so a BF16 decode step widens only its activations
     * (tests watch this count to keep it so).
     */
    public long halfElementsWidened() {
        return Floats.halfElementsWidened();
    }

    @Override
    public void upload(Storage dst, long dstByteOffset, ByteBuffer src) {
        CpuStorage s = (CpuStorage) dst;
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int es = s.dtype().byteSize();
        checkRange("upload", s, dstByteOffset, b.remaining());
        int at = (int) (dstByteOffset / es);
        int n = b.remaining() / es;
        switch (s.dtype()) {
            case F32 -> b.asFloatBuffer().get(s.floats(), at, n);
            case BF16, F16 -> b.asShortBuffer().get(s.shorts(), at, n);
            case I32 -> b.asIntBuffer().get(s.ints(), at, n);
            case I64 -> b.asLongBuffer().get(s.longs(), at, n);
        }
    }

    @Override
    public void download(Storage src, long srcByteOffset, ByteBuffer dst) {
        CpuStorage s = (CpuStorage) src;
        int es = s.dtype().byteSize();
        checkRange("download", s, srcByteOffset, dst.remaining());
        int at = (int) (srcByteOffset / es);
        int n = dst.remaining() / es;
        ByteBuffer b = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (s.dtype()) {
            case F32 -> b.asFloatBuffer().put(s.floats(), at, n);
            case BF16, F16 -> {
                if (s.bits() instanceof ShortBuffer mapped) b.asShortBuffer().put(mapped.slice(at, n));
                else b.asShortBuffer().put(s.shorts(), at, n);
            }
            case I32 -> b.asIntBuffer().put(s.ints(), at, n);
            case I64 -> b.asLongBuffer().put(s.longs(), at, n);
        }
        dst.position(dst.position() + n * es);
    }

    private static void checkRange(String op, CpuStorage s, long byteOffset, int bytes) {
        int es = s.dtype().byteSize();
        if (byteOffset % es != 0 || bytes % es != 0 || byteOffset < 0 || byteOffset + bytes > s.byteSize()) {
            throw new IllegalArgumentException("cpu " + op + ": " + bytes + " bytes at byte offset " + byteOffset
                    + " do not fit a " + s.dtype() + " storage of " + s.byteSize() + " bytes");
        }
    }

    // ---------------------------------------------------------------------------------------------- kernels

    @Override
    public void copy(Tensor src, Tensor dst) {
        CpuElementwise.copy(src, dst);
    }

    @Override
    public void fill(Tensor dst, double value) {
        CpuElementwise.fill(dst, value);
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out, float p0, float p1) {
        CpuElementwise.unary(op, x, out, p0, p1);
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        CpuElementwise.binary(op, a, b, out);
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        CpuElementwise.where(cond, a, b, out);
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, int dim, Tensor out, Tensor indices) {
        CpuReduce.reduce(op, x, dim, out, indices);
    }

    /**
     * Computes in F32 whatever the dtypes. A BF16/F16 b (a frozen model's weight) is read in place, never widened as a
     * whole; b may also have another floating dtype than a and out (F32 activations times a BF16 weight).
     */
    @Override
    public void matmul(Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        if (VectorApi.ENABLED) CpuMatmul.matmul(a, b, out, alpha, beta);
        else PlainMatmul.matmul(a, b, out, alpha, beta);
    }

    @Override
    public void softmax(Tensor x, Tensor out, boolean log) {
        CpuRows.softmax(x, out, log);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log) {
        CpuRows.softmaxBackward(y, gy, gx, log);
    }

    @Override
    public void layerNorm(Tensor x, Tensor w, Tensor b, float eps, Tensor y, Tensor mean, Tensor rstd) {
        CpuRows.layerNorm(x, w, b, eps, y, mean, rstd);
    }

    @Override
    public void layerNormBackward(Tensor gy, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gx, Tensor gw, Tensor gb) {
        CpuRows.layerNormBackward(gy, x, w, mean, rstd, gx, gw, gb);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        CpuRows.rmsNorm(x, w, eps, y, rstd);
    }

    @Override
    public void rmsNormBackward(Tensor gy, Tensor x, Tensor w, Tensor rstd, Tensor gx, Tensor gw) {
        CpuRows.rmsNormBackward(gy, x, w, rstd, gx, gw);
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor target, int ignoreIndex, Tensor loss, Tensor lse) {
        CpuRows.crossEntropy(logits, target, ignoreIndex, loss, lse);
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor target, Tensor lse, Tensor gLoss, int ignoreIndex, Tensor gLogits) {
        CpuRows.crossEntropyBackward(logits, target, lse, gLoss, ignoreIndex, gLogits);
    }

    /** F32: one pass over each row's keys and values (CpuDecodeAttention); other dtypes take Functional's composite. */
    @Override
    public boolean supportsDecode(DType dtype, int headDim) {
        return dtype == DType.F32;
    }

    @Override
    public boolean readsTransposedKeys() {
        return true;
    }

    @Override
    public void decodeAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale, Tensor out) {
        CpuDecodeAttention.run(q, kCache, vCache, lengths, keyMask, scale, null, out);
    }

    @Override
    public void decodeAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale, SharedPrefix shared,
                                Tensor out) {
        CpuDecodeAttention.run(q, kCache, vCache, lengths, keyMask, scale, shared, out);
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, Tensor out, boolean inverse) {
        CpuRows.rope(x, cos, sin, out, inverse);
    }

    @Override
    public void indexSelect(Tensor src, int dim, Tensor index, Tensor out) {
        CpuIndexing.indexSelect(src, dim, index, out);
    }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        CpuIndexing.indexAdd(dst, dim, index, src);
    }

    @Override
    public void gather(Tensor src, int dim, Tensor index, Tensor out) {
        CpuIndexing.gather(src, dim, index, out);
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        CpuIndexing.scatterAdd(dst, dim, index, src);
    }

    @Override
    public void random(Tensor dst, long seed, long offset, boolean normal, float a, float b) {
        if (!dst.isContiguous()) throw new IllegalArgumentException("random: destination must be contiguous");
        float[] d = Floats.writable(dst);
        int n = (int) dst.numel();
        int base = dst.offset();
        // Split on block boundaries (multiples of 4) so each thread computes whole Philox blocks.
        Parallel.range((n + 3) / 4, 1 << 12, (b0, b1) -> Philox.fill(d, base, seed, offset, normal, a, b, b0 * 4, Math.min(n, b1 * 4)));
        Floats.commit(dst, d);
    }

    @Override
    public void sampleTokens(Tensor logits, float temperature, int topK, float topP, long seed, long offset, Tensor out) {
        CpuSampling.sample(logits, temperature, topK, topP, seed, offset, out);
    }

    @Override
    public void sampleTokens(Tensor logits, float temperature, int topK, float topP, long seed, long[] offsets, Tensor out) {
        CpuSampling.sample(logits, temperature, topK, topP, seed, offsets, out);
    }

    @Override
    public void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamWHyper h) {
        CpuAdamW.step(params, grads, m, v, h);
    }
}

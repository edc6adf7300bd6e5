package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.Function;

import org.racro4j.core.DType;
import org.racro4j.core.HalfFloats;

/**
 * A few tiny products through cuBLAS right after it is opened, compared element by element with the host's.
 * JCublas 12 runs against CUDA 13's libcublas through a patched native (unverified), so a cuBLAS that loads may
 * still fail or compute garbage; one that does is not used. The inputs are small integers and the sums stay below
 * 256, so every result is exact in F32, BF16 and F16: any difference at all is an error. The sizes are awkward
 * (3 x 5 x 7, two batches) and both operand layouts cuBLAS is driven with occur. The choice of cases and the
 * verdict are pure (tested without a GPU); {@link #run} moves them through the device.
 */
final class CublasSmoke {
    private CublasSmoke() {}

    /**
     * out [batch, m, n] = A [batch, m, k] (row-major) @ B [batch, k, n], B stored row-major or, when bTransposed, as
     * the rows of B^T ([batch, n, k], as Linear's weight).
     */
    record Case(DType dtype, int batch, int m, int n, int k, boolean bTransposed) {
        long aRow() { return k; }
        long aBatch() { return (long) m * k; }
        long bRow() { return bTransposed ? 1 : n; }
        long bCol() { return bTransposed ? k : 1; }
        long bBatch() { return (long) k * n; }

        /** A's elements in storage order: small integers in [-3, 3]. */
        float[] a() {
            float[] v = new float[batch * m * k];
            for (int i = 0; i < v.length; i++) v[i] = (i * 5 + 2) % 7 - 3;
            return v;
        }

        /** B's elements in storage order. */
        float[] b() {
            float[] v = new float[batch * k * n];
            for (int i = 0; i < v.length; i++) v[i] = (i * 3 + 1) % 7 - 3;
            return v;
        }

        /** The product on the host, in double. */
        float[] want() {
            float[] a = a(), b = b(), c = new float[batch * m * n];
            for (int t = 0; t < batch; t++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int p = 0; p < k; p++) s += a[(int) (t * aBatch() + i * aRow() + p)] * b[(int) (t * bBatch() + p * bRow() + j * bCol())];
                        c[(t * m + i) * n + j] = (float) s;
                    }
                }
            }
            return c;
        }

        GemmLayout layout() {
            return GemmLayout.of(m, n, k, aBatch(), aRow(), 1, bBatch(), bRow(), bCol());
        }

        @Override
        public String toString() {
            return dtype + " " + m + "x" + n + "x" + k + " batch " + batch + (bTransposed ? ", B as B^T rows" : ", B row-major");
        }
    }

    /** The products run: every dtype cuBLAS serves, both layouts of B. */
    static List<Case> cases() {
        return List.of(new Case(DType.F32, 2, 3, 5, 7, false), new Case(DType.BF16, 2, 3, 5, 7, true), new Case(DType.F16, 1, 5, 3, 7, false),
                new Case(DType.BF16, 1, 5, 3, 7, false));
    }

    /** Null when got is the exact product, else one line naming the case, the first wrong element, got and want. */
    static String verdict(Case c, float[] got) {
        float[] want = c.want();
        if (got.length != want.length) return c + ": " + got.length + " results, want " + want.length;
        for (int i = 0; i < want.length; i++) {
            if (!(got[i] == want[i])) {   // NaN included
                int t = i / (c.m() * c.n()), r = i % (c.m() * c.n());
                return c + ": element [" + t + ", " + r / c.n() + ", " + r % c.n() + "] is " + got[i] + ", want " + want[i];
            }
        }
        return null;
    }

    /**
     * Runs every case through runner (which returns the product as floats) and returns null when all are exact,
     * else why cuBLAS should not be used. A sticky CUDA fault is rethrown: the context is dead, not just cuBLAS.
     */
    static String check(List<Case> cases, Function<Case, float[]> runner) {
        for (Case c : cases) {
            float[] got;
            try {
                got = runner.apply(c);
            } catch (RuntimeException | LinkageError e) {
                if (GemmFallback.stickyFault(e)) throw e;
                return "its smoke product (" + c + ") failed: " + GemmFallback.cublasReason(e);
            }
            String bad = verdict(c, got);
            if (bad != null) return "its smoke product is wrong: " + bad;
        }
        return null;
    }

    /** {@link #check} on the device: null when cuBLAS computes every case exactly, else why not. */
    static String run(CublasGemm cublas, CudaDevice gpu) {
        return check(cases(), c -> product(cublas, gpu, c));
    }

    private static float[] product(CublasGemm cublas, CudaDevice gpu, Case c) {
        int es = c.dtype().byteSize();
        float[] a = c.a(), b = c.b();
        int outElems = c.batch() * c.m() * c.n();
        CachingAllocator.Block da = gpu.allocator.allocate((long) a.length * es);
        CachingAllocator.Block db = gpu.allocator.allocate((long) b.length * es);
        CachingAllocator.Block dc = gpu.allocator.allocate((long) outElems * es);
        try {
            gpu.upload(da.address(), pack(c.dtype(), a));
            gpu.upload(db.address(), pack(c.dtype(), b));
            float[] nan = new float[outElems];
            java.util.Arrays.fill(nan, Float.NaN);   // an output cuBLAS never writes cannot pass
            gpu.upload(dc.address(), pack(c.dtype(), nan));
            gpu.makeCurrent();
            cublas.gemm(c.layout(), c.dtype(), c.batch(), da.address(), db.address(), dc.address(), 1f, 0f);
            ByteBuffer out = ByteBuffer.allocate(outElems * es).order(ByteOrder.LITTLE_ENDIAN);
            gpu.download(dc.address(), out);
            out.flip();
            return unpack(c.dtype(), out, outElems);
        } finally {
            gpu.allocator.free(dc);
            gpu.allocator.free(db);
            gpu.allocator.free(da);
        }
    }

    static ByteBuffer pack(DType dt, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * dt.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            switch (dt) {
                case F32 -> b.putFloat(x);
                case BF16 -> b.putShort(HalfFloats.floatToBf16(x));
                case F16 -> b.putShort(HalfFloats.floatToF16(x));
                default -> throw new IllegalArgumentException("cuBLAS smoke product: unsupported dtype " + dt);
            }
        }
        return b.flip();
    }

    static float[] unpack(DType dt, ByteBuffer b, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (dt) {
                case F32 -> b.getFloat();
                case BF16 -> HalfFloats.bf16ToFloat(b.getShort());
                case F16 -> HalfFloats.f16ToFloat(b.getShort());
                default -> throw new IllegalArgumentException("cuBLAS smoke product: unsupported dtype " + dt);
            };
        }
        return v;
    }
}

package org.racro4j.core.cpu;

import java.util.concurrent.atomic.LongAdder;

import org.racro4j.core.DType;
import org.racro4j.core.HalfFloats;
import org.racro4j.core.Tensor;

/**
 * Gives float kernels a float[] for any tensor, indexed exactly like its storage (so offsets and strides carry
 * over). For F32 it is the storage array itself; other dtypes are converted on the way in and rounded back on
 * the way out. This keeps every CPU kernel a single F32 implementation.
 */
final class Floats {
    /** Elements of BF16/F16 storages converted whole by {@link #read}: see {@link CpuBackend#halfElementsWidened}. */
    private static final LongAdder HALF_WIDENED = new LongAdder();

    private Floats() {}

    static long halfElementsWidened() {
        return HALF_WIDENED.sum();
    }

    static CpuStorage storage(Tensor t) {
        return (CpuStorage) t.storage();
    }

    /** Values of t's storage as floats (the array itself for F32). */
    static float[] read(Tensor t) {
        CpuStorage s = storage(t);
        if (s.dtype() == DType.F32) return s.floats();
        int n = (int) s.numel();
        if (s.dtype() == DType.BF16 || s.dtype() == DType.F16) HALF_WIDENED.add(n);
        float[] out = new float[n];
        switch (s.dtype()) {
            case BF16 -> {
                short[] h = s.bitsArray();
                for (int i = 0; i < n; i++) out[i] = HalfFloats.bf16ToFloat(h[i]);
            }
            case F16 -> {
                short[] h = s.bitsArray();
                for (int i = 0; i < n; i++) out[i] = HalfFloats.f16ToFloat(h[i]);
            }
            case I32 -> {
                int[] v = s.ints();
                for (int i = 0; i < n; i++) out[i] = v[i];
            }
            case I64 -> {
                long[] v = s.longs();
                for (int i = 0; i < n; i++) out[i] = v[i];
            }
            default -> throw new AssertionError();
        }
        return out;
    }

    /**
     * An array to write t's elements into: the storage itself for F32, else a converted copy to {@link #commit}.
     * The copy holds the current values, so kernels that read their output (accumulation, beta != 0) see the
     * same numbers for every dtype.
     */
    static float[] writable(Tensor t) {
        return read(t);
    }

    /** Rounds the elements of view t from scratch into its storage (no-op for F32). */
    static void commit(Tensor t, float[] scratch) {
        CpuStorage s = storage(t);
        if (s.dtype() == DType.F32) return;
        StridedLoop.forEach(t.shape(), new int[][] {t.strides()}, new int[] {t.offset()}, (n, off, st) -> {
            int o = off[0];
            int step = st[0];
            switch (s.dtype()) {
                case BF16 -> {
                    short[] h = s.shorts();
                    for (int i = 0; i < n; i++, o += step) h[o] = HalfFloats.floatToBf16(scratch[o]);
                }
                case F16 -> {
                    short[] h = s.shorts();
                    for (int i = 0; i < n; i++, o += step) h[o] = HalfFloats.floatToF16(scratch[o]);
                }
                case I32 -> {
                    int[] v = s.ints();
                    for (int i = 0; i < n; i++, o += step) v[o] = (int) scratch[o];
                }
                case I64 -> {
                    long[] v = s.longs();
                    for (int i = 0; i < n; i++, o += step) v[o] = (long) scratch[o];
                }
                default -> throw new AssertionError();
            }
        });
    }

    /** Index value i of an I32/I64 storage. */
    static long index(CpuStorage s, int i) {
        return s.dtype() == DType.I64 ? s.longs()[i] : s.ints()[i];
    }
}

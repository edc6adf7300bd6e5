package org.racro4j.core.cpu;

import static org.racro4j.core.cpu.CpuGemmKernel.NR;

import java.util.IdentityHashMap;
import java.util.Map;

import org.racro4j.core.DType;

/**
 * A row-major F32 B [K, N] laid out once in the panels {@link CpuMatmul} packs B into on every product: per
 * NC-column by KC-row block, NR-column panels of kb rows, zero-padded past N. A decode step of 64 rows runs every
 * weight matrix through the tile kernel once; reading W in place walks each 32-column strip down K rows at a
 * 4*N-byte stride, which is slow once the weights no longer fit in the cache: x [64, 256] times [256, 768] weights
 * in place ran at 316 GFLOP/s (mean, 2 threads) with one weight and at 197 taking 40 different weights in turn.
 * Packed panels are read front to back.
 *
 * <p>Looked up by the identity of B's float array and its view (offset, row stride, K, N), so a product of any other
 * view of the same storage packs as before. Registered while a generation runs (see {@code TransposedWeights}).
 */
final class PackedB {
    private static final Map<float[], PackedB> REGISTERED = new IdentityHashMap<>();
    /** Registered count, read without the lock so that products pay nothing while none is registered. */
    private static volatile int registered;

    /**
     * Floats per task of the packing, which is split over the threads: the report's larger model (3.5M weight floats)
     * got its copies ready in 3.9-4.0 ms a generation on two threads against 4.3-4.4 packing on one.
     */
    private static final int PACK_GRAIN = 1 << 15;

    final float[] panels;
    private final int offset;
    private final int rowStride;
    private final int k;
    private final int n;
    private final int kBlocks;
    private final int[] blockStart;

    private PackedB(float[] b, int offset, int rowStride, int k, int n, ArrayPool pool) {
        this.offset = offset;
        this.rowStride = rowStride;
        this.k = k;
        this.n = n;
        kBlocks = ceilDiv(k, CpuMatmul.KC);
        int nBlocks = ceilDiv(n, CpuMatmul.NC);
        blockStart = new int[nBlocks * kBlocks];
        long size = 0;
        for (int jb = 0; jb < nBlocks; jb++) {
            int nb = Math.min(CpuMatmul.NC, n - jb * CpuMatmul.NC);
            for (int kbIdx = 0; kbIdx < kBlocks; kbIdx++) {
                int kb = Math.min(CpuMatmul.KC, k - kbIdx * CpuMatmul.KC);
                blockStart[jb * kBlocks + kbIdx] = Math.toIntExact(size);
                size += (long) ceilDiv(nb, NR) * NR * kb;
            }
        }
        // from the backend's pool, as a storage's array: a fresh one of this size (a weight, megabytes) per generation
        // was zeroed by the JVM and faulted in page by page; every element is written below, padding included
        panels = (float[]) pool.take(DType.F32, Math.toIntExact(size));
        for (int jb = 0; jb < nBlocks; jb++) {
            int jc = jb * CpuMatmul.NC;
            int nb = Math.min(CpuMatmul.NC, n - jc);
            for (int kbIdx = 0; kbIdx < kBlocks; kbIdx++) {
                int pc = kbIdx * CpuMatmul.KC;
                int kb = Math.min(CpuMatmul.KC, k - pc);
                int from = offset + pc * rowStride + jc;
                int at = blockStart[jb * kBlocks + kbIdx];
                Parallel.range(ceilDiv(nb, NR), Math.max(1, PACK_GRAIN / (NR * kb)),
                        (p0, p1) -> CpuMatmul.packRowMajorB(b, from, rowStride, kb, nb, p0, p1, panels, at));
            }
        }
    }

    /** Where the panels of the block at column jc and row pc (multiples of NC and KC) start. */
    int blockStart(int jc, int pc) {
        return blockStart[jc / CpuMatmul.NC * kBlocks + pc / CpuMatmul.KC];
    }

    /** The packed form of the row-major [k, n] B at b[offset] with this row stride, or null. */
    static PackedB lookup(float[] b, int offset, int rowStride, int k, int n) {
        if (registered == 0) return null;
        PackedB p;
        synchronized (REGISTERED) {
            p = REGISTERED.get(b);
        }
        return p != null && p.offset == offset && p.rowStride == rowStride && p.k == k && p.n == n ? p : null;
    }

    /**
     * Packs the row-major [k, n] B at b[offset] until the handle closes. An array already packed (by an enclosing
     * handle) is left as it is, and the handle then holds nothing.
     */
    static Handle register(float[] b, int offset, int rowStride, int k, int n, ArrayPool pool) {
        PackedB p = new PackedB(b, offset, rowStride, k, n, pool);
        synchronized (REGISTERED) {
            if (REGISTERED.putIfAbsent(b, p) != null) {
                pool.give(p.panels);
                return new Handle(b, null, pool);
            }
            registered = REGISTERED.size();
        }
        return new Handle(b, p, pool);
    }

    /** One registration: closing it unregisters its packing. */
    static final class Handle implements AutoCloseable {
        private final float[] b;
        private final ArrayPool pool;
        private PackedB packed;

        private Handle(float[] b, PackedB packed, ArrayPool pool) {
            this.b = b;
            this.packed = packed;
            this.pool = pool;
        }

        /** Bytes of the packed copy (0 once closed, or when the array was already packed). */
        long bytes() {
            return packed == null ? 0 : 4L * packed.panels.length;
        }

        @Override
        public void close() {
            if (packed == null) return;
            synchronized (REGISTERED) {
                if (REGISTERED.get(b) == packed) REGISTERED.remove(b);
                registered = REGISTERED.size();
            }
            pool.give(packed.panels);   // products run on the generating thread, which closes the handle after them
            packed = null;
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}

package org.racro4j.kernels.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import org.racro4j.core.MemoryStats;

/**
 * A caching allocator for device memory, in the spirit of PyTorch's: freed blocks go back to a cache and are
 * handed out again, so the steady state of a training loop makes no cuMemAlloc/cuMemFree calls (both are slow
 * and cuMemFree synchronises the device).
 *
 * <ul>
 * <li>Small requests (up to {@value #SMALL_LIMIT} bytes) are rounded up to a multiple of {@value #SMALL_ROUND}
 * bytes and carved out of {@value #SLAB_BYTES}-byte slabs, one slab per size class.</li>
 * <li>Large requests are rounded up to a multiple of {@value #LARGE_ROUND} bytes and get a segment of their
 * own. A cached segment is reused for a request of at most 1/8 less, which bounds the waste.</li>
 * <li>When the device runs out, every unused cached block is returned to it and the request is retried once.</li>
 * </ul>
 *
 * <p>While a CUDA graph is captured ({@link #beginGraphPool}), every block handed out or freed belongs to that
 * graph's {@link GraphPool}: the graph's kernels hold those addresses and write them again on every replay, so the
 * blocks go back to the shared cache only when the graph is destroyed ({@link #releaseGraphPool}); until then a
 * freed one serves only that graph's own later captures. Replays allocate nothing.
 *
 * <p>Every block is {@value #SMALL_ROUND}-byte aligned, so 16-byte vector loads work from any block start.
 * Reuse is safe without events because the backend queues all work on one stream: a block freed by the host is
 * only reused by work queued after everything that used it. Statistics feed {@code Backend.memoryStats()}.
 * Thread-safe.
 */
public final class CachingAllocator {
    static final long SMALL_LIMIT = 1L << 20;
    static final long SMALL_ROUND = 512;
    static final long SLAB_BYTES = 2L << 20;
    static final long LARGE_ROUND = 2L << 20;

    /** A block handed out: its address, the bytes reserved for it, and the bytes asked for. */
    public record Block(long address, long classBytes, long requestedBytes) {}

    private final DeviceMemory device;
    /** Called before memory goes back to the device (the backend synchronises its stream there). */
    private final Runnable beforeRelease;
    /** Called at every request, even one the cache serves: the device refuses there once a fault killed its context. */
    private final Runnable beforeAllocate;

    /** Small: size class -> free block addresses. */
    private final Map<Long, ArrayDeque<Long>> smallFree = new HashMap<>();
    /** Small: slab base -> slab, to find a block's slab. */
    private final TreeMap<Long, Slab> slabs = new TreeMap<>();
    /** Large: segment size -> free segments of that size. */
    private final TreeMap<Long, ArrayDeque<Long>> largeFree = new TreeMap<>();
    /** Large: segment address -> its size (a reused segment may be up to 1/8 larger than the request's class). */
    private final Map<Long, Long> segmentSize = new HashMap<>();

    /** The pool of the graph being captured, or null. */
    private GraphPool capturing;
    /** Address of every block a live graph owns -> its pool. */
    private final Map<Long, GraphPool> graphOwned = new HashMap<>();

    /** The blocks one captured graph owns: those it allocated or freed while being captured. */
    public static final class GraphPool {
        /** Free blocks of this pool: reserved bytes -> addresses. */
        private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>();
        private long freeBytes;
        private boolean released;

        /** Bytes the pool holds that no tensor uses (they still count as reserved). */
        public synchronized long freeBytes() {
            return freeBytes;
        }
    }

    private long bytesInUse;
    private long bytesReserved;
    private long peakBytesInUse;
    private long liveBlocks;
    private long deviceAllocations;

    private static final class Slab {
        final long base;
        final long classBytes;
        final int blocks;
        int used;

        Slab(long base, long classBytes) {
            this.base = base;
            this.classBytes = classBytes;
            this.blocks = (int) (SLAB_BYTES / classBytes);
        }
    }

    public CachingAllocator(DeviceMemory device, Runnable beforeRelease) {
        this(device, beforeRelease, () -> {});
    }

    public CachingAllocator(DeviceMemory device, Runnable beforeRelease, Runnable beforeAllocate) {
        this.device = device;
        this.beforeRelease = beforeRelease;
        this.beforeAllocate = beforeAllocate;
    }

    /** The bytes reserved for a request of {@code bytes}. */
    static long sizeClass(long bytes) {
        if (bytes <= 0) return 0;
        if (bytes <= SMALL_LIMIT) return roundUp(bytes, SMALL_ROUND);
        return roundUp(bytes, LARGE_ROUND);
    }

    private static long roundUp(long v, long m) {
        return (v + m - 1) / m * m;
    }

    /** A block of at least {@code bytes}; a zero-byte request gets address 0. Throws when the device is full. */
    public synchronized Block allocate(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation: " + bytes + " bytes");
        beforeAllocate.run();
        long cls = sizeClass(bytes);
        long address = 0;
        long reserved = 0;
        if (cls > 0 && capturing != null) {
            // The graph's own freed blocks first: the same size class, or a large segment at most 1/8 larger.
            Map.Entry<Long, ArrayDeque<Long>> fit = capturing.free.ceilingEntry(cls);
            if (fit != null && (cls <= SMALL_LIMIT ? fit.getKey() == cls : fit.getKey() <= cls + cls / 8)) {
                address = fit.getValue().pop();
                reserved = fit.getKey();
                if (fit.getValue().isEmpty()) capturing.free.remove(fit.getKey());
                capturing.freeBytes -= reserved;
            }
        }
        if (address == 0 && cls > 0) {
            address = cls <= SMALL_LIMIT ? allocateSmall(cls) : allocateLarge(cls);
            reserved = cls <= SMALL_LIMIT ? cls : segmentSize.get(address);
            if (capturing != null) graphOwned.put(address, capturing);
        }
        bytesInUse += bytes;
        peakBytesInUse = Math.max(peakBytesInUse, bytesInUse);
        liveBlocks++;
        return new Block(address, reserved, bytes);
    }

    /** Returns a block to the cache. */
    public synchronized void free(Block block) {
        bytesInUse -= block.requestedBytes();
        liveBlocks--;
        long cls = block.classBytes();
        if (cls == 0) return;
        GraphPool pool = graphOwned.get(block.address());
        if (pool == null && capturing != null) {
            // Allocated before the capture but freed during it: the graph may use it, so the graph keeps it.
            pool = capturing;
            graphOwned.put(block.address(), pool);
        }
        if (pool != null) {
            pool.free.computeIfAbsent(cls, c -> new ArrayDeque<>()).push(block.address());
            pool.freeBytes += cls;
            return;
        }
        returnToCache(block.address(), cls);
    }

    private void returnToCache(long address, long cls) {
        if (cls <= SMALL_LIMIT) {
            smallFree.computeIfAbsent(cls, c -> new ArrayDeque<>()).push(address);
            Slab slab = slabs.floorEntry(address).getValue();
            slab.used--;
        } else {
            largeFree.computeIfAbsent(segmentSize.get(address), c -> new ArrayDeque<>()).push(address);
        }
    }

    /** From now until {@link #endGraphPool}, blocks handed out or freed belong to a new graph pool, returned here. */
    public synchronized GraphPool beginGraphPool() {
        if (capturing != null) throw new IllegalStateException("a graph pool is already collecting blocks");
        capturing = new GraphPool();
        return capturing;
    }

    /** The capture is over: allocations go back to the shared cache (the pool keeps what it owns). */
    public synchronized void endGraphPool() {
        capturing = null;
    }

    /**
     * The graph is gone: its free blocks go back to the shared cache, and blocks of it that tensors still hold go
     * there when those tensors free them.
     */
    public synchronized void releaseGraphPool(GraphPool pool) {
        if (pool.released) return;
        pool.released = true;
        if (capturing == pool) capturing = null;
        for (Map.Entry<Long, ArrayDeque<Long>> e : pool.free.entrySet()) {
            for (long address : e.getValue()) {
                graphOwned.remove(address);
                returnToCache(address, e.getKey());
            }
        }
        pool.free.clear();
        pool.freeBytes = 0;
        graphOwned.values().removeIf(p -> p == pool);
    }

    private long allocateSmall(long cls) {
        ArrayDeque<Long> free = smallFree.get(cls);
        if (free == null || free.isEmpty()) {
            long base = reserve(SLAB_BYTES, cls);
            Slab slab = new Slab(base, cls);
            slabs.put(base, slab);
            free = smallFree.computeIfAbsent(cls, c -> new ArrayDeque<>());
            // Highest address pushed first, so blocks are handed out from the slab's start.
            for (int i = slab.blocks - 1; i >= 0; i--) free.push(base + i * cls);
        }
        long address = free.pop();
        slabs.floorEntry(address).getValue().used++;
        return address;
    }

    private long allocateLarge(long cls) {
        // Best fit among cached segments no more than 1/8 larger than the request.
        Map.Entry<Long, ArrayDeque<Long>> fit = largeFree.ceilingEntry(cls);
        while (fit != null && fit.getValue().isEmpty()) fit = largeFree.higherEntry(fit.getKey());
        if (fit != null && fit.getKey() <= cls + cls / 8) {
            long address = fit.getValue().pop();
            if (fit.getValue().isEmpty()) largeFree.remove(fit.getKey());
            return address;
        }
        long address = reserve(cls, cls);
        segmentSize.put(address, cls);
        return address;
    }

    /** Asks the device for bytes, emptying the cache and retrying once when it is full. */
    private long reserve(long bytes, long forClass) {
        long address = device.allocate(bytes);
        if (address == 0) {
            releaseCached();
            address = device.allocate(bytes);
        }
        if (address == 0) {
            throw new OutOfMemoryError("CUDA out of memory: could not reserve " + bytes + " bytes (for a " + forClass
                    + "-byte block); in use " + bytesInUse + " bytes in " + liveBlocks + " blocks, reserved " + bytesReserved
                    + " bytes, nothing left in the cache to release");
        }
        deviceAllocations++;
        bytesReserved += bytes;
        return address;
    }

    /** Returns every cached block that is not in use to the device. Returns the bytes released. */
    public synchronized long releaseCached() {
        long released = 0;
        boolean synced = false;
        // Large segments.
        for (Map.Entry<Long, ArrayDeque<Long>> e : largeFree.entrySet()) {
            for (long address : e.getValue()) {
                if (!synced) {
                    beforeRelease.run();
                    synced = true;
                }
                long size = segmentSize.remove(address);
                device.free(address);
                bytesReserved -= size;
                released += size;
            }
        }
        largeFree.clear();
        // Slabs with no block in use.
        Iterator<Map.Entry<Long, Slab>> it = slabs.entrySet().iterator();
        while (it.hasNext()) {
            Slab slab = it.next().getValue();
            if (slab.used != 0) continue;
            if (!synced) {
                beforeRelease.run();
                synced = true;
            }
            ArrayDeque<Long> free = smallFree.get(slab.classBytes);
            free.removeIf(a -> a >= slab.base && a < slab.base + SLAB_BYTES);
            device.free(slab.base);
            bytesReserved -= SLAB_BYTES;
            released += SLAB_BYTES;
            it.remove();
        }
        return released;
    }

    /** Requested bytes of live blocks, device bytes held, peak in use, live blocks, device allocations. */
    public synchronized MemoryStats stats() {
        return new MemoryStats(bytesInUse, bytesReserved, peakBytesInUse, liveBlocks, deviceAllocations);
    }

    public synchronized void resetPeak() {
        peakBytesInUse = bytesInUse;
    }
}

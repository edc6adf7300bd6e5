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

    /** Small: size class -> free block addresses. */
    private final Map<Long, ArrayDeque<Long>> smallFree = new HashMap<>();
    /** Small: slab base -> slab, to find a block's slab. */
    private final TreeMap<Long, Slab> slabs = new TreeMap<>();
    /** Large: segment size -> free segments of that size. */
    private final TreeMap<Long, ArrayDeque<Long>> largeFree = new TreeMap<>();
    /** Large: segment address -> its size (a reused segment may be up to 1/8 larger than the request's class). */
    private final Map<Long, Long> segmentSize = new HashMap<>();

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
        this.device = device;
        this.beforeRelease = beforeRelease;
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
        long cls = sizeClass(bytes);
        long address = cls == 0 ? 0 : cls <= SMALL_LIMIT ? allocateSmall(cls) : allocateLarge(cls);
        long reserved = cls <= SMALL_LIMIT ? cls : segmentSize.get(address);
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
        if (cls <= SMALL_LIMIT) {
            smallFree.computeIfAbsent(cls, c -> new ArrayDeque<>()).push(block.address());
            Slab slab = slabs.floorEntry(block.address()).getValue();
            slab.used--;
        } else {
            largeFree.computeIfAbsent(segmentSize.get(block.address()), c -> new ArrayDeque<>()).push(block.address());
        }
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

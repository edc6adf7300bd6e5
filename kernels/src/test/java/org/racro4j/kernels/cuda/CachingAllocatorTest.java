package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.racro4j.core.MemoryStats;

/** The caching allocator against a fake device with a fixed capacity. */
class CachingAllocatorTest {
    /** Hands out increasing 2 MiB-aligned addresses until its capacity is used. */
    static final class FakeDevice implements DeviceMemory {
        final long capacity;
        long next = 1L << 32;
        long used;
        final Map<Long, Long> live = new HashMap<>();
        int allocations;
        int frees;

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long allocate(long bytes) {
            if (used + bytes > capacity) return 0;
            long a = next;
            next += (bytes + (2L << 20) - 1) / (2L << 20) * (2L << 20);
            live.put(a, bytes);
            used += bytes;
            allocations++;
            return a;
        }

        @Override
        public void free(long address) {
            Long bytes = live.remove(address);
            if (bytes == null) throw new AssertionError("double or foreign free of " + address);
            used -= bytes;
            frees++;
        }
    }

    private int syncs;

    private CachingAllocator allocator(FakeDevice d) {
        return new CachingAllocator(d, () -> syncs++);
    }

    @Test
    void sizeClasses() {
        assertEquals(0, CachingAllocator.sizeClass(0));
        assertEquals(512, CachingAllocator.sizeClass(1));
        assertEquals(512, CachingAllocator.sizeClass(512));
        assertEquals(1024, CachingAllocator.sizeClass(513));
        assertEquals(1L << 20, CachingAllocator.sizeClass(1L << 20));
        assertEquals(2L << 20, CachingAllocator.sizeClass((1L << 20) + 1));
        assertEquals(4L << 20, CachingAllocator.sizeClass((2L << 20) + 1));
        assertEquals(300L << 20, CachingAllocator.sizeClass((300L << 20) - 5));
    }

    @Test
    void smallBlocksShareASlabAndAreAligned() {
        FakeDevice d = new FakeDevice(1L << 30);
        CachingAllocator a = allocator(d);
        Set<Long> addresses = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            CachingAllocator.Block b = a.allocate(100);
            assertEquals(512, b.classBytes());
            assertEquals(0, b.address() % 512, "blocks must allow 16-byte vector loads");
            assertTrue(addresses.add(b.address()), "a live block was handed out twice");
        }
        assertEquals(1, d.allocations, "100 small blocks of one class fit in one 2 MiB slab");
        MemoryStats s = a.stats();
        assertEquals(100 * 100, s.bytesInUse());
        assertEquals(2L << 20, s.bytesReserved());
        assertEquals(100, s.liveStorages());
        assertEquals(1, s.allocations());
    }

    @Test
    void freedBlocksAreReusedWithoutTheDevice() {
        FakeDevice d = new FakeDevice(1L << 30);
        CachingAllocator a = allocator(d);
        CachingAllocator.Block big = a.allocate(100L << 20);
        CachingAllocator.Block small = a.allocate(4000);
        a.free(big);
        a.free(small);
        assertEquals(0, a.stats().bytesInUse());
        assertEquals(0, a.stats().liveStorages());
        CachingAllocator.Block big2 = a.allocate(99L << 20);   // within 1/8 of the cached 100 MiB segment
        CachingAllocator.Block small2 = a.allocate(3900);       // same 4 KiB class
        assertEquals(big.address(), big2.address());
        assertEquals(small.address(), small2.address());
        assertEquals(100L << 20, big2.classBytes(), "a reused segment reports its real size");
        assertEquals(2, d.allocations, "no new device allocation in the steady state");
        assertEquals(0, d.frees);
    }

    @Test
    void aMuchLargerCachedSegmentIsNotWasted() {
        FakeDevice d = new FakeDevice(1L << 30);
        CachingAllocator a = allocator(d);
        a.free(a.allocate(200L << 20));
        CachingAllocator.Block b = a.allocate(10L << 20);
        assertEquals(10L << 20, b.classBytes());
        assertEquals(2, d.allocations);
    }

    @Test
    void peakAndReset() {
        CachingAllocator a = allocator(new FakeDevice(1L << 30));
        CachingAllocator.Block x = a.allocate(3L << 20);
        CachingAllocator.Block y = a.allocate(5L << 20);
        a.free(y);
        assertEquals(8L << 20, a.stats().peakBytesInUse());
        assertEquals(3L << 20, a.stats().bytesInUse());
        a.resetPeak();
        assertEquals(3L << 20, a.stats().peakBytesInUse());
        a.free(x);
        assertEquals(3L << 20, a.stats().peakBytesInUse());
    }

    @Test
    void outOfMemoryReleasesTheCacheAndRetries() {
        FakeDevice d = new FakeDevice(64L << 20);
        CachingAllocator a = allocator(d);
        CachingAllocator.Block b1 = a.allocate(40L << 20);
        a.free(b1);
        // 40 MiB are cached; 50 MiB do not fit beside them, but do once the cache is released.
        CachingAllocator.Block b2 = a.allocate(50L << 20);
        assertNotEquals(0, b2.address());
        assertEquals(1, d.frees);
        assertTrue(syncs >= 1, "the stream is synchronised before memory goes back to the driver");
        assertEquals(50L << 20, a.stats().bytesReserved());
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> a.allocate(30L << 20));
        assertTrue(e.getMessage().contains("CUDA out of memory"), e.getMessage());
    }

    @Test
    void releaseCachedReturnsOnlyUnusedSlabsAndSegments() {
        FakeDevice d = new FakeDevice(1L << 30);
        CachingAllocator a = allocator(d);
        List<CachingAllocator.Block> keep = new ArrayList<>();
        keep.add(a.allocate(1000));            // slab A (1 KiB class), stays in use
        CachingAllocator.Block other = a.allocate(100000);   // slab B (another class)
        CachingAllocator.Block big = a.allocate(10L << 20);
        a.free(other);
        a.free(big);
        long released = a.releaseCached();
        assertEquals((2L << 20) + (10L << 20), released);
        assertEquals(1, d.live.size());
        assertEquals(2L << 20, a.stats().bytesReserved());
        // The freed slab's blocks are gone from the cache: a new block of that class needs the device again.
        int before = d.allocations;
        a.allocate(100000);
        assertEquals(before + 1, d.allocations);
        a.free(keep.get(0));
    }

    @Test
    void zeroBytesNeedNoDeviceMemory() {
        FakeDevice d = new FakeDevice(1L << 20);
        CachingAllocator a = allocator(d);
        CachingAllocator.Block b = a.allocate(0);
        assertEquals(0, b.address());
        assertEquals(1, a.stats().liveStorages());
        a.free(b);
        assertEquals(0, a.stats().liveStorages());
        assertEquals(0, d.allocations);
    }

    // ---------------------------------------------------------------------------------------- graph pools

    @Test
    void blocksOfACapturedGraphAreNotReusedOutsideItUntilItIsReleased() {
        FakeDevice d = new FakeDevice(1L << 30);
        CachingAllocator a = allocator(d);
        CachingAllocator.GraphPool pool = a.beginGraphPool();
        CachingAllocator.Block small = a.allocate(1000);
        CachingAllocator.Block large = a.allocate(5L << 20);
        a.free(small);   // a temporary of the captured step
        a.free(large);
        a.endGraphPool();
        assertEquals(0, a.stats().bytesInUse());
        assertTrue(pool.freeBytes() >= (5L << 20) + 1024, "the graph keeps its freed blocks");
        // An eager allocation of the same sizes must not get the graph's blocks: replays still write them.
        CachingAllocator.Block otherSmall = a.allocate(1000);
        CachingAllocator.Block otherLarge = a.allocate(5L << 20);
        assertNotEquals(small.address(), otherSmall.address());
        assertNotEquals(large.address(), otherLarge.address());
        a.free(otherSmall);
        a.free(otherLarge);
        // Once the graph is gone, its blocks serve everyone again.
        a.releaseGraphPool(pool);
        assertEquals(0, pool.freeBytes());
        Set<Long> addresses = new HashSet<>();
        List<CachingAllocator.Block> again = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            again.add(a.allocate(5L << 20));
            addresses.add(again.get(i).address());
        }
        assertTrue(addresses.contains(large.address()), "the released segment is reused");
        int allocations = d.allocations;
        for (CachingAllocator.Block b : again) a.free(b);
        assertEquals(allocations, d.allocations);
    }

    @Test
    void aBlockFreedDuringCaptureBelongsToTheGraphWhereverItCameFrom() {
        FakeDevice d = new FakeDevice(1L << 30);
        CachingAllocator a = allocator(d);
        CachingAllocator.Block before = a.allocate(3L << 20);   // e.g. an input the captured step consumes and frees
        CachingAllocator.GraphPool pool = a.beginGraphPool();
        a.free(before);
        a.endGraphPool();
        CachingAllocator.Block after = a.allocate(3L << 20);
        assertNotEquals(before.address(), after.address());
        a.free(after);
        a.releaseGraphPool(pool);
        CachingAllocator.Block reused = a.allocate(3L << 20);
        CachingAllocator.Block reused2 = a.allocate(3L << 20);
        assertTrue(reused.address() == before.address() || reused2.address() == before.address());
    }

    @Test
    void aCapturedOutputStaysTheGraphsWhenFreedAfterTheCapture() {
        FakeDevice d = new FakeDevice(1L << 30);
        CachingAllocator a = allocator(d);
        CachingAllocator.GraphPool pool = a.beginGraphPool();
        CachingAllocator.Block output = a.allocate(4096);   // a result the caller keeps past the capture
        a.endGraphPool();
        a.free(output);
        assertEquals(4096, pool.freeBytes(), "freed after the capture, still the graph's");
        CachingAllocator.Block eager = a.allocate(4096);
        assertNotEquals(output.address(), eager.address());
        a.free(eager);
        a.releaseGraphPool(pool);
        a.releaseGraphPool(pool);   // idempotent
        assertEquals(0, a.stats().bytesInUse());
        assertEquals(0, a.stats().liveStorages());
    }

    @Test
    void aCaptureReusesItsOwnFreedBlocksAndReplaysAllocateNothing() {
        FakeDevice d = new FakeDevice(1L << 30);
        CachingAllocator a = allocator(d);
        CachingAllocator.GraphPool pool = a.beginGraphPool();
        // A step of 10 ops, each allocating its output and freeing its input (the previous output).
        CachingAllocator.Block prev = a.allocate(8L << 20);
        for (int i = 0; i < 10; i++) {
            CachingAllocator.Block next = a.allocate(8L << 20);
            a.free(prev);
            prev = next;
        }
        a.free(prev);
        a.endGraphPool();
        assertEquals(2, d.allocations, "two segments ping-pong inside the capture");
        MemoryStats s = a.stats();
        assertEquals(2, s.allocations());
        assertEquals(16L << 20, s.bytesReserved());
        a.releaseGraphPool(pool);
        assertEquals(0, syncs, "nothing went back to the device, so no synchronisation");
    }
}

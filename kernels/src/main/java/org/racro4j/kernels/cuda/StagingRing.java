package org.racro4j.kernels.cuda;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Which bytes of the pinned staging buffer each host transfer uses, and when the host must wait before reusing
 * them. Transfers take consecutive regions of one buffer, a bump allocator that wraps to the start when a region
 * would run past the end, so a run of small uploads queues its copies without waiting for any of them. A region
 * may be reused only once the copy queued on it has finished (its event completed) and the host is done with its
 * bytes (a download reads them out first); only when the ring comes round onto such a region does the host wait.
 * Each region in use has an event slot of its own, handed out in the same round-robin order. No JCuda calls:
 * the events are behind {@link Copies}, and the bookkeeping is tested on the host.
 */
final class StagingRing {
    /** The copies queued on the regions, as their events report them. */
    interface Copies {
        /** Whether the copy recorded under this event slot has finished; does not block. */
        boolean finished(int slot);

        /** Blocks until it has. */
        void await(int slot);
    }

    /** Bytes [offset, offset + bytes) of the buffer, whose copy is recorded under event slot {@code slot}. */
    record Region(long sequence, int slot, long offset, int bytes) {}

    /** Regions start on this boundary (a DMA from an aligned address is never slower). */
    static final int ALIGNMENT = 256;

    private static final class InUse {
        final Region region;
        boolean released;

        InUse(Region region) {
            this.region = region;
        }

        long end() {
            return region.offset() + span(region.bytes());
        }
    }

    private final long capacity;
    private final int maxRegion;
    private final int slots;
    private final Copies copies;
    /** Regions whose copy may still be pending or whose bytes the host still reads, oldest first. */
    private final ArrayDeque<InUse> inUse = new ArrayDeque<>();
    private long head;
    private long sequence;
    private long waits;

    /**
     * capacity: the buffer's bytes; maxRegion: the largest region (a bigger transfer is cut into pieces), at most
     * a third of the capacity so that a download's next piece never lands on the piece the host is reading out;
     * slots: the events, at least 2.
     */
    StagingRing(long capacity, int maxRegion, int slots, Copies copies) {
        if (maxRegion < 1 || 3 * span(maxRegion) > capacity || slots < 2) {
            throw new IllegalArgumentException("staging ring of " + capacity + " bytes, regions up to " + maxRegion + " bytes, "
                    + slots + " slots: regions must be at most a third of the ring, and there must be two slots");
        }
        this.capacity = capacity;
        this.maxRegion = maxRegion;
        this.slots = slots;
        this.copies = copies;
    }

    int maxRegion() {
        return maxRegion;
    }

    /** Times the host waited for a copy because the ring came round onto its region while it was pending. */
    long waits() {
        return waits;
    }

    /**
     * The region for the next transfer of {@code bytes} (at most maxRegion), held by the host until
     * {@link #release}. Waits first for the copies of regions it overlaps if they are still pending.
     */
    Region reserve(int bytes) {
        if (bytes < 1 || bytes > maxRegion) {
            throw new IllegalArgumentException(bytes + " bytes in one staging region of at most " + maxRegion);
        }
        long start = head + span(bytes) <= capacity ? head : 0;
        long end = start + span(bytes);
        // Regions are handed out in order, so those the new one overlaps are among the oldest: reclaim up to the newest of them.
        int reclaim = 0;
        int i = 0;
        for (InUse u : inUse) {
            i++;
            if (u.region.offset() < end && start < u.end()) reclaim = i;
        }
        for (int k = 0; k < reclaim; k++) reclaimOldest();
        // The new region's event slot was last used sequence - slots regions ago.
        if (inUse.size() == slots) reclaimOldest();
        Region r = new Region(sequence, (int) (sequence % slots), start, bytes);
        sequence++;
        head = end;
        inUse.addLast(new InUse(r));
        return r;
    }

    /**
     * The host is done with the region's bytes: an upload's after queueing its copy (or failing to), a download's
     * after reading them out. It is reused once its copy has finished too.
     */
    void release(Region region) {
        for (Iterator<InUse> it = inUse.descendingIterator(); it.hasNext(); ) {
            InUse u = it.next();
            if (u.region.sequence() == region.sequence()) {
                u.released = true;
                return;
            }
        }
    }

    /** Regions still held by the host or with a copy not known to have finished. */
    int inUse() {
        return inUse.size();
    }

    private void reclaimOldest() {
        InUse oldest = inUse.peekFirst();
        if (!oldest.released) {
            throw new IllegalStateException("staging region " + oldest.region + " is still held by the host: it cannot be reused");
        }
        if (!copies.finished(oldest.region.slot())) {
            copies.await(oldest.region.slot());
            waits++;
        }
        inUse.removeFirst();
    }

    private static long span(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}

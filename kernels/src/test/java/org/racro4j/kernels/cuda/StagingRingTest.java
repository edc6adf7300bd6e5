package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The staging ring against a fake stream whose copies finish only when the test (or a host wait) says so. */
class StagingRingTest {
    private static final int MIB = 1 << 20;

    /** One in-order stream: copies finish oldest first, when the GPU "progresses" or the host waits for one. */
    private static final class FakeStream implements StagingRing.Copies {
        final ArrayDeque<StagingRing.Region> pending = new ArrayDeque<>();
        final List<Integer> awaited = new ArrayList<>();

        void queueCopy(StagingRing.Region r) {
            for (StagingRing.Region p : pending) {
                assertFalse(overlaps(p, r), "a copy was queued on " + r + " while the copy on " + p + " is pending");
                assertNotEquals(p.slot(), r.slot(), "event slot " + r.slot() + " recorded again while pending");
            }
            pending.addLast(r);
        }

        void progress(int copies) {
            for (int i = 0; i < copies && !pending.isEmpty(); i++) pending.removeFirst();
        }

        @Override
        public boolean finished(int slot) {
            return pending.stream().noneMatch(p -> p.slot() == slot);
        }

        @Override
        public void await(int slot) {
            assertFalse(finished(slot), "waited for slot " + slot + ", whose copy had finished");
            awaited.add(slot);
            while (pending.stream().anyMatch(p -> p.slot() == slot)) pending.removeFirst();
        }
    }

    private static boolean overlaps(StagingRing.Region a, StagingRing.Region b) {
        return a.offset() < b.offset() + b.bytes() && b.offset() < a.offset() + a.bytes();
    }

    /** An upload of one region: reserve, fill, queue the copy, release. */
    private static StagingRing.Region upload(StagingRing ring, FakeStream stream, int bytes) {
        StagingRing.Region r = ring.reserve(bytes);
        stream.queueCopy(r);
        ring.release(r);
        return r;
    }

    @Test
    void consecutiveSmallUploadsPackIntoTheRingWithoutWaiting() {
        FakeStream stream = new FakeStream();
        StagingRing ring = new StagingRing(16 * MIB, 4 * MIB, 64, stream);
        for (int i = 0; i < 64; i++) {
            StagingRing.Region r = upload(ring, stream, 1000);
            assertEquals(1024L * i, r.offset(), "upload " + i);
            assertEquals(i, r.slot());
        }
        assertEquals(0, ring.waits(), "nothing finished, and still no upload waited");
        assertEquals(64, stream.pending.size());
        // The 65th needs the first one's event slot again: only now does the host wait, for that copy alone.
        StagingRing.Region r = upload(ring, stream, 1000);
        assertEquals(0, r.slot());
        assertEquals(64L * 1024, r.offset());
        assertEquals(1, ring.waits());
        assertEquals(List.of(0), stream.awaited);
        // While the GPU keeps up, the ring comes round (many times) onto finished copies without waiting.
        for (int i = 0; i < 50_000; i++) {
            stream.progress(Integer.MAX_VALUE);
            upload(ring, stream, 777 + i % 5000);
        }
        assertEquals(1, ring.waits());
    }

    @Test
    void aLargeUploadCutIntoRegionsWaitsOnlyWhenTheRingWrapsOntoPendingCopies() {
        FakeStream stream = new FakeStream();
        StagingRing ring = new StagingRing(16 * MIB, 4 * MIB, 64, stream);
        long[] offsets = new long[10];
        long[] waitsAfter = new long[10];
        for (int i = 0; i < 10; i++) {   // 40 MiB in ten 4 MiB pieces, none of whose copies finishes on its own
            offsets[i] = upload(ring, stream, 4 * MIB).offset();
            waitsAfter[i] = ring.waits();
        }
        assertEquals(List.of(0L, 4L, 8L, 12L, 0L, 4L, 8L, 12L, 0L, 4L), mib(offsets));
        assertEquals(List.of(0L, 0L, 0L, 0L, 1L, 2L, 3L, 4L, 5L, 6L), boxed(waitsAfter));
        assertEquals(List.of(0, 1, 2, 3, 4, 5), stream.awaited, "each wrap waited for the oldest copy, in order");

        // A piece that does not fit before the end starts over at 0; the bytes it skips are not handed out again
        // until the ring comes round.
        FakeStream s2 = new FakeStream();
        StagingRing r2 = new StagingRing(16 * MIB, 4 * MIB, 64, s2);
        assertEquals(0, upload(r2, s2, 3 * MIB).offset());
        assertEquals(3 * MIB, upload(r2, s2, 3 * MIB).offset());
        assertEquals(6 * MIB, upload(r2, s2, 3 * MIB).offset());
        assertEquals(9 * MIB, upload(r2, s2, 3 * MIB).offset());
        assertEquals(12 * MIB, upload(r2, s2, 3 * MIB).offset());
        assertEquals(0, r2.waits());
        assertEquals(0, upload(r2, s2, 3 * MIB).offset());   // 15 + 3 > 16: wraps onto the first piece
        assertEquals(1, r2.waits());
    }

    @Test
    void noRegionIsReusedWhileItsCopyIsPendingOrTheHostHoldsIt() {
        Random random = new Random(15);
        long waits = 0;
        for (int round = 0; round < 20; round++) {
            FakeStream stream = new FakeStream();
            long capacity = 3 * 4096 + random.nextInt(40_000);
            int maxRegion = 1 + random.nextInt(4096);
            StagingRing ring = new StagingRing(capacity, maxRegion, 2 + random.nextInt(9), stream);
            List<StagingRing.Region> held = new ArrayList<>();
            long lastSequence = -1;
            long lastEnd = 0;
            for (int op = 0; op < 2000; op++) {
                int bytes = random.nextBoolean() ? 1 + random.nextInt(64) : 1 + random.nextInt(maxRegion);
                StagingRing.Region r = ring.reserve(bytes);
                for (StagingRing.Region h : held) assertFalse(overlaps(h, r), r + " overlaps " + h + ", which the host still reads");
                assertTrue(r.sequence() > lastSequence);
                assertTrue(r.offset() == lastEnd || r.offset() == 0, "regions follow each other, or start over at 0: " + r);
                assertTrue(r.offset() + r.bytes() <= capacity);
                assertEquals(0, r.offset() % StagingRing.ALIGNMENT);
                lastSequence = r.sequence();
                lastEnd = r.offset() + (bytes + StagingRing.ALIGNMENT - 1) / StagingRing.ALIGNMENT * StagingRing.ALIGNMENT;
                stream.queueCopy(r);   // asserts the region and its slot are free of pending copies
                // A download piece is read out once the next piece is queued; then the host lets it go.
                for (StagingRing.Region h : held) ring.release(h);
                held.clear();
                if (random.nextInt(3) == 0) held.add(r);
                else ring.release(r);
                stream.progress(random.nextInt(3));
            }
            waits += ring.waits();
        }
        assertTrue(waits > 1000, "the GPU lagged enough for the ring to wait, often: " + waits);
    }

    @Test
    void aDownloadsNextPieceNeverLandsOnThePieceTheHostIsReading() {
        FakeStream stream = new FakeStream();
        StagingRing ring = new StagingRing(3 * 1024, 1024, 4, stream);
        StagingRing.Region reading = ring.reserve(1024);
        stream.queueCopy(reading);
        for (int i = 0; i < 30; i++) {
            StagingRing.Region next = ring.reserve(700 + 13 * i % 324);
            assertFalse(overlaps(reading, next));
            stream.queueCopy(next);
            stream.await(reading.slot());   // the download waits for its piece, then reads it out
            ring.release(reading);
            reading = next;
        }
        assertThrows(IllegalArgumentException.class, () -> new StagingRing(3 * 1024 - 1, 1024, 4, stream));
        assertThrows(IllegalArgumentException.class, () -> new StagingRing(3 * 1024, 1024, 1, stream));
        assertThrows(IllegalArgumentException.class, () -> ring.reserve(1025));
    }

    @Test
    void aRegionTheHostStillHoldsIsNeverHandedOutAgain() {
        FakeStream stream = new FakeStream();
        StagingRing ring = new StagingRing(64 * 1024, 1024, 2, stream);
        StagingRing.Region first = ring.reserve(100);   // never released, as if its download had been abandoned
        ring.release(ring.reserve(100));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ring.reserve(100));
        assertTrue(e.getMessage().contains("still held by the host"), e.getMessage());
        ring.release(first);
        assertEquals(0, ring.reserve(100).slot());
        assertEquals(0, ring.waits(), "no copy was queued, so none was waited for");
    }

    private static List<Long> mib(long[] offsets) {
        List<Long> out = new ArrayList<>();
        for (long o : offsets) out.add(o / MIB);
        return out;
    }

    private static List<Long> boxed(long[] values) {
        List<Long> out = new ArrayList<>();
        for (long v : values) out.add(v);
        return out;
    }
}

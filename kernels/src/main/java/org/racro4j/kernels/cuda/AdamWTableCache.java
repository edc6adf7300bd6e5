package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * AdamW parameter tables kept on the device, one per parameter set ({@link AdamWTable.Key}): a set seen before
 * reuses its table, so a steady training loop uploads nothing and its optimizer step can be captured in a CUDA
 * graph (a host-to-device copy cannot be). A new set is packed and uploaded; that cannot happen while capturing.
 *
 * <p>At most {@link #KEPT} tables that no graph uses are kept (least recently used goes first: a set whose grads
 * moved to new memory leaves an old table behind). A table used while capturing is pinned: the graph reads it on
 * every replay, so it stays on the device until the backend closes.
 *
 * @param <H> the store's handle of one uploaded table
 */
final class AdamWTableCache<H> {
    /** Unpinned tables kept. AdamW makes a few calls per step (one per parameter group and step count). */
    static final int KEPT = 16;

    /** Where tables go: the device, or a fake in tests. */
    interface Store<H> {
        /** Allocates device memory for the table, queues its upload and returns the handle. */
        H upload(ByteBuffer table);

        /** The device address of an uploaded table. */
        long address(H handle);

        /** Releases a table (stream-ordered: kernels already queued still read it). */
        void free(H handle);
    }

    /** A table on the device: its handle, entry and block counts, and whether a graph reads it. */
    static final class Resident<H> {
        final H handle;
        final int entries;
        final long blocks;
        private boolean pinned;

        Resident(H handle, int entries, long blocks) {
            this.handle = handle;
            this.entries = entries;
            this.blocks = blocks;
        }
    }

    private final Store<H> store;
    private final Function<AdamWTable.Key, AdamWTable.Packed> pack;
    /** Access order: the first entry is the least recently used. */
    private final LinkedHashMap<AdamWTable.Key, Resident<H>> tables = new LinkedHashMap<>(16, 0.75f, true);

    AdamWTableCache(Store<H> store, Function<AdamWTable.Key, AdamWTable.Packed> pack) {
        this.store = store;
        this.pack = pack;
    }

    /**
     * The table of this parameter set on the device, packed and uploaded only when the set is new. While
     * {@code capturing}, the set must have been seen before (its table is then pinned).
     */
    synchronized Resident<H> table(AdamWTable.Key key, boolean capturing) {
        Resident<H> r = tables.get(key);
        if (r == null) {
            if (capturing) {
                throw new IllegalStateException("adamw: a parameter set not seen before cannot be part of a CUDA graph capture (its table"
                        + " must be uploaded first): run one step of the same parameters, gradients and moments uncaptured before");
            }
            AdamWTable.Packed packed = pack.apply(key);
            r = new Resident<>(store.upload(ByteBuffer.wrap(packed.bytes())), packed.entries(), packed.blocks());
            tables.put(key, r);
            evict();
        }
        if (capturing) r.pinned = true;
        return r;
    }

    /** The device address of a resident table. */
    long address(Resident<H> r) {
        return store.address(r.handle);
    }

    /** Tables on the device now (pinned ones included). */
    synchronized int size() {
        return tables.size();
    }

    private void evict() {
        int unpinned = 0;
        for (Resident<H> r : tables.values()) if (!r.pinned) unpinned++;
        for (Iterator<Map.Entry<AdamWTable.Key, Resident<H>>> it = tables.entrySet().iterator(); it.hasNext() && unpinned > KEPT; ) {
            Resident<H> r = it.next().getValue();
            if (r.pinned) continue;
            it.remove();
            store.free(r.handle);
            unpinned--;
        }
    }
}

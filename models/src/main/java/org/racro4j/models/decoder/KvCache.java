package org.racro4j.models.decoder;

import org.racro4j.core.DType;
import org.racro4j.core.DecodeAttentionKernel;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.SharedPrefix;
import org.racro4j.core.Tensor;

/**
 * Keys and values of every layer for a batch of sequences, preallocated to a capacity: [B, Hkv, capacity, Dh]
 * per layer, plus a key mask [B, capacity] (1 for a real token, 0 for padding). A forward over T new tokens
 * appends to every layer, then {@link #advance} moves the length by T.
 *
 * <p>For decoding with a captured graph the cache also keeps its cursor on the device ({@link #startDeviceCursor}):
 * the position of the next token and each row's length, which a decode step reads and advances itself, so the
 * same recorded kernels serve every step. Entries past the length must then be zero ({@link #appendAt} adds).
 *
 * <p>Where the device's decode kernel reads keys transposed ({@link DecodeAttentionKernel#readsTransposedKeys}, the
 * CPU), each head's keys are stored as [Dh, capacity] and kept as a [capacity, Dh] view of that: a decode step then
 * reads a block of keys, one per vector lane, with one load, where it used to copy every key into that order at every
 * step (a third of a small model's decode attention). Every operation here writes through the view, so only the
 * strides show the layout. A forward over several new tokens gives its attention's products a row-major copy of the
 * keys, so they keep the bits they had; a forward over one new token per row takes the decode kernel instead
 * ({@link Attention}).
 */
public final class KvCache implements AutoCloseable {
    private final Tensor[] keys;
    private final Tensor[] values;
    private final Tensor keyMask;
    private final int batch;
    private final int capacity;
    private int length;
    /**
     * Rotary position of entry 0 (0 unless the cache was shifted, {@link #shiftLeft}, or started mid-sequence,
     * {@link #setPositionOffset}): entry i holds the token at position positionOffset + i.
     */
    private int positionOffset;
    /** Rows that forwards read and write: the first activeRows of the batch (all unless {@link #setActiveRows}). */
    private int activeRows;
    /**
     * What a fork's rows share ({@link #repeatRows}: each group's rows hold the same entries up to the fork's length), or
     * null; dropped by every operation that rewrites entries before the end.
     */
    private SharedPrefix sharedPrefix;
    /** Device cursor (null until started): the next position [1] I64 and every row's length [B] I32. */
    private Tensor position;
    private Tensor lengths;
    private Tensor oneLong;
    private Tensor oneInts;
    private Tensor onesMask;

    public KvCache(DecoderConfig cfg, int batch, int capacity, DType dtype, Device device) {
        this(cfg, batch, capacity, dtype, device, keysTransposed(dtype, device, cfg.headDim()));
    }

    /** With the key layout chosen by the caller (tests compare the two). */
    KvCache(DecoderConfig cfg, int batch, int capacity, DType dtype, Device device, boolean transposed) {
        this.batch = batch;
        this.capacity = capacity;
        this.keys = new Tensor[cfg.numLayers()];
        this.values = new Tensor[cfg.numLayers()];
        Scope.unscoped(() -> {
            for (int l = 0; l < keys.length; l++) {
                if (transposed) {
                    try (Tensor storage = Tensor.zeros(dtype, device, batch, cfg.numKvHeads(), cfg.headDim(), capacity)) {
                        keys[l] = storage.transpose(2, 3);   // the view keeps the storage
                    }
                } else {
                    keys[l] = Tensor.zeros(dtype, device, batch, cfg.numKvHeads(), capacity, cfg.headDim());
                }
                values[l] = Tensor.zeros(dtype, device, batch, cfg.numKvHeads(), capacity, cfg.headDim());
            }
            return null;
        });
        this.keyMask = Scope.unscoped(() -> Tensor.zeros(DType.F32, device, batch, capacity));
        this.activeRows = batch;
    }

    private KvCache(Tensor[] keys, Tensor[] values, Tensor keyMask, int length) {
        this.keys = keys;
        this.values = values;
        this.keyMask = keyMask;
        this.batch = keyMask.size(0);
        this.capacity = keyMask.size(1);
        this.length = length;
        this.activeRows = batch;
    }

    /** Whether keys of this dtype and head dim are stored transposed on this device (see the class comment). */
    static boolean keysTransposed(DType dtype, Device device, int headDim) {
        return device.backend() instanceof DecodeAttentionKernel dk && dk.readsTransposedKeys() && dk.supportsDecode(dtype, headDim);
    }

    /** Whether this cache's keys are stored transposed: stride 1 along the entries. */
    boolean keysTransposed() {
        return keys[0].stride(3) != 1;
    }

    /**
     * A new cache of batch x copies rows in which row r x copies + c is a copy of row r (keys, values and key mask,
     * over the whole capacity, and the length): the fork of a prompt that has been prefilled once into the G
     * samples that continue it. Copies, so that every operation and kernel still finds each row whole; the copy is one
     * index-select per layer, small next to the prefill it saves. The fork also records what its groups share
     * ({@link #sharedPrefix}), and the decode kernel reads those entries once per group.
     * Not after {@link #startDeviceCursor}: the fork starts with a host cursor.
     */
    public KvCache repeatRows(int copies) {
        if (copies < 1) throw new IllegalArgumentException("repeatRows: copies must be at least 1, got " + copies);
        if (position != null) throw new IllegalStateException("repeatRows: the cache's device cursor is already started");
        long[] rows = new long[batch * copies];
        for (int r = 0; r < rows.length; r++) rows[r] = r / copies;
        // With no scope around, s.keep hands the copies to the caller; the index goes with s.
        return Scope.unscoped(() -> {
            try (Scope s = Scope.open()) {
                Tensor index = Tensor.ofLongs(rows, rows.length).to(keyMask.device());
                Tensor[] k = new Tensor[keys.length];
                Tensor[] v = new Tensor[values.length];
                for (int l = 0; l < keys.length; l++) {
                    // Transposed keys are selected in their storage's order, so the copies keep the layout.
                    k[l] = s.keep(keysTransposed()
                            ? keys[l].transpose(2, 3).indexSelect(0, index).transpose(2, 3)
                            : keys[l].indexSelect(0, index));
                    v[l] = s.keep(values[l].indexSelect(0, index));
                }
                KvCache fork = new KvCache(k, v, s.keep(keyMask.indexSelect(0, index)), length);
                if (copies > 1 && length > 0) fork.sharedPrefix = new SharedPrefix(copies, length);
                return fork;
            }
        });
    }

    /**
     * What this cache's rows share, for the decode kernel ({@link org.racro4j.core.Functional#decodeAttention(Tensor,
     * Tensor, Tensor, Tensor, Tensor, float, SharedPrefix)}): groups of rows forked from one prompt and the entries they
     * still share; null if none, or if the active rows are not whole groups.
     */
    SharedPrefix sharedPrefix() {
        return sharedPrefix == null || activeRows % sharedPrefix.rows() != 0 ? null : sharedPrefix;
    }

    /**
     * Rows [from, from + n) of this cache as a cache of their own, over the same memory: a decode step split into row
     * parts runs each part's layers on its own view ({@link CausalLM#decodeStep}). The view writes its rows' keys and
     * values at the device position and reads their lengths; the cursor's own moves (marking the key, growing the
     * lengths, advancing the position) stay with the whole cache, once per step. Needs the device cursor started and
     * every row active; where rows share a prefix, the view must hold whole groups. Closing the view frees only its
     * views of the tensors.
     */
    KvCache rows(int from, int n) {
        requireCursor();
        if (activeRows != batch) throw new IllegalStateException("rows: " + activeRows + " of " + batch + " rows are active");
        if (from < 0 || n < 1 || from + n > batch) {
            throw new IllegalArgumentException("rows: rows [" + from + ", " + (from + n) + ") of a cache of " + batch);
        }
        SharedPrefix shared = sharedPrefix();
        if (shared != null && (from % shared.rows() != 0 || n % shared.rows() != 0)) {
            throw new IllegalArgumentException("rows: rows [" + from + ", " + (from + n) + ") split a group of " + shared.rows());
        }
        return Scope.unscoped(() -> {
            Tensor[] k = new Tensor[keys.length];
            Tensor[] v = new Tensor[values.length];
            for (int l = 0; l < keys.length; l++) {
                k[l] = keys[l].narrow(0, from, n);
                v[l] = values[l].narrow(0, from, n);
            }
            KvCache view = new KvCache(k, v, keyMask.narrow(0, from, n), length);
            view.positionOffset = positionOffset;
            view.sharedPrefix = shared;
            view.position = position.narrow(0, 0, 1);
            view.lengths = lengths.narrow(0, from, n);
            return view;
        });
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public int batch() {
        return batch;
    }

    /**
     * Sets the length to {@code length} and the position offset to 0 without clearing anything: for a caller that
     * then writes every row it will read, masks included ({@link #placeRow} masks out the entries before a row).
     */
    public void restartAt(int length) {
        if (length < 0 || length > capacity) {
            throw new IllegalArgumentException("restartAt: length must be in [0, " + capacity + "], got " + length);
        }
        if (position != null) throw new IllegalStateException("restartAt: the cache's device cursor is started");
        this.length = length;
        positionOffset = 0;
        sharedPrefix = null;
    }

    /** Rotary position of entry 0: the next token's position is length() + positionOffset(). */
    public int positionOffset() {
        return positionOffset;
    }

    /**
     * Makes entry 0 hold position {@code offset} (a cache that continues a sequence in the middle, as when a
     * prompt is prefilled on its own and then placed at a later clock of a shared batch).
     */
    public void setPositionOffset(int offset) {
        if (offset < 0) throw new IllegalArgumentException("setPositionOffset: offset must be >= 0, got " + offset);
        positionOffset = offset;
    }

    public int activeRows() {
        return activeRows;
    }

    /**
     * Makes forwards read and write only the first {@code rows} rows (a batch that shrank as sequences ended):
     * the new keys and masks they pass have that many rows. The other rows keep their memory.
     */
    public void setActiveRows(int rows) {
        if (rows < 1 || rows > batch) throw new IllegalArgumentException("setActiveRows: rows must be in [1, " + batch + "], got " + rows);
        if (position != null) throw new IllegalStateException("setActiveRows: the cache's device cursor is started");
        activeRows = rows;
    }

    /** The active rows of a [batch, ...] tensor (itself while all rows are active, so a full batch is unchanged). */
    private Tensor active(Tensor t) {
        return activeRows == batch ? t : t.narrow(0, 0, activeRows);
    }

    /**
     * Drops the first {@code positions} entries of the active rows: entries [positions, length) move to
     * [0, length - positions), the length shrinks and the position offset grows by as much, so every kept key
     * stays at its rotary position and the next token's position is unchanged. Entries past the new length
     * keep stale values (masked, and overwritten before they are attended). The copy goes through a temporary,
     * since source and destination overlap.
     */
    public void shiftLeft(int positions) {
        if (positions < 0 || positions > length) {
            throw new IllegalArgumentException("shiftLeft: positions must be in [0, " + length + "], got " + positions);
        }
        if (position != null) throw new IllegalStateException("shiftLeft: the cache's device cursor is started");
        if (positions == 0) return;
        sharedPrefix = null;
        int kept = length - positions;
        if (kept > 0) {
            try (Scope s = Scope.open()) {
                for (int l = 0; l < keys.length; l++) {
                    Tensor k = active(keys[l]);
                    Tensor v = active(values[l]);
                    k.narrow(2, 0, kept).copyFrom(k.narrow(2, positions, kept).copy());
                    v.narrow(2, 0, kept).copyFrom(v.narrow(2, positions, kept).copy());
                }
                Tensor m = active(keyMask);
                m.narrow(1, 0, kept).copyFrom(m.narrow(1, positions, kept).copy());
            }
        }
        length = kept;
        positionOffset += positions;
    }

    /**
     * Copies entries [0, src.length()) of row {@code srcRow} of {@code src} (keys, values, key mask) into row
     * {@code dstRow} of this cache at entries [at, at + src.length()), and masks out this row's entries before
     * {@code at} (left there by an earlier sequence). The two caches must have the same layers, heads and dtype.
     */
    public void placeRow(int dstRow, KvCache src, int srcRow, int at) {
        int n = src.length;
        if (dstRow < 0 || dstRow >= batch || srcRow < 0 || srcRow >= src.batch) {
            throw new IllegalArgumentException("placeRow: row " + srcRow + " of " + src.batch + " into row " + dstRow + " of " + batch);
        }
        if (at < 0 || at + n > capacity) {
            throw new IllegalArgumentException("placeRow: " + n + " entries at " + at + " do not fit the capacity of " + capacity);
        }
        sharedPrefix = null;
        for (int l = 0; l < keys.length; l++) {
            keys[l].narrow(0, dstRow, 1).narrow(2, at, n).copyFrom(src.keys[l].narrow(0, srcRow, 1).narrow(2, 0, n));
            values[l].narrow(0, dstRow, 1).narrow(2, at, n).copyFrom(src.values[l].narrow(0, srcRow, 1).narrow(2, 0, n));
        }
        Tensor row = keyMask.narrow(0, dstRow, 1);
        if (at > 0) row.narrow(1, 0, at).fill(0f);
        row.narrow(1, at, n).copyFrom(src.keyMask.narrow(0, srcRow, 1).narrow(1, 0, n));
    }

    /** Copies row {@code from}'s entries [0, length) (keys, values, key mask) over row {@code to}'s. */
    public void moveRow(int from, int to) {
        if (from < 0 || from >= batch || to < 0 || to >= batch) {
            throw new IllegalArgumentException("moveRow: rows " + from + " and " + to + " of " + batch);
        }
        if (from == to || length == 0) return;
        sharedPrefix = null;
        for (int l = 0; l < keys.length; l++) {
            keys[l].narrow(0, to, 1).narrow(2, 0, length).copyFrom(keys[l].narrow(0, from, 1).narrow(2, 0, length));
            values[l].narrow(0, to, 1).narrow(2, 0, length).copyFrom(values[l].narrow(0, from, 1).narrow(2, 0, length));
        }
        keyMask.narrow(0, to, 1).narrow(1, 0, length).copyFrom(keyMask.narrow(0, from, 1).narrow(1, 0, length));
    }

    /**
     * Writes the new keys/values [B, Hkv, T, Dh] of one layer at the current length and returns views of all
     * keys and values so far, [B, Hkv, length + T, Dh].
     */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        int t = k.size(2);
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache is full: " + length + " + " + t + " tokens exceed its capacity of " + capacity);
        }
        Tensor ks = active(keys[layer]);
        Tensor vs = active(values[layer]);
        ks.narrow(2, length, t).copyFrom(k);
        vs.narrow(2, length, t).copyFrom(v);
        return new Tensor[] {ks.narrow(2, 0, length + t), vs.narrow(2, 0, length + t)};
    }

    /**
     * Every layer's full keys [B, Hkv, capacity, Dh] (entries past the length are zero or stale; stride 1 along the
     * entries where {@link #keysTransposed}).
     */
    Tensor keys(int layer) {
        return keys[layer];
    }

    Tensor values(int layer) {
        return values[layer];
    }

    /** The whole key mask [B, capacity]. */
    Tensor keyMaskAll() {
        return keyMask;
    }

    /**
     * Starts (or re-syncs) the device cursor at the current length: position = length, lengths = length for every
     * row. An ordinary (eager) call: it uploads two small tensors.
     */
    public void startDeviceCursor() {
        Device device = keyMask.device();
        if (position == null) {
            Scope.unscoped(() -> {
                position = Tensor.zeros(DType.I64, device, 1);
                lengths = Tensor.zeros(DType.I32, device, batch);
                oneLong = Tensor.ofLongs(new long[] {1}, 1).to(device);
                int[] ones = new int[batch];
                java.util.Arrays.fill(ones, 1);
                oneInts = Tensor.ofInts(ones, batch).to(device);
                onesMask = Tensor.ones(DType.F32, device, batch, 1);
                return null;
            });
        }
        int[] l = new int[batch];
        java.util.Arrays.fill(l, length);
        try (Scope s = Scope.open()) {   // the host tensors go with s
            position.copyFrom(Tensor.ofLongs(new long[] {length}, 1));
            lengths.copyFrom(Tensor.ofInts(l, batch));
        }
    }

    /** The device position of the next token, [1] I64 (after {@link #startDeviceCursor}). */
    public Tensor devicePosition() {
        requireCursor();
        return position;
    }

    /** Every row's number of cached tokens, [B] I32, on the device. */
    public Tensor deviceLengths() {
        requireCursor();
        return lengths;
    }

    private void requireCursor() {
        if (position == null) throw new IllegalStateException("the KV cache's device cursor is not started (startDeviceCursor)");
    }

    /**
     * Adds k and v [B, Hkv, 1, Dh] of one layer into the entry at the device position (zero there, so this writes
     * them) with the backend's index-add, which reads the position on the device.
     */
    void appendAt(int layer, Tensor k, Tensor v) {
        requireCursor();
        keys[layer].backend().indexAdd(keys[layer], 2, position, k.dtype() == keys[layer].dtype() ? k : k.to(keys[layer].dtype()));
        values[layer].backend().indexAdd(values[layer], 2, position, v.dtype() == values[layer].dtype() ? v : v.to(values[layer].dtype()));
    }

    /** Marks the key at the device position as a real token (its mask entry is 0 before: this adds 1). */
    void markKeyAtCursor() {
        requireCursor();
        keyMask.backend().indexAdd(keyMask, 1, position, onesMask);
    }

    /** Counts the token at the device position in every row's length (before the step's attention reads them). */
    void growDeviceLengths() {
        requireCursor();
        lengths.addInPlace(oneInts);
    }

    /** Moves the device position one token on (after the step wrote every layer's entry there). */
    void advanceDevicePosition() {
        requireCursor();
        position.addInPlace(oneLong);
    }

    /** Sets the key mask of the next T positions from mask [B, T] (1 = real token; B = the active rows). */
    public void markKeys(Tensor mask) {
        active(keyMask).narrow(1, length, mask.size(1)).copyFrom(mask);
    }

    /** The key mask over the first n positions, [B, n] (B = the active rows). */
    public Tensor keyMask(int n) {
        return active(keyMask).narrow(1, 0, n);
    }

    public void advance(int t) {
        length += t;
    }

    /** Forgets everything (keeps the memory) so the cache can serve another batch; entries become zero. */
    public void reset() {
        length = 0;
        sharedPrefix = null;
        positionOffset = 0;
        activeRows = batch;
        keyMask.fill(0f);
        for (Tensor t : keys) t.fill(0f);
        for (Tensor t : values) t.fill(0f);
    }

    @Override
    public void close() {
        for (Tensor t : keys) t.close();
        for (Tensor t : values) t.close();
        keyMask.close();
        for (Tensor t : new Tensor[] {position, lengths, oneLong, oneInts, onesMask}) if (t != null) t.close();
    }
}

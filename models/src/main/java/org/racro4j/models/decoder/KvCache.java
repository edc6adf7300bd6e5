package org.racro4j.models.decoder;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;

/**
 * Keys and values of every layer for a batch of sequences, preallocated to a capacity: [B, Hkv, capacity, Dh]
 * per layer, plus a key mask [B, capacity] (1 for a real token, 0 for padding). A forward over T new tokens
 * appends to every layer, then {@link #advance} moves the length by T.
 *
 * <p>For decoding with a captured graph the cache also keeps its cursor on the device ({@link #startDeviceCursor}):
 * the position of the next token and each row's length, which a decode step reads and advances itself, so the
 * same recorded kernels serve every step. Entries past the length must then be zero ({@link #appendAt} adds).
 */
public final class KvCache implements AutoCloseable {
    private final Tensor[] keys;
    private final Tensor[] values;
    private final Tensor keyMask;
    private final int batch;
    private final int capacity;
    private int length;
    /** Device cursor (null until started): the next position [1] I64 and every row's length [B] I32. */
    private Tensor position;
    private Tensor lengths;
    private Tensor oneLong;
    private Tensor oneInts;
    private Tensor onesMask;

    public KvCache(DecoderConfig cfg, int batch, int capacity, DType dtype, Device device) {
        this.batch = batch;
        this.capacity = capacity;
        this.keys = new Tensor[cfg.numLayers()];
        this.values = new Tensor[cfg.numLayers()];
        Scope.unscoped(() -> {
            for (int l = 0; l < keys.length; l++) {
                keys[l] = Tensor.zeros(dtype, device, batch, cfg.numKvHeads(), capacity, cfg.headDim());
                values[l] = Tensor.zeros(dtype, device, batch, cfg.numKvHeads(), capacity, cfg.headDim());
            }
            return null;
        });
        this.keyMask = Scope.unscoped(() -> Tensor.zeros(DType.F32, device, batch, capacity));
    }

    private KvCache(Tensor[] keys, Tensor[] values, Tensor keyMask, int length) {
        this.keys = keys;
        this.values = values;
        this.keyMask = keyMask;
        this.batch = keyMask.size(0);
        this.capacity = keyMask.size(1);
        this.length = length;
    }

    /**
     * A new cache of batch x copies rows in which row r x copies + c is a copy of row r (keys, values and key mask,
     * over the whole capacity, and the length): the fork of a prompt that has been prefilled once into the G
     * samples that continue it. Copies, not shared blocks: a decode step then reads one dense [B, Hkv, S, Dh]
     * tensor per layer as before, and the copy is one index-select per layer, small next to the prefill it saves.
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
                    k[l] = s.keep(keys[l].indexSelect(0, index));
                    v[l] = s.keep(values[l].indexSelect(0, index));
                }
                return new KvCache(k, v, s.keep(keyMask.indexSelect(0, index)), length);
            }
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
     * Writes the new keys/values [B, Hkv, T, Dh] of one layer at the current length and returns views of all
     * keys and values so far, [B, Hkv, length + T, Dh].
     */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        int t = k.size(2);
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache is full: " + length + " + " + t + " tokens exceed its capacity of " + capacity);
        }
        keys[layer].narrow(2, length, t).copyFrom(k);
        values[layer].narrow(2, length, t).copyFrom(v);
        return new Tensor[] {keys[layer].narrow(2, 0, length + t), values[layer].narrow(2, 0, length + t)};
    }

    /** Every layer's full keys [B, Hkv, capacity, Dh] (entries past the length are zero or stale). */
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

    /** Sets the key mask of the next T positions from mask [B, T] (1 = real token). */
    public void markKeys(Tensor mask) {
        keyMask.narrow(1, length, mask.size(1)).copyFrom(mask);
    }

    /** The key mask over the first n positions, [B, n]. */
    public Tensor keyMask(int n) {
        return keyMask.narrow(1, 0, n);
    }

    public void advance(int t) {
        length += t;
    }

    /** Forgets everything (keeps the memory) so the cache can serve another batch; entries become zero. */
    public void reset() {
        length = 0;
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

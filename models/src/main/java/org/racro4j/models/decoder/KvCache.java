package org.racro4j.models.decoder;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;

/**
 * Keys and values of every layer for a batch of sequences, preallocated to a capacity: [B, Hkv, capacity, Dh]
 * per layer, plus a key mask [B, capacity] (1 for a real token, 0 for padding). A forward over T new tokens
 * appends to every layer, then {@link #advance} moves the length by T.
 */
public final class KvCache implements AutoCloseable {
    private final Tensor[] keys;
    private final Tensor[] values;
    private final Tensor keyMask;
    private final int batch;
    private final int capacity;
    private int length;

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

    /** Forgets everything (keeps the memory) so the cache can serve another batch. */
    public void reset() {
        length = 0;
        keyMask.fill(0f);
    }

    @Override
    public void close() {
        for (Tensor t : keys) t.close();
        for (Tensor t : values) t.close();
        keyMask.close();
    }
}

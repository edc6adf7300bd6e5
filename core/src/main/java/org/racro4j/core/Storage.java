package org.racro4j.core;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A flat buffer of {@code numel} elements of one dtype, owned by a backend. Tensors are views of a storage
 * (shape, strides, offset); each live tensor holds one reference. When the last reference is released the
 * backend frees (or caches) the memory at once: nothing waits for the garbage collector.
 */
public abstract class Storage {
    private final Backend backend;
    private final DType dtype;
    private final long numel;
    private final AtomicInteger refs = new AtomicInteger();
    private volatile boolean freed;

    protected Storage(Backend backend, DType dtype, long numel) {
        this.backend = backend;
        this.dtype = dtype;
        this.numel = numel;
    }

    public final Backend backend() {
        return backend;
    }

    public final DType dtype() {
        return dtype;
    }

    public final long numel() {
        return numel;
    }

    public final long byteSize() {
        return numel * dtype.byteSize();
    }

    public final boolean isFreed() {
        return freed;
    }

    /** Number of live tensors viewing this storage. */
    final int refCount() {
        return refs.get();
    }

    final void retain() {
        if (freed) throw new IllegalStateException("storage was already freed");
        refs.incrementAndGet();
    }

    final void release() {
        int left = refs.decrementAndGet();
        if (left == 0) {
            freed = true;
            backend.free(this);
        } else if (left < 0) {
            throw new IllegalStateException("storage released more often than retained");
        }
    }
}

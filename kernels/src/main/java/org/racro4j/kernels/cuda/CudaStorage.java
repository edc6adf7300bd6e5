package org.racro4j.kernels.cuda;

import org.racro4j.core.DType;
import org.racro4j.core.Storage;

/** Device memory holding {@code numel} elements: a block of the backend's caching allocator. */
public final class CudaStorage extends Storage {
    private final CachingAllocator.Block block;

    CudaStorage(CudaBackend backend, DType dtype, long numel, CachingAllocator.Block block) {
        super(backend, dtype, numel);
        this.block = block;
    }

    /** The device address of element 0. */
    public long address() {
        if (isFreed()) throw new IllegalStateException("CUDA storage was already freed");
        return block.address();
    }

    CachingAllocator.Block block() {
        return block;
    }
}

package org.racro4j.kernels.cuda;

/**
 * Raw device memory as the caching allocator sees it: cuMemAlloc / cuMemFree on a GPU, a fake in tests.
 */
public interface DeviceMemory {
    /** Reserves {@code bytes} and returns the address, or 0 when the device is out of memory. Other failures throw. */
    long allocate(long bytes);

    /** Returns memory obtained from {@link #allocate}. */
    void free(long address);
}

package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;

/**
 * What the launcher classes ask of a device: queue kernels and copies on its stream, its allocator and error
 * word, and the few facts about the GPU the launch rules depend on. {@link CudaDevice} is the real one; a host
 * test records the launches instead (KernelSignaturesTest), so the argument packing is checked without a GPU.
 */
interface DeviceOps {
    void launch(String family, String kernel, LaunchShape shape, KernelArgs args);

    CachingAllocator allocator();

    /** Device address of the 8-byte index-error word of common.cuh. */
    long errorWord();

    boolean capturing();

    void copyDeviceToDevice(long dst, long src, long bytes);

    void upload(long dst, ByteBuffer src);

    void download(long src, ByteBuffer dst);

    void memset32(long dst, int value, long count);

    /** Binds the device's context to the calling thread (cuBLAS uses the current context). */
    void makeCurrent();

    /** Waits at most timeoutMillis for the queued work; false when it has not finished by then. */
    boolean finishesWithin(long timeoutMillis);

    int major();

    int minor();

    int multiprocessors();
}

package org.racro4j.kernels.bench;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import org.racro4j.core.Storage;
import org.racro4j.kernels.cuda.CudaBackend;
import org.racro4j.kernels.cuda.CudaStorage;

/**
 * What the benches need from the CUDA backend beyond the {@link org.racro4j.core.Backend} API: the time the work
 * queued by a Runnable takes on the backend's stream (CUDA events), and a raw device-to-device copy (the
 * bandwidth baseline). Not for use inside a graph capture. Driver calls are checked by the backend
 * ({@link CudaBackend#checkBenchCall}), so a fault met here is the device's fault like any other.
 */
final class CudaTimer {
    private CudaTimer() {}

    /** Milliseconds the work queued by {@code work} takes on the backend's stream (waits for it to finish). */
    static float timeMillis(CudaBackend gpu, Runnable work) {
        CUstream stream = gpu.benchStream();
        CUevent start = new CUevent();
        CUevent end = new CUevent();
        gpu.checkBenchCall(JCudaDriver.cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        gpu.checkBenchCall(JCudaDriver.cuEventCreate(end, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        try {
            gpu.checkBenchCall(JCudaDriver.cuEventRecord(start, stream), "cuEventRecord");
            work.run();
            gpu.checkBenchCall(JCudaDriver.cuEventRecord(end, stream), "cuEventRecord");
            gpu.checkBenchCall(JCudaDriver.cuEventSynchronize(end), "cuEventSynchronize");
            float[] ms = new float[1];
            gpu.checkBenchCall(JCudaDriver.cuEventElapsedTime(ms, start, end), "cuEventElapsedTime");
            return ms[0];
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(end);
        }
    }

    /** Queues a device-to-device copy of {@code bytes} from src's first byte to dst's (the bandwidth baseline). */
    static void copyBytes(CudaBackend gpu, Storage dst, Storage src, long bytes) {
        if (bytes == 0) return;
        long d = ((CudaStorage) dst).address();
        long s = ((CudaStorage) src).address();
        CUstream stream = gpu.benchStream();
        gpu.checkBenchCall(JCudaDriver.cuMemcpyDtoDAsync(new CUdeviceptr().withByteOffset(d), new CUdeviceptr().withByteOffset(s), bytes, stream),
                "cuMemcpyDtoDAsync");
    }
}

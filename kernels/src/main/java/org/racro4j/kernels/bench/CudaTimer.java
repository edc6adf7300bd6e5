package org.racro4j.kernels.bench;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import org.racro4j.core.Storage;
import org.racro4j.kernels.cuda.CudaBackend;
import org.racro4j.kernels.cuda.CudaStorage;

/**
 * What the benches need from the CUDA backend beyond the {@link org.racro4j.core.Backend} API: the time the work
 * queued by a Runnable takes on the backend's stream (CUDA events), and a raw device-to-device copy (the
 * bandwidth baseline). Not for use inside a graph capture.
 */
final class CudaTimer {
    private CudaTimer() {}

    /** Milliseconds the work queued by {@code work} takes on the backend's stream (waits for it to finish). */
    static float timeMillis(CudaBackend gpu, Runnable work) {
        CUstream stream = gpu.benchStream();
        CUevent start = new CUevent();
        CUevent end = new CUevent();
        check(JCudaDriver.cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        check(JCudaDriver.cuEventCreate(end, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        try {
            check(JCudaDriver.cuEventRecord(start, stream), "cuEventRecord");
            work.run();
            check(JCudaDriver.cuEventRecord(end, stream), "cuEventRecord");
            check(JCudaDriver.cuEventSynchronize(end), "cuEventSynchronize");
            float[] ms = new float[1];
            check(JCudaDriver.cuEventElapsedTime(ms, start, end), "cuEventElapsedTime");
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
        check(JCudaDriver.cuMemcpyDtoDAsync(new CUdeviceptr().withByteOffset(d), new CUdeviceptr().withByteOffset(s), bytes, stream),
                "cuMemcpyDtoDAsync");
    }

    private static void check(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) throw new IllegalStateException(call + " failed: " + CUresult.stringFor(rc));
    }
}

package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Error messages name the call or the kernel with its launch shape, and the CUDA error. */
class CudaExceptionTest {
    @Test
    void errorNamesComeFromJCudasTable() {
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", CudaException.errorName(2));
        assertEquals("CUDA_ERROR_NO_DEVICE", CudaException.errorName(100));
        assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", CudaException.errorName(700));
        assertEquals("CUresult 123456", CudaException.errorName(123456));
    }

    @Test
    void callMessage() {
        assertEquals("cuMemAlloc(1048576 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)",
                CudaException.callMessage("cuMemAlloc(1048576 bytes)", 2, "out of memory"));
        assertEquals("cuInit failed: CUDA_ERROR_NO_DEVICE", CudaException.callMessage("cuInit", 100, null));
    }

    @Test
    void launchMessageNamesKernelAndShape() {
        String m = CudaException.launchMessage("softmax_bf16", new LaunchShape(4096, 1, 1, 256, 0), 1, "invalid argument");
        assertEquals("CUDA kernel softmax_bf16 failed to launch with grid (4096, 1, 1) block (256, 1, 1) shared 0 B: "
                + "CUDA_ERROR_INVALID_VALUE (invalid argument)", m);
    }
}

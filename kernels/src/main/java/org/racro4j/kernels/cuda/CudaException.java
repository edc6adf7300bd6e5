package org.racro4j.kernels.cuda;

import jcuda.driver.CUresult;

/**
 * A CUDA driver error, with what was being done when it happened: the API call, or for a kernel launch the
 * kernel's name, grid, block and shared memory. Kernels run asynchronously, so a fault inside one surfaces at
 * the next synchronising call; that message lists the most recent launches.
 */
public final class CudaException extends RuntimeException {
    private final int code;

    CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The CUresult code. */
    public int code() {
        return code;
    }

    /** "CUDA_ERROR_OUT_OF_MEMORY" for 2; JCuda's CUresult table needs no native code. */
    static String errorName(int code) {
        String name = CUresult.stringFor(code);
        return name == null || name.startsWith("INVALID CUresult") ? "CUresult " + code : name;
    }

    /** "CUDA_ERROR_X (the driver's description)" or just the name when the description is unavailable. */
    static String describe(int code, String description) {
        String name = errorName(code);
        return description == null || description.isBlank() ? name : name + " (" + description + ")";
    }

    /** Message of a failed driver call, e.g. "cuMemAlloc(1048576 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)". */
    static String callMessage(String call, int code, String description) {
        return call + " failed: " + describe(code, description);
    }

    /** Message of a failed launch: the kernel, its launch shape and the error. */
    static String launchMessage(String kernel, LaunchShape shape, int code, String description) {
        return "CUDA kernel " + kernel + " failed to launch with " + shape + ": " + describe(code, description);
    }

    /** Throws unless result is CUDA_SUCCESS. */
    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new CudaException(callMessage(call, result, CudaDriver.errorString(result)), result);
    }
}

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

    /** Whether the error left the device's context unusable (see {@link #isSticky(int)}). */
    public boolean isSticky() {
        return isSticky(code);
    }

    /**
     * CUresult codes after which the context is dead: cuda.h says of each that any further CUDA work returns the
     * same error and the process must be restarted (or, for CUDA_ERROR_ASSERT, that the context must be destroyed).
     * Uncorrectable ECC and NVLink errors are counted too: the data on the device can no longer be trusted.
     * CUDA_ERROR_TENSOR_MEMORY_LEAK (721) is newer than JCuda 12.6, hence the literal.
     */
    static boolean isSticky(int code) {
        return switch (code) {
            case CUresult.CUDA_ERROR_ECC_UNCORRECTABLE, CUresult.CUDA_ERROR_NVLINK_UNCORRECTABLE, CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
                    CUresult.CUDA_ERROR_LAUNCH_TIMEOUT, CUresult.CUDA_ERROR_ASSERT, CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR,
                    CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION, CUresult.CUDA_ERROR_MISALIGNED_ADDRESS,
                    CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE, CUresult.CUDA_ERROR_INVALID_PC, CUresult.CUDA_ERROR_LAUNCH_FAILED,
                    CUDA_ERROR_TENSOR_MEMORY_LEAK, CUresult.CUDA_ERROR_MPS_CLIENT_TERMINATED, CUresult.CUDA_ERROR_EXTERNAL_DEVICE -> true;
            default -> false;
        };
    }

    /** In cuda.h of CUDA 13; JCuda 12.6 has no constant for it. */
    static final int CUDA_ERROR_TENSOR_MEMORY_LEAK = 721;

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

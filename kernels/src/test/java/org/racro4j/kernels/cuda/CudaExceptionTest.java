package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Set;
import java.util.TreeSet;

import jcuda.driver.CUresult;

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

    /** The codes cuda.h describes as leaving the context (or the process) unusable, by their JCuda names. */
    private static final Set<String> STICKY = Set.of("CUDA_ERROR_ECC_UNCORRECTABLE", "CUDA_ERROR_NVLINK_UNCORRECTABLE",
            "CUDA_ERROR_ILLEGAL_ADDRESS", "CUDA_ERROR_LAUNCH_TIMEOUT", "CUDA_ERROR_ASSERT", "CUDA_ERROR_HARDWARE_STACK_ERROR",
            "CUDA_ERROR_ILLEGAL_INSTRUCTION", "CUDA_ERROR_MISALIGNED_ADDRESS", "CUDA_ERROR_INVALID_ADDRESS_SPACE", "CUDA_ERROR_INVALID_PC",
            "CUDA_ERROR_LAUNCH_FAILED", "CUDA_ERROR_MPS_CLIENT_TERMINATED", "CUDA_ERROR_EXTERNAL_DEVICE");

    @Test
    void stickyCodesHaveTheNumbersOfCudaH() {
        assertEquals(214, CUresult.CUDA_ERROR_ECC_UNCORRECTABLE);
        assertEquals(220, CUresult.CUDA_ERROR_NVLINK_UNCORRECTABLE);
        assertEquals(700, CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
        assertEquals(702, CUresult.CUDA_ERROR_LAUNCH_TIMEOUT);
        assertEquals(710, CUresult.CUDA_ERROR_ASSERT);
        assertEquals(714, CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR);
        assertEquals(715, CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION);
        assertEquals(716, CUresult.CUDA_ERROR_MISALIGNED_ADDRESS);
        assertEquals(717, CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE);
        assertEquals(718, CUresult.CUDA_ERROR_INVALID_PC);
        assertEquals(719, CUresult.CUDA_ERROR_LAUNCH_FAILED);
        assertEquals(810, CUresult.CUDA_ERROR_MPS_CLIENT_TERMINATED);
        assertEquals(911, CUresult.CUDA_ERROR_EXTERNAL_DEVICE);
    }

    @Test
    void exactlyTheContextKillingCodesAreSticky() throws IllegalAccessException {
        Set<String> sticky = new TreeSet<>();
        int codes = 0;
        for (Field f : CUresult.class.getFields()) {
            if (f.getType() != int.class || !Modifier.isStatic(f.getModifiers())) continue;
            codes++;
            int code = f.getInt(null);
            if (CudaException.isSticky(code)) sticky.add(f.getName());
            assertEquals(CudaException.isSticky(code), new CudaException("x", code).isSticky(), f.getName());
        }
        assertTrue(codes > 90, "JCuda's CUresult table was read: " + codes + " codes");
        assertEquals(new TreeSet<>(STICKY), sticky);
        assertTrue(CudaException.isSticky(721), "CUDA_ERROR_TENSOR_MEMORY_LEAK, newer than JCuda 12.6");
        for (int ordinary : new int[] {CUresult.CUDA_SUCCESS, CUresult.CUDA_ERROR_INVALID_VALUE, CUresult.CUDA_ERROR_OUT_OF_MEMORY,
                CUresult.CUDA_ERROR_NOT_READY, CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, CUresult.CUDA_ERROR_INVALID_HANDLE}) {
            assertFalse(CudaException.isSticky(ordinary), CudaException.errorName(ordinary));
        }
    }
}

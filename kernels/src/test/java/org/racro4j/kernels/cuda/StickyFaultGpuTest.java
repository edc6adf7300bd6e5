package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jcuda.driver.CUresult;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;

/**
 * A kernel that writes to an illegal address kills the CUDA context; the backend must say which kernel, with its
 * launch shape, and then refuse every later operation with that first cause instead of letting the driver repeat
 * the same error everywhere ({@link DeviceFault}).
 *
 * <p>The fault kills the primary context of the whole process, and the backend of "cuda:0" is cached per process
 * (Device / Backends), so nothing else can use the GPU in this JVM afterwards. Hence a class of its own, which runs
 * only where {@value #OWN_JVM}=1 declares that the JVM runs this class alone ({@code bench/gpu-bringup.sh} runs each
 * GPU test class in a JVM of its own and sets it; it also lists this class last). Elsewhere (a whole-suite run on a
 * GPU machine) it is skipped, with that reason, so that it cannot take the other GPU tests down with it.
 */
@Tag("gpu")
class StickyFaultGpuTest {
    /** Environment variable: 1 says this JVM runs this test class alone, so it may kill the CUDA context. */
    static final String OWN_JVM = "RACRO4J_GPU_OWN_JVM";
    /**
     * Where the kernel writes: inside the first page of the address space, which the driver never maps, 16-byte
     * aligned (fill_contig stores 16 bytes at a time, so a misaligned address would be a different fault) and not
     * null (fill_contig does not test for null, but a reader of the test should not have to check that).
     */
    private static final long ILLEGAL = 0x100L;

    private static Device cuda;
    private static BackendProvider.Availability availability;

    @BeforeAll
    static void openTheGpuIfThereIsOne() {
        availability = GpuTestRule.cudaAvailability();
        if (!availability.available()) return;
        cuda = Device.of("cuda:0");
    }

    @BeforeEach
    void needsAGpuAndAJvmOfItsOwn() {
        assumeTrue(GpuTestRule.canRun(availability), "CUDA GPU test skipped: " + availability.description());
        assumeTrue("1".equals(System.getenv(OWN_JVM)), "kills the CUDA context of this process: runs only in a JVM of its own, with "
                + OWN_JVM + "=1 (bench/gpu-bringup.sh)");
    }

    @Test
    void anIllegalAddressNamesTheKernelAndEveryLaterOperationIsRefusedWithIt() {
        CudaBackend backend = (CudaBackend) cuda.backend();
        CudaDevice device = backend.gpu();
        float[] values = {1.5f, -2.25f, 3.125f};
        Tensor live = Tensor.of(values, 3).to(cuda);
        assertArrayEquals(values, live.toFloatArray(), "the device works before the fault");

        // fill_contig(void* dst, i64 n, int elem_bytes, u64 bits) over 4 MiB + 12 bytes from the illegal address.
        long n = (1 << 20) + 3;
        LaunchShape shape = LaunchShape.linear(LaunchShape.ceilDiv(n * 4, 16), LaunchShape.THREADS, LaunchShape.MAX_GRID_X);
        KernelArgs args = new KernelArgs().ptr(ILLEGAL).i64(n).i32(4).i64(Float.floatToRawIntBits(1.25f) & 0xffffffffL);
        String launch = "fill_contig " + shape;
        boolean blocking = "1".equals(System.getenv("CUDA_LAUNCH_BLOCKING"));

        // With CUDA_LAUNCH_BLOCKING=1 the launch itself reports the fault; otherwise the next synchronising call does.
        CudaException atLaunch = null;
        try {
            device.launch("copy", "fill_contig", shape, args);
        } catch (CudaException e) {
            atLaunch = e;
        }
        CudaException fault = atLaunch != null ? atLaunch : assertThrows(CudaException.class, device::synchronize,
                "a kernel that wrote to address " + ILLEGAL + " must fail the next synchronize");
        String message = fault.getMessage();
        assertTrue(fault.isSticky(), message);
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, fault.code(), message);
        assertTrue(message.contains(launch), "names the kernel and its launch shape (" + launch + "): " + message);
        assertTrue(message.contains("The CUDA context of cuda:0 is dead"), message);
        if (blocking) {
            assertSame(atLaunch, fault, "CUDA_LAUNCH_BLOCKING=1: the launch of the faulting kernel reports it: " + message);
            assertTrue(message.startsWith("CUDA kernel " + launch + " faulted: CUDA_ERROR_ILLEGAL_ADDRESS"), message);
            assertTrue(message.contains("this kernel caused the fault"), message);
        } else {
            assertTrue(message.startsWith("cuStreamSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS"), message);
            assertTrue(message.contains("Rerun with CUDA_LAUNCH_BLOCKING=1"), message);
        }

        // Every later operation is refused at once, with the first fault as its cause and in its one line.
        ByteBuffer bytes = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        assertRefused(fault, launch, "upload", () -> backend.upload(live.storage(), 0, bytes.duplicate()));
        assertRefused(fault, launch, "download", () -> backend.download(live.storage(), 0, bytes.duplicate()));
        assertRefused(fault, launch, "allocate", () -> backend.allocate(DType.F32, 7));
        assertRefused(fault, launch, "launch", () -> backend.fill(live, 2.0));
        assertRefused(fault, launch, "synchronize", backend::synchronize);

        assertDoesNotThrow(backend::close, "closing a dead device releases what it can and does not throw");
    }

    private static void assertRefused(CudaException fault, String launch, String what, Executable op) {
        CudaException e = assertThrows(CudaException.class, op, what + " after the fault");
        String m = e.getMessage();
        assertTrue(m.startsWith("cuda:0 is unusable since "), what + ": " + m);
        assertTrue(m.contains(launch) && m.contains("CUDA_ERROR_ILLEGAL_ADDRESS"), what + " names the first fault: " + m);
        assertSame(fault, e.getCause(), what + ": the first fault is the cause");
        assertEquals(fault.code(), e.code(), what);
    }
}

package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jcuda.driver.CUresult;

import org.junit.jupiter.api.Test;

/** The first sticky error is kept with the launches that may have caused it, and every later operation is refused. */
class DeviceFaultTest {
    private static final LaunchShape SOFTMAX = new LaunchShape(4096, 1, 1, 256, 0);
    private static final LaunchShape GATHER = new LaunchShape(37, 3, 1, 128, 4096);

    private static DeviceFault withTwoLaunches(boolean launchBlocking) {
        DeviceFault f = new DeviceFault("cuda:0", launchBlocking);
        f.launched("softmax_bf16", SOFTMAX);
        f.launched("index_select", GATHER);
        return f;
    }

    @Test
    void firstStickyErrorNamesTheContextDeadTheSuspectKernelsAndTheRemedy() {
        DeviceFault f = withTwoLaunches(false);
        f.ensureUsable();
        CudaException e = f.callFailed("cuStreamSynchronize", CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, "an illegal memory access", true);
        assertTrue(f.faulted());
        assertTrue(e.isSticky());
        assertEquals(700, e.code());
        String m = e.getMessage();
        assertTrue(m.startsWith("cuStreamSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access). "), m);
        assertTrue(m.contains("The CUDA context of cuda:0 is dead"), m);
        assertTrue(m.contains("most recent launches, newest last: softmax_bf16 grid (4096, 1, 1) block (256, 1, 1) shared 0 B; "
                + "index_select grid (37, 3, 1) block (128, 1, 1) shared 4096 B."), m);
        assertTrue(m.contains("Rerun with CUDA_LAUNCH_BLOCKING=1"), m);
        assertEquals("cuStreamSynchronize failed with CUDA_ERROR_ILLEGAL_ADDRESS (newest launch before it: index_select grid (37, 3, 1)"
                + " block (128, 1, 1) shared 4096 B)", f.summary());
    }

    @Test
    void laterOperationsAreRefusedWithTheFirstFault() {
        DeviceFault f = withTwoLaunches(false);
        CudaException first = f.callFailed("cuMemcpyDtoHAsync", CUresult.CUDA_ERROR_MISALIGNED_ADDRESS, "misaligned address", true);
        f.launched("never_ran", SOFTMAX);   // even a launch that got through does not change the recorded cause
        CudaException refused = assertThrows(CudaException.class, f::ensureUsable);
        assertEquals("cuda:0 is unusable since cuMemcpyDtoHAsync failed with CUDA_ERROR_MISALIGNED_ADDRESS (newest launch before it:"
                + " index_select grid (37, 3, 1) block (128, 1, 1) shared 4096 B) (its CUDA context is dead; restart the process to use"
                + " the GPU again)", refused.getMessage());
        assertSame(first, refused.getCause());
        assertEquals(CUresult.CUDA_ERROR_MISALIGNED_ADDRESS, refused.code());
        // The dead context answers every later call with a sticky error too: those repeat the first cause.
        CudaException later = f.callFailed("cuMemAlloc(64 bytes)", CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, "illegal", false);
        assertEquals(refused.getMessage(), later.getMessage());
        CudaException laterLaunch = f.launchFailed("rope_bf16", GATHER, CUresult.CUDA_ERROR_LAUNCH_FAILED, "launch failed");
        assertEquals(refused.getMessage(), laterLaunch.getMessage());
        assertSame(first, laterLaunch.getCause());
    }

    @Test
    void ordinaryErrorsLeaveTheDeviceUsable() {
        DeviceFault f = withTwoLaunches(false);
        CudaException oom = f.callFailed("cuMemAlloc(1024 bytes)", CUresult.CUDA_ERROR_OUT_OF_MEMORY, "out of memory", false);
        assertEquals("cuMemAlloc(1024 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)", oom.getMessage());
        CudaException inval = f.callFailed("cuMemcpyHtoDAsync", CUresult.CUDA_ERROR_INVALID_VALUE, "invalid argument", true);
        assertTrue(inval.getMessage().endsWith("(an earlier kernel may have failed; most recent launches, newest last: softmax_bf16 grid"
                + " (4096, 1, 1) block (256, 1, 1) shared 0 B; index_select grid (37, 3, 1) block (128, 1, 1) shared 4096 B)"),
                inval.getMessage());
        CudaException big = f.launchFailed("attn_fwd", GATHER, CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "too many resources");
        assertEquals(CudaException.launchMessage("attn_fwd", GATHER, 701, "too many resources"), big.getMessage());
        assertFalse(f.faulted());
        assertFalse(oom.isSticky() || inval.isSticky() || big.isSticky());
        f.ensureUsable();
        assertEquals(null, f.summary());
    }

    @Test
    void withoutLaunchBlockingAFailedLaunchBlamesTheKernelsBeforeIt() {
        DeviceFault f = withTwoLaunches(false);
        CudaException e = f.launchFailed("rope_bf16", SOFTMAX, CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, "illegal address");
        String m = e.getMessage();
        assertTrue(m.startsWith("the launch of CUDA kernel rope_bf16 grid (4096, 1, 1) block (256, 1, 1) shared 0 B failed: "
                + "CUDA_ERROR_ILLEGAL_ADDRESS (illegal address), left by a kernel queued before it."), m);
        assertTrue(m.contains("softmax_bf16 grid (4096, 1, 1) block (256, 1, 1) shared 0 B; index_select grid (37, 3, 1)"), m);
        assertTrue(m.contains("Rerun with CUDA_LAUNCH_BLOCKING=1"), m);
        assertFalse(m.contains("caused the fault"), m);
    }

    @Test
    void underLaunchBlockingTheFailingLaunchIsTheCulprit() {
        DeviceFault f = withTwoLaunches(true);
        CudaException e = f.launchFailed("rope_bf16", GATHER, CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION, "illegal instruction");
        String m = e.getMessage();
        assertTrue(m.startsWith("CUDA kernel rope_bf16 grid (37, 3, 1) block (128, 1, 1) shared 4096 B faulted: "
                + "CUDA_ERROR_ILLEGAL_INSTRUCTION (illegal instruction). The CUDA context of cuda:0 is dead"), m);
        assertTrue(m.endsWith("CUDA_LAUNCH_BLOCKING=1 is set, so each launch waits for its kernel: this kernel caused the fault."), m);
        assertFalse(m.contains("Rerun with"), m);
        assertEquals("CUDA kernel rope_bf16 grid (37, 3, 1) block (128, 1, 1) shared 4096 B faulted with CUDA_ERROR_ILLEGAL_INSTRUCTION",
                f.summary());
    }

    @Test
    void underLaunchBlockingAFaultAtAnotherCallClearsTheLaunchedKernels() {
        DeviceFault f = withTwoLaunches(true);
        String m = f.callFailed("cuGraphLaunch", CUresult.CUDA_ERROR_LAUNCH_FAILED, "unspecified launch failure", true).getMessage();
        assertTrue(m.contains("CUDA_LAUNCH_BLOCKING=1 is set, so each kernel launch waits for its kernel and reports its fault;"
                + " none did"), m);
        assertFalse(m.contains("Rerun with"), m);
    }

    @Test
    void anAllocatorThatConsultsTheFaultRefusesEvenCachedBlocksButStillFrees() {
        DeviceFault f = withTwoLaunches(false);
        long[] next = {1 << 20};
        java.util.List<Long> freed = new java.util.ArrayList<>();
        DeviceMemory memory = new DeviceMemory() {
            @Override
            public long allocate(long bytes) {
                f.ensureUsable();
                long a = next[0];
                next[0] += bytes;
                return a;
            }

            @Override
            public void free(long address) {
                freed.add(address);
            }
        };
        CachingAllocator allocator = new CachingAllocator(memory, () -> {}, f::ensureUsable);
        CachingAllocator.Block big = allocator.allocate(3 << 20);
        allocator.free(big);   // cached: the next request of this size would be served without the device
        f.callFailed("cuStreamSynchronize", CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, null, true);
        CudaException e = assertThrows(CudaException.class, () -> allocator.allocate(3 << 20));
        assertTrue(e.getMessage().startsWith("cuda:0 is unusable since cuStreamSynchronize failed with CUDA_ERROR_ILLEGAL_ADDRESS"),
                e.getMessage());
        assertEquals(big.classBytes(), allocator.releaseCached());
        assertEquals(java.util.List.of(big.address()), freed);
    }

    @Test
    void onlyTheNewestLaunchesAreKept() {
        DeviceFault f = new DeviceFault("cuda:1", false);
        assertEquals("no kernel was launched yet", f.recentLaunches());
        for (int i = 0; i < 11; i++) f.launched("k" + i, new LaunchShape(i + 1, 1, 1, 32, 0));
        String r = f.recentLaunches();
        assertFalse(r.contains("k2 "), r);
        assertTrue(r.startsWith("most recent launches, newest last: k3 grid (4, 1, 1)"), r);
        assertTrue(r.endsWith("k10 grid (11, 1, 1) block (32, 1, 1) shared 0 B"), r);
        String m = f.callFailed("cuCtxSynchronize", CUresult.CUDA_ERROR_ASSERT, null, true).getMessage();
        assertTrue(m.contains("cuda:1 is dead"), m);
    }
}

package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * One GPU as the backend drives it: the device's primary context (shared with cuBLAS, which uses the runtime
 * API), one stream on which every copy and kernel is queued in order, the caching allocator, pinned staging
 * buffers for host transfers, the compiled kernel modules, and error reporting that names the kernel. After a
 * sticky error (an illegal address in some kernel) the context is dead: {@link DeviceFault} keeps that first cause,
 * and every later operation is refused with it instead of calling the driver again.
 */
final class CudaDevice implements AutoCloseable {
    /** Bytes per pinned staging buffer; two of them let a copy into one overlap the DMA of the other. */
    static final int STAGING_BYTES = 8 << 20;

    final int index;
    final CUdevice device;
    final String name;
    final int major;
    final int minor;
    final int multiprocessors;
    final long totalMemory;
    private final CUcontext context;
    final CUstream stream;
    final CachingAllocator allocator;
    /** 8 bytes for kernels to report a bad index in (common.cuh), outside the allocator's statistics. */
    final long errorWord;
    private final CudaDriver.AllocatedPointer errorWordPointer = new CudaDriver.AllocatedPointer();
    private final KernelModules modules;
    private final String compilerDescription;
    /** The device whose context each thread last made current (one thread may drive several GPUs). */
    private static final ThreadLocal<CudaDevice> CURRENT = new ThreadLocal<>();

    private final Pointer[] stagingHost = new Pointer[2];
    private final ByteBuffer[] stagingView = new ByteBuffer[2];
    private final CUevent[] stagingDone = new CUevent[2];
    private final boolean[] stagingPending = new boolean[2];

    /** The recent launches, and the first sticky error once one has killed the context. */
    final DeviceFault fault;
    private volatile boolean closed;

    CudaDevice(int index, KernelCompiler compiler, String compilerDescription, CubinCache cache) {
        this.index = index;
        this.fault = new DeviceFault("cuda:" + index, DeviceFault.launchBlockingFromEnvironment());
        this.device = CudaDriver.device(index);
        this.name = CudaDriver.name(device);
        int[] cc = CudaDriver.computeCapability(device);
        this.major = cc[0];
        this.minor = cc[1];
        this.multiprocessors = CudaDriver.attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        this.totalMemory = CudaDriver.totalMemory(device);
        this.context = new CUcontext();
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain(cuda:" + index + ")");
        makeCurrent();
        this.stream = new CUstream();
        check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        this.allocator = new CachingAllocator(new DriverMemory(), this::synchronizeBeforeRelease);
        check(JCudaDriver.cuMemAlloc(errorWordPointer, 8), "cuMemAlloc(8 bytes)");
        this.errorWord = errorWordPointer.address();
        this.modules = new KernelModules(compiler, cache, KernelCompiler.Target.forDevice(major, minor));
        this.compilerDescription = compilerDescription;
        for (int k = 0; k < 2; k++) {
            stagingDone[k] = new CUevent();
            check(JCudaDriver.cuEventCreate(stagingDone[k], CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        }
    }

    String describe() {
        return String.format("cuda:%d %s (sm_%d%d, %d SMs, %.1f GiB), kernels for %s by %s", index, name, major, minor, multiprocessors,
                totalMemory / (double) (1L << 30), modules.target().smName(), compilerDescription);
    }

    /**
     * Binds this device's context to the calling thread unless it already is: every driver call needs it. Every
     * operation starts here, so this is where one on a dead context is refused with the first fault.
     */
    void makeCurrent() {
        fault.ensureUsable();
        if (CURRENT.get() != this) {
            check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent(cuda:" + index + ")");
            CURRENT.set(this);
        }
    }

    /** For releasing resources after a fault: binds the context without refusing and without throwing. */
    private void makeCurrentToRelease() {
        if (CURRENT.get() != this && JCudaDriver.cuCtxSetCurrent(context) == CUresult.CUDA_SUCCESS) CURRENT.set(this);
    }

    /** Throws unless rc is CUDA_SUCCESS; a sticky error is recorded as the device's fault. */
    void check(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) throw fault.callFailed(call, rc, CudaDriver.errorString(rc), false);
    }

    /** Checks a call that may report the failure of an earlier, asynchronous kernel: the message lists recent launches. */
    void checkAsync(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) throw fault.callFailed(call, rc, CudaDriver.errorString(rc), true);
    }

    // ------------------------------------------------------------------------------------------ launches

    void launch(String family, String kernel, LaunchShape shape, KernelArgs args) {
        makeCurrent();
        CUfunction f;
        try {
            f = modules.function(family, kernel);
        } catch (CudaException e) {
            // Loading a module on a context an earlier kernel killed: record that as the fault, with the launches.
            if (e.isSticky()) throw fault.callFailed("loading the " + family + " kernels for " + kernel, e.code(), null, true);
            throw e;
        }
        if (shape.sharedBytes() > DEFAULT_SHARED_LIMIT) allowSharedMemory(kernel, f, shape.sharedBytes());
        int rc = JCudaDriver.cuLaunchKernel(f, shape.gridX(), shape.gridY(), shape.gridZ(), shape.blockX(), 1, 1,
                shape.sharedBytes(), stream, args.toKernelParams(), null);
        if (rc != CUresult.CUDA_SUCCESS) throw fault.launchFailed(kernel, shape, rc, CudaDriver.errorString(rc));
        fault.launched(kernel, shape);
    }

    /** Dynamic shared memory a block may use without opting in (cudaFuncSetAttribute) first. */
    static final int DEFAULT_SHARED_LIMIT = 48 * 1024;
    /** Per function, the dynamic shared memory it was allowed (the attribute is set once, not per launch). */
    private final java.util.Map<CUfunction, Integer> sharedAllowed = new java.util.concurrent.ConcurrentHashMap<>();

    private void allowSharedMemory(String kernel, CUfunction f, int bytes) {
        Integer allowed = sharedAllowed.get(f);
        if (allowed != null && allowed >= bytes) return;
        check(JCudaDriver.cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
                "cuFuncSetAttribute(" + kernel + ", MAX_DYNAMIC_SHARED_SIZE_BYTES, " + bytes + ")");
        sharedAllowed.put(f, bytes);
    }

    void synchronize() {
        if (closed) return;
        makeCurrent();
        refuseWhileCapturing("synchronize");
        hostSyncs.incrementAndGet();
        checkAsync(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    /** The allocator's wait before it frees memory: none once the device is closed or dead (freeing is all that is left). */
    private void synchronizeBeforeRelease() {
        if (!fault.faulted()) synchronize();
    }

    /**
     * Waits at most timeoutMillis for the work queued so far; false when it has not finished by then (a kernel that
     * never ends would otherwise hang the caller forever without a word).
     */
    boolean finishesWithin(long timeoutMillis) {
        makeCurrent();
        refuseWhileCapturing("a bounded wait");
        hostSyncs.incrementAndGet();
        CUevent done = new CUevent();
        check(JCudaDriver.cuEventCreate(done, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        try {
            checkAsync(JCudaDriver.cuEventRecord(done, stream), "cuEventRecord");
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true) {
                int rc = JCudaDriver.cuEventQuery(done);
                if (rc == CUresult.CUDA_SUCCESS) return true;
                if (rc != CUresult.CUDA_ERROR_NOT_READY) checkAsync(rc, "cuEventQuery");
                if (System.nanoTime() > deadline) return false;
                Thread.onSpinWait();
            }
        } finally {
            JCudaDriver.cuEventDestroy(done);
        }
    }

    // ------------------------------------------------------------------------------------------ memory

    /** cuMemAlloc / cuMemFree for the allocator; out of memory is 0, not an exception. */
    private final class DriverMemory implements DeviceMemory {
        /** The pointer objects cuMemAlloc filled in, handed back to cuMemFree as they are. */
        private final java.util.Map<Long, CudaDriver.AllocatedPointer> live = new java.util.HashMap<>();

        @Override
        public long allocate(long bytes) {
            makeCurrent();
            CudaDriver.AllocatedPointer p = new CudaDriver.AllocatedPointer();
            int rc = JCudaDriver.cuMemAlloc(p, bytes);
            if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) return 0;
            checkAsync(rc, "cuMemAlloc(" + bytes + " bytes)");
            live.put(p.address(), p);
            return p.address();
        }

        @Override
        public void free(long address) {
            if (fault.faulted()) {
                // Releasing what can be released on a dead context (tensors closed while the fault propagates).
                makeCurrentToRelease();
                JCudaDriver.cuMemFree(live.remove(address));
                return;
            }
            makeCurrent();
            checkAsync(JCudaDriver.cuMemFree(live.remove(address)), "cuMemFree");
        }
    }

    void copyDeviceToDevice(long dst, long src, long bytes) {
        if (bytes == 0) return;
        makeCurrent();
        checkAsync(JCudaDriver.cuMemcpyDtoDAsync(CudaDriver.pointer(dst), CudaDriver.pointer(src), bytes, stream), "cuMemcpyDtoDAsync");
    }

    void memset32(long dst, int value, long count) {
        makeCurrent();
        checkAsync(JCudaDriver.cuMemsetD32Async(CudaDriver.pointer(dst), value, count, stream), "cuMemsetD32Async");
    }

    private ByteBuffer staging(int k) {
        if (stagingHost[k] == null) {
            Pointer p = new Pointer();
            check(JCudaDriver.cuMemHostAlloc(p, STAGING_BYTES, 0), "cuMemHostAlloc(" + STAGING_BYTES + " bytes)");
            stagingHost[k] = p;
            stagingView[k] = p.getByteBuffer(0, STAGING_BYTES);
        }
        if (stagingPending[k]) {
            checkAsync(JCudaDriver.cuEventSynchronize(stagingDone[k]), "cuEventSynchronize(staging)");
            stagingPending[k] = false;
        }
        ByteBuffer v = stagingView[k];
        v.clear();
        return v;
    }

    /** Copies src's remaining bytes to device address dst through pinned memory; src's position is left alone. */
    synchronized void upload(long dst, ByteBuffer src) {
        makeCurrent();
        // A capture would record a copy from the staging buffer, whose bytes are gone by the time the graph replays.
        refuseWhileCapturing("a host-to-device copy");
        ByteBuffer s = src.duplicate();
        long done = 0;
        int k = 0;
        while (s.hasRemaining()) {
            int n = Math.min(STAGING_BYTES, s.remaining());
            ByteBuffer buf = staging(k);
            ByteBuffer part = s.slice();
            part.limit(n);
            buf.put(part);
            s.position(s.position() + n);
            checkAsync(JCudaDriver.cuMemcpyHtoDAsync(CudaDriver.pointer(dst + done), stagingHost[k], n, stream), "cuMemcpyHtoDAsync");
            checkAsync(JCudaDriver.cuEventRecord(stagingDone[k], stream), "cuEventRecord");
            stagingPending[k] = true;
            done += n;
            k ^= 1;
        }
    }

    /** Fills dst's remaining bytes from device address src (waits for all queued work) and advances its position. */
    synchronized void download(long src, ByteBuffer dst) {
        makeCurrent();
        refuseWhileCapturing("a device-to-host copy");
        hostSyncs.incrementAndGet();
        int total = dst.remaining();
        int chunks = (total + STAGING_BYTES - 1) / STAGING_BYTES;
        // Queue chunk 0; then, while chunk i's bytes are copied out on the host, chunk i + 1 is in flight.
        if (chunks > 0) queueDownload(src, 0, total, 0);
        for (int i = 0; i < chunks; i++) {
            if (i + 1 < chunks) queueDownload(src, i + 1, total, (i + 1) & 1);
            int k = i & 1;
            checkAsync(JCudaDriver.cuEventSynchronize(stagingDone[k]), "cuEventSynchronize(download)");
            stagingPending[k] = false;
            int n = Math.min(STAGING_BYTES, total - i * STAGING_BYTES);
            ByteBuffer view = stagingView[k].duplicate();
            view.clear().limit(n);
            dst.put(view);
        }
    }

    private void queueDownload(long src, int chunk, int total, int k) {
        staging(k);
        long off = (long) chunk * STAGING_BYTES;
        int n = (int) Math.min(STAGING_BYTES, total - off);
        checkAsync(JCudaDriver.cuMemcpyDtoHAsync(stagingHost[k], CudaDriver.pointer(src + off), n, stream), "cuMemcpyDtoHAsync");
        checkAsync(JCudaDriver.cuEventRecord(stagingDone[k], stream), "cuEventRecord");
        stagingPending[k] = true;
    }

    // ------------------------------------------------------------------------------------------ timing

    /** Milliseconds the queued work of {@code work} takes on the stream, between two CUDA events. */
    float time(Runnable work) {
        makeCurrent();
        refuseWhileCapturing("event timing");
        CUevent start = new CUevent();
        CUevent end = new CUevent();
        check(JCudaDriver.cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        check(JCudaDriver.cuEventCreate(end, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        try {
            checkAsync(JCudaDriver.cuEventRecord(start, stream), "cuEventRecord");
            work.run();
            checkAsync(JCudaDriver.cuEventRecord(end, stream), "cuEventRecord");
            checkAsync(JCudaDriver.cuEventSynchronize(end), "cuEventSynchronize");
            float[] ms = new float[1];
            check(JCudaDriver.cuEventElapsedTime(ms, start, end), "cuEventElapsedTime");
            return ms[0];
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(end);
        }
    }

    // ------------------------------------------------------------------------------------------ graphs

    /** Set while the stream is being captured into a CUDA graph (one capture at a time per device). */
    private volatile boolean capturing;
    /** Host waits for the stream (synchronize, downloads): a whole step should need none per op. */
    private final java.util.concurrent.atomic.AtomicLong hostSyncs = new java.util.concurrent.atomic.AtomicLong();

    boolean capturing() {
        return capturing;
    }

    long hostSyncs() {
        return hostSyncs.get();
    }

    private void refuseWhileCapturing(String what) {
        if (capturing) {
            throw new IllegalStateException(what + " cannot be part of a CUDA graph capture on cuda:" + index
                    + ": a captured step must keep its inputs and outputs in device buffers it reuses (static buffers)");
        }
    }

    /**
     * Starts recording the stream's work into a graph instead of running it. Relaxed mode: the caching allocator
     * may still call cuMemAlloc while capturing (those blocks then belong to the graph).
     */
    void beginCapture() {
        makeCurrent();
        if (capturing) throw new IllegalStateException("a CUDA graph capture is already in progress on cuda:" + index);
        checkAsync(JCudaDriver.cuStreamBeginCapture(stream, jcuda.driver.CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED),
                "cuStreamBeginCapture");
        capturing = true;
    }

    /** Stops recording; returns the instantiated graph, or null (and discards the recording) when {@code keep} is false. */
    jcuda.driver.CUgraphExec endCapture(boolean keep) {
        // Not makeCurrent: ending a capture that failed must not throw over the capture's own error.
        makeCurrentToRelease();
        jcuda.driver.CUgraph graph = new jcuda.driver.CUgraph();
        int rc = JCudaDriver.cuStreamEndCapture(stream, graph);
        capturing = false;
        if (rc != CUresult.CUDA_SUCCESS) {
            if (!keep) return null;   // already failing: keep the first error
            fault.ensureUsable();
            checkAsync(rc, "cuStreamEndCapture (the capture was invalidated, e.g. by a call that synchronises)");
        }
        try {
            if (!keep) return null;
            fault.ensureUsable();
            jcuda.driver.CUgraphExec exec = new jcuda.driver.CUgraphExec();
            check(JCudaDriver.cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate");
            return exec;
        } finally {
            JCudaDriver.cuGraphDestroy(graph);
        }
    }

    void launchGraph(jcuda.driver.CUgraphExec exec) {
        makeCurrent();
        refuseWhileCapturing("replaying a graph");
        checkAsync(JCudaDriver.cuGraphLaunch(exec, stream), "cuGraphLaunch");
    }

    void destroyGraph(jcuda.driver.CUgraphExec exec) {
        if (closed) return;
        makeCurrentToRelease();
        if (!fault.faulted()) JCudaDriver.cuStreamSynchronize(stream);   // a replay may still be running
        JCudaDriver.cuGraphExecDestroy(exec);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        makeCurrentToRelease();
        int rc = fault.faulted() ? CUresult.CUDA_SUCCESS : JCudaDriver.cuStreamSynchronize(stream);
        // A fault that shows only now is still recorded (not thrown), so the frees below skip their checks.
        if (CudaException.isSticky(rc)) fault.callFailed("cuStreamSynchronize (closing)", rc, CudaDriver.errorString(rc), true);
        try {
            allocator.releaseCached();
        } catch (CudaException e) {
            // An ordinary error freeing a block: release the rest of the device's resources all the same.
        }
        closed = true;
        for (int k = 0; k < 2; k++) {
            if (stagingHost[k] != null) JCudaDriver.cuMemFreeHost(stagingHost[k]);
            JCudaDriver.cuEventDestroy(stagingDone[k]);
        }
        JCudaDriver.cuMemFree(errorWordPointer);
        modules.unloadAll();
        JCudaDriver.cuStreamDestroy(stream);
        JCudaDriver.cuDevicePrimaryCtxRelease(device);
        if (CURRENT.get() == this) CURRENT.remove();
    }
}

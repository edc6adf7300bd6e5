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
 * API), one stream on which every copy and kernel is queued in order, the caching allocator, a pinned staging
 * ring for host transfers, the compiled kernel modules, and error reporting that names the kernel. After a
 * sticky error (an illegal address in some kernel) the context is dead: {@link DeviceFault} keeps that first cause,
 * and every later operation is refused with it instead of calling the driver again.
 */
final class CudaDevice implements DeviceOps, AutoCloseable {
    /** Bytes of the pinned staging ring for host transfers. */
    static final int STAGING_BYTES = 16 << 20;
    /**
     * The largest piece of a transfer in one region: a large transfer is cut into pieces so that the host fills (or
     * reads out) one while another is copied; a quarter of the ring keeps three pieces in flight while it fills the fourth.
     */
    static final int STAGING_PIECE = 4 << 20;
    /** Events, one per ring region in flight: this many small transfers may be in flight before the host waits. */
    static final int STAGING_SLOTS = 64;

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

    private Pointer stagingHost;
    private ByteBuffer stagingView;
    private final CUevent[] stagingDone = new CUevent[STAGING_SLOTS];
    private StagingRing staging;

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
        this.allocator = new CachingAllocator(new DriverMemory(), this::synchronizeBeforeRelease, fault::ensureUsable);
        check(JCudaDriver.cuMemAlloc(errorWordPointer, 8), "cuMemAlloc(8 bytes)");
        this.errorWord = errorWordPointer.address();
        this.modules = new KernelModules(compiler, cache, KernelCompiler.Target.forDevice(major, minor));
        this.compilerDescription = compilerDescription;
    }

    String describe() {
        return String.format("cuda:%d %s (sm_%d%d, %d SMs, %.1f GiB), kernels for %s by %s", index, name, major, minor, multiprocessors,
                totalMemory / (double) (1L << 30), modules.target().smName(), compilerDescription);
    }

    /**
     * Binds this device's context to the calling thread unless it already is: every driver call needs it. Every
     * operation starts here, so this is where one on a dead context is refused with the first fault.
     */
    @Override
    public void makeCurrent() {
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

    @Override
    public void launch(String family, String kernel, LaunchShape shape, KernelArgs args) {
        makeCurrent();
        CUfunction f;
        try {
            f = modules.function(family, kernel);
        } catch (CudaException e) {
            // Loading a module on a context an earlier kernel killed: record that as the fault, with the launches.
            if (e.isSticky()) {
                String call = "loading the " + family + " kernels for " + kernel;
                throw fault.callFailed(call, e.code(), CudaDriver.errorString(e.code()), true);
            }
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
    @Override
    public boolean finishesWithin(long timeoutMillis) {
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

    @Override
    public void copyDeviceToDevice(long dst, long src, long bytes) {
        if (bytes == 0) return;
        makeCurrent();
        checkAsync(JCudaDriver.cuMemcpyDtoDAsync(CudaDriver.pointer(dst), CudaDriver.pointer(src), bytes, stream), "cuMemcpyDtoDAsync");
    }

    @Override
    public void memset32(long dst, int value, long count) {
        makeCurrent();
        checkAsync(JCudaDriver.cuMemsetD32Async(CudaDriver.pointer(dst), value, count, stream), "cuMemsetD32Async");
    }

    /**
     * The pinned staging ring, its events and their bookkeeping, made on the first host transfer. Host memory
     * must be pinned for a copy to be asynchronous; the ring lets a run of transfers queue their copies without
     * the host waiting for each (it waits only when the ring comes round onto bytes still in flight).
     */
    private StagingRing staging() {
        if (staging == null) {
            if (stagingHost == null) {   // (a failed first try may have made some of it already)
                Pointer p = new Pointer();
                check(JCudaDriver.cuMemHostAlloc(p, STAGING_BYTES, 0), "cuMemHostAlloc(" + STAGING_BYTES + " bytes)");
                stagingHost = p;
                stagingView = p.getByteBuffer(0, STAGING_BYTES);
            }
            for (int k = 0; k < STAGING_SLOTS; k++) {
                if (stagingDone[k] != null) continue;
                CUevent e = new CUevent();
                check(JCudaDriver.cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate(staging)");
                stagingDone[k] = e;
            }
            staging = new StagingRing(STAGING_BYTES, STAGING_PIECE, STAGING_SLOTS, new StagingEvents());
        }
        return staging;
    }

    /** The ring's view of its copies: the event recorded after each. */
    private final class StagingEvents implements StagingRing.Copies {
        @Override
        public boolean finished(int slot) {
            int rc = JCudaDriver.cuEventQuery(stagingDone[slot]);
            if (rc == CUresult.CUDA_ERROR_NOT_READY) return false;
            checkAsync(rc, "cuEventQuery(staging)");
            return true;
        }

        @Override
        public void await(int slot) {
            checkAsync(JCudaDriver.cuEventSynchronize(stagingDone[slot]), "cuEventSynchronize(staging)");
        }
    }

    /**
     * After a copy through region r was queued (with result copyResult), records r's event behind it. If either
     * failed, no event guards r: the stream is drained so that nothing can still touch r's bytes when it is reused.
     */
    private void recordStagingCopy(StagingRing.Region r, int copyResult, String call) {
        boolean recorded = false;
        try {
            checkAsync(copyResult, call);
            checkAsync(JCudaDriver.cuEventRecord(stagingDone[r.slot()], stream), "cuEventRecord(staging)");
            recorded = true;
        } finally {
            if (!recorded && !fault.faulted()) JCudaDriver.cuStreamSynchronize(stream);
        }
    }

    /** Host waits caused by staging: a transfer that found its ring region still in flight. */
    synchronized long stagingWaits() {
        return staging == null ? 0 : staging.waits();
    }

    /** Copies src's remaining bytes to device address dst through pinned memory; src's position is left alone. */
    @Override
    public synchronized void upload(long dst, ByteBuffer src) {
        makeCurrent();
        // A capture would record a copy from the staging buffer, whose bytes are gone by the time the graph replays.
        refuseWhileCapturing("a host-to-device copy");
        StagingRing ring = staging();
        ByteBuffer s = src.duplicate();
        long done = 0;
        while (s.hasRemaining()) {
            int n = Math.min(ring.maxRegion(), s.remaining());
            StagingRing.Region r = ring.reserve(n);
            try {
                ByteBuffer into = stagingView.duplicate();
                into.position((int) r.offset()).limit((int) r.offset() + n);
                ByteBuffer part = s.slice();
                part.limit(n);
                into.put(part);
                recordStagingCopy(r, JCudaDriver.cuMemcpyHtoDAsync(CudaDriver.pointer(dst + done), stagingHost.withByteOffset(r.offset()),
                        n, stream), "cuMemcpyHtoDAsync");
            } finally {
                ring.release(r);   // the host is done with its bytes; the ring reuses them once the copy has finished
            }
            s.position(s.position() + n);
            done += n;
        }
    }

    /** Fills dst's remaining bytes from device address src (waits for all queued work) and advances its position. */
    @Override
    public synchronized void download(long src, ByteBuffer dst) {
        makeCurrent();
        refuseWhileCapturing("a device-to-host copy");
        hostSyncs.incrementAndGet();
        int total = dst.remaining();
        if (total == 0) return;
        StagingRing ring = staging();
        // Queue piece 0; then, while piece i's bytes are copied out on the host, piece i + 1 is in flight.
        StagingRing.Region reading = null;
        StagingRing.Region next = null;
        try {
            reading = queueDownload(ring, src, Math.min(ring.maxRegion(), total));
            long queued = reading.bytes();
            while (reading != null) {
                if (queued < total) {
                    next = queueDownload(ring, src + queued, (int) Math.min(ring.maxRegion(), total - queued));
                    queued += next.bytes();
                }
                checkAsync(JCudaDriver.cuEventSynchronize(stagingDone[reading.slot()]), "cuEventSynchronize(download)");
                ByteBuffer view = stagingView.duplicate();
                view.position((int) reading.offset()).limit((int) reading.offset() + reading.bytes());
                dst.put(view);
                ring.release(reading);
                reading = next;
                next = null;
            }
        } finally {
            if (reading != null) ring.release(reading);
            if (next != null) ring.release(next);
        }
    }

    /** Queues the copy of n bytes at src into a ring region, which stays the host's until it has read them out. */
    private StagingRing.Region queueDownload(StagingRing ring, long src, int n) {
        StagingRing.Region r = ring.reserve(n);
        try {
            recordStagingCopy(r, JCudaDriver.cuMemcpyDtoHAsync(stagingHost.withByteOffset(r.offset()), CudaDriver.pointer(src), n, stream),
                    "cuMemcpyDtoHAsync");
        } catch (RuntimeException e) {
            ring.release(r);
            throw e;
        }
        return r;
    }

    // ------------------------------------------------------------------------------------------ graphs

    /** Set while the stream is being captured into a CUDA graph (one capture at a time per device). */
    private volatile boolean capturing;
    /** Host waits for the stream (synchronize, downloads): a whole step should need none per op. */
    private final java.util.concurrent.atomic.AtomicLong hostSyncs = new java.util.concurrent.atomic.AtomicLong();

    @Override
    public boolean capturing() {
        return capturing;
    }

    @Override
    public CachingAllocator allocator() {
        return allocator;
    }

    @Override
    public long errorWord() {
        return errorWord;
    }

    @Override
    public int major() {
        return major;
    }

    @Override
    public int minor() {
        return minor;
    }

    @Override
    public int multiprocessors() {
        return multiprocessors;
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
        if (stagingHost != null) JCudaDriver.cuMemFreeHost(stagingHost);
        for (CUevent e : stagingDone) if (e != null) JCudaDriver.cuEventDestroy(e);
        JCudaDriver.cuMemFree(errorWordPointer);
        modules.unloadAll();
        JCudaDriver.cuStreamDestroy(stream);
        JCudaDriver.cuDevicePrimaryCtxRelease(device);
        if (CURRENT.get() == this) CURRENT.remove();
    }
}

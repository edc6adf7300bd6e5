package org.racro4j.kernels.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A device's memory of its recent kernel launches and of the first sticky error it met. Kernels run
 * asynchronously, so an illegal address inside one surfaces at some later driver call; after it the context is
 * dead and every call returns the same error, which buries the cause under misleading failures. So the first
 * sticky error is recorded with the launches that may have caused it, and every later operation on the device
 * is refused with that one line instead of calling the driver again. No JCuda calls here: tested on the host.
 */
final class DeviceFault {
    static final int RECENT_LAUNCHES = 8;

    private record Launch(String kernel, LaunchShape shape) {
        @Override
        public String toString() {
            return kernel + " " + shape;
        }
    }

    private final String device;
    private final boolean launchBlocking;
    private final ArrayDeque<Launch> recent = new ArrayDeque<>();
    /** The exception of the first sticky error, null while the device is usable. */
    private volatile CudaException first;
    /** One line naming the first sticky error, for the operations refused after it. */
    private volatile String summary;

    /** device: "cuda:0"; launchBlocking: whether CUDA_LAUNCH_BLOCKING=1 makes each launch wait for its kernel. */
    DeviceFault(String device, boolean launchBlocking) {
        this.device = device;
        this.launchBlocking = launchBlocking;
    }

    /** Whether the driver was told to make launches synchronous; then a kernel's fault shows at its own launch. */
    static boolean launchBlockingFromEnvironment() {
        return "1".equals(System.getenv("CUDA_LAUNCH_BLOCKING"));
    }

    /** A kernel was queued (its launch call succeeded). */
    synchronized void launched(String kernel, LaunchShape shape) {
        if (recent.size() == RECENT_LAUNCHES) recent.removeFirst();
        recent.addLast(new Launch(kernel, shape));
    }

    synchronized String recentLaunches() {
        if (recent.isEmpty()) return "no kernel was launched yet";
        List<String> parts = new ArrayList<>();
        for (Launch l : recent) parts.add(l.toString());
        return "most recent launches, newest last: " + String.join("; ", parts);
    }

    boolean faulted() {
        return first != null;
    }

    /** The first sticky error's one line, or null while the device is usable. */
    String summary() {
        return summary;
    }

    /** Throws, without touching the driver, once a sticky error has killed the context. */
    void ensureUsable() {
        CudaException f = first;
        if (f != null) throw unusable(f);
    }

    private CudaException unusable(CudaException f) {
        CudaException e = new CudaException(device + " is unusable since " + summary
                + " (its CUDA context is dead; restart the process to use the GPU again)", f.code());
        e.initCause(f);
        return e;
    }

    /**
     * The exception for a driver call that returned {@code code} (not success). A sticky code is recorded as the
     * device's fault when it is the first; a later one gets the first fault's line. {@code async}: whether the call
     * can report the failure of a kernel queued before it (synchronize, copies, event calls).
     */
    synchronized CudaException callFailed(String call, int code, String description, boolean async) {
        if (first != null) return unusable(first);
        String failed = CudaException.callMessage(call, code, description);
        if (!CudaException.isSticky(code)) {
            return new CudaException(async ? failed + " (an earlier kernel may have failed; " + recentLaunches() + ")" : failed, code);
        }
        String culprit;
        if (launchBlocking) {
            culprit = "CUDA_LAUNCH_BLOCKING=1 is set, so each kernel launch waits for its kernel and reports its fault; none did, so"
                    + " the fault came from this call itself or from work not launched by cuLaunchKernel here (cuBLAS, a CUDA graph"
                    + " replay); " + recentLaunches() + ".";
        } else {
            culprit = "Kernels run asynchronously, so the fault may come from any kernel queued before this call; " + recentLaunches()
                    + ". " + BLOCKING_HINT;
        }
        Launch newest = recent.peekLast();
        return record(failed + ". " + dead() + " " + culprit, code, call + " failed with " + CudaException.errorName(code)
                + (newest == null ? " before any kernel launch" : " (newest launch before it: " + newest + ")"));
    }

    /** The exception for a cuLaunchKernel that returned {@code code} (not success); the kernel did not run. */
    synchronized CudaException launchFailed(String kernel, LaunchShape shape, int code, String description) {
        if (first != null) return unusable(first);
        if (!CudaException.isSticky(code)) return new CudaException(CudaException.launchMessage(kernel, shape, code, description), code);
        Launch launch = new Launch(kernel, shape);
        String error = CudaException.describe(code, description);
        if (launchBlocking) {
            // The launch waited for its own kernel: the fault is this kernel's.
            return record("CUDA kernel " + launch + " faulted: " + error + ". " + dead() + " CUDA_LAUNCH_BLOCKING=1 is set, so each"
                    + " launch waits for its kernel: this kernel caused the fault.", code,
                    "CUDA kernel " + launch + " faulted with " + CudaException.errorName(code));
        }
        Launch newest = recent.peekLast();
        return record("the launch of CUDA kernel " + launch + " failed: " + error + ", left by a kernel queued before it. " + dead()
                + " " + recentLaunches() + ". " + BLOCKING_HINT, code, "the launch of " + kernel + " failed with "
                + CudaException.errorName(code) + (newest == null ? "" : " (newest launch before it: " + newest + ")"));
    }

    private static final String BLOCKING_HINT = "Rerun with CUDA_LAUNCH_BLOCKING=1 to have the fault reported at the launch of"
            + " the kernel that caused it.";

    private String dead() {
        return "The CUDA context of " + device + " is dead: every later operation on " + device + " fails.";
    }

    private CudaException record(String message, int code, String oneLine) {
        CudaException e = new CudaException(message, code);
        summary = oneLine;
        first = e;
        return e;
    }
}

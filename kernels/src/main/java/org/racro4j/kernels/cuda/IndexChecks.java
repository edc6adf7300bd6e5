package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.Tensor;

/**
 * The index-error protocol of common.cuh: a kernel that meets an index out of range writes
 * {@code 1 + its offset in the index tensor} into the device's 8-byte error word (report_bad_index keeps the
 * first); the error word reads -1 when all was well. After such a kernel the check either runs at once (one
 * host round trip, and the CPU backend's IndexOutOfBoundsException at the call), or, when deferred, at the next
 * synchronising call, naming the ops that may have caused it. Inside a graph capture the check cannot run; the
 * captured ops are remembered and every replay defers their check.
 */
final class IndexChecks {
    private static final long NO_ERROR = -1L;
    private static final int MAX_NAMED_OPS = 16;

    private final LaunchSupport k;
    private final DeviceOps gpu;
    /** Device address of the error word. */
    final long errorWord;
    private volatile boolean defer;
    private final List<String> uncheckedOps = new ArrayList<>();
    /** Index-checking ops queued while a graph is being captured (their check runs after each replay). */
    private final List<String> capturedOps = new ArrayList<>();

    IndexChecks(LaunchSupport support, boolean defer) {
        this.k = support;
        this.gpu = support.gpu;
        this.errorWord = gpu.errorWord();
        this.defer = defer;
        resetErrorWord();
    }

    void setDefer(boolean defer) {
        this.defer = defer;
    }

    /** The exception for the first bad index, given its offset in the index tensor and its value. */
    @FunctionalInterface
    interface IndexError {
        RuntimeException at(long indexOffset, long value);
    }

    /** After a kernel that validates indices: throws the CPU backend's exception for the first bad one. */
    void afterIndexKernel(String op, Tensor index, IndexError error) {
        if (gpu.capturing()) {
            synchronized (capturedOps) {
                if (capturedOps.size() < MAX_NAMED_OPS) capturedOps.add(op);
            }
            return;
        }
        if (defer) {
            synchronized (uncheckedOps) {
                if (uncheckedOps.size() < MAX_NAMED_OPS) uncheckedOps.add(op);
            }
            return;
        }
        long word = readErrorWord();
        if (word == NO_ERROR) return;
        resetErrorWord();
        long offset = word - 1;
        throw error.at(offset, readIndexElement(index, offset));
    }

    /** At a synchronising call: throws if one of the deferred checks since the last one found a bad index. */
    void checkDeferred() {
        List<String> ops;
        synchronized (uncheckedOps) {
            if (uncheckedOps.isEmpty()) return;
            ops = new ArrayList<>(uncheckedOps);
            uncheckedOps.clear();
        }
        long word = readErrorWord();
        if (word == NO_ERROR) return;
        resetErrorWord();
        throw new IndexOutOfBoundsException("an index out of range (at element " + (word - 1) + " of its index tensor) was skipped by one of "
                + ops + " since the last check; run without -D" + CudaBackend.PROP_DEFER_INDEX_CHECKS + " to fail at the call itself");
    }

    /** At the start of a graph capture: forgets the ops of an earlier one. */
    void beginCapture() {
        synchronized (capturedOps) {
            capturedOps.clear();
        }
    }

    /** At the end of a graph capture: the index-checking ops it recorded. */
    List<String> endCapture() {
        synchronized (capturedOps) {
            List<String> ops = new ArrayList<>(capturedOps);
            capturedOps.clear();
            return ops;
        }
    }

    /** After a graph replay: the index checks its kernels did wait for the next synchronising call. */
    void deferReplayed(List<String> ops) {
        if (ops.isEmpty()) return;
        synchronized (uncheckedOps) {
            for (String op : ops) if (uncheckedOps.size() < MAX_NAMED_OPS) uncheckedOps.add(op + " (in a CUDA graph)");
        }
    }

    private long readErrorWord() {
        ByteBuffer bb = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(errorWord, bb);
        return bb.getLong(0);
    }

    private void resetErrorWord() {
        gpu.memset32(errorWord, -1, 2);
    }

    private long readIndexElement(Tensor index, long offset) {
        int size = index.dtype().byteSize();
        ByteBuffer bb = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(k.addr(index) + offset * size, bb);
        return size == 8 ? bb.getLong(0) : bb.getInt(0);
    }
}

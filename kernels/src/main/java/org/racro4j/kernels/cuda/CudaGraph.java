package org.racro4j.kernels.cuda;

import java.util.List;

import jcuda.driver.CUgraphExec;

import org.racro4j.core.GraphCapture;

/**
 * A captured and instantiated CUDA graph: {@link #replay} runs the recorded kernels again as one launch on the
 * backend's stream. The graph owns the memory its work allocated while captured (a {@link CachingAllocator.GraphPool}),
 * so replays allocate nothing; closing it hands that memory back to the allocator.
 */
final class CudaGraph implements GraphCapture.Graph {
    private final CudaBackend backend;
    private final CudaDevice gpu;
    private final CUgraphExec exec;
    private final CachingAllocator.GraphPool pool;
    /** Index-checking ops inside the graph: each replay leaves their check to the next synchronising call. */
    private final List<String> indexOps;
    private boolean closed;

    CudaGraph(CudaBackend backend, CudaDevice gpu, CUgraphExec exec, CachingAllocator.GraphPool pool, List<String> indexOps) {
        this.backend = backend;
        this.gpu = gpu;
        this.exec = exec;
        this.pool = pool;
        this.indexOps = List.copyOf(indexOps);
    }

    @Override
    public synchronized void replay() {
        if (closed) throw new IllegalStateException("replay of a closed CUDA graph");
        gpu.launchGraph(exec);
        backend.deferIndexChecks(indexOps);
    }

    /** Bytes of device memory the graph holds beyond what live tensors use. */
    long pooledBytes() {
        return pool.freeBytes();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        gpu.destroyGraph(exec);
        gpu.allocator.releaseGraphPool(pool);
    }
}

package org.racro4j.kernels.cuda;

import java.util.List;

import jcuda.driver.CUgraphExec;

import org.racro4j.core.GraphCapture;

/**
 * Records a CUDA graph of the work a Runnable queues on the backend's stream: the allocations made meanwhile go
 * to a graph pool the graph owns, and the index-checking ops inside it are handed to the graph, whose replays
 * leave their checks to the next synchronising call.
 */
final class GraphRecorder {
    private final CudaBackend backend;
    private final CudaDevice gpu;
    private final IndexChecks checks;

    GraphRecorder(CudaBackend backend, CudaDevice gpu, IndexChecks checks) {
        this.backend = backend;
        this.gpu = gpu;
        this.checks = checks;
    }

    GraphCapture.Graph capture(Runnable work) {
        gpu.makeCurrent();
        CachingAllocator.GraphPool pool = gpu.allocator.beginGraphPool();
        checks.beginCapture();
        CUgraphExec exec = null;
        boolean started = false;
        boolean ok = false;
        try {
            // Inside the try: a device that refuses to start capturing must not leave the allocator in its graph pool.
            gpu.beginCapture();
            started = true;
            work.run();
            ok = true;
        } finally {
            try {
                if (started) exec = gpu.endCapture(ok);
            } finally {
                gpu.allocator.endGraphPool();
                if (exec == null) gpu.allocator.releaseGraphPool(pool);
            }
        }
        List<String> ops = checks.endCapture();
        return new CudaGraph(backend, gpu, exec, pool, ops);
    }
}

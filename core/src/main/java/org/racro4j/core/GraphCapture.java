package org.racro4j.core;

/**
 * Recording a backend's work as a graph that runs again as one launch (a CUDA graph), an optional part of a
 * {@link Backend}: callers ask {@code backend instanceof GraphCapture gc}.
 */
public interface GraphCapture {
    /** A recorded sequence of a backend's work that can be run again as one launch. */
    interface Graph extends AutoCloseable {
        /** Runs the recorded work again, on the same device buffers, asynchronously. */
        void replay();

        /** Frees the graph and returns the memory its work used to the backend. */
        @Override
        void close();
    }

    /**
     * Records the device work {@code work} queues, without running it, as a {@link Graph}. The work may allocate
     * (its blocks then belong to the graph and are written again by every replay) but must not move data to or
     * from the host or wait for the device: inputs and outputs live in device tensors allocated before the capture
     * and kept alive, and unchanged in shape, as long as the graph.
     */
    Graph capture(Runnable work);
}

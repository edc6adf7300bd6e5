package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Horizontal sums in a fixed order. FloatVector.reduceLanes(ADD) leaves the order unspecified, and the JIT-compiled
 * and interpreted paths may differ in the last bit; racro4j needs a resumed run to reproduce an uninterrupted one
 * exactly, so kernels reduce lanes with this instead.
 */
final class Lanes {
    private Lanes() {}

    /** lane 0 + lane 1 + ... + lane n-1, left to right, in double. */
    static double sum(FloatVector v) {
        float[] lanes = new float[v.length()];
        v.intoArray(lanes, 0);
        return sum(lanes, 0);
    }

    /**
     * The same sum of a vector already stored at lanes[at], lanes[at + 1], ... (one vector's length): for kernels
     * that reduce many accumulators and can store them into one scratch array instead of allocating one per sum.
     */
    static double sum(float[] lanes, int at) {
        double s = 0;
        for (int i = 0; i < CpuGemmKernel.L; i++) s += lanes[at + i];
        return s;
    }
}

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
        double s = 0;
        for (float x : lanes) s += x;
        return s;
    }
}

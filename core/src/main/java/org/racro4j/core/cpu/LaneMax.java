package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The largest (or smallest) element of a run in vector lanes; only reached when {@link VectorApi#ENABLED}. */
final class LaneMax {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private LaneMax() {}

    /**
     * Math.max over x[base ... base + n - 1], starting from -infinity: what the plain loop {@code max = Math.max(max,
     * x[j])} gives. Lanewise MAX is Math.max, which is associative and commutative on floats (a NaN anywhere gives NaN,
     * +0 is above -0), so taking the elements in lanes and then across them changes nothing. One dependent Math.max per
     * element was a chain of its latency through each softmax row.
     */
    static float of(float[] x, int base, int n) {
        int nv = F.loopBound(n);
        FloatVector lanes = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < nv; j += F.length()) lanes = lanes.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, base + j));
        float max = lanes.reduceLanes(VectorOperators.MAX);
        for (int j = nv; j < n; j++) max = Math.max(max, x[base + j]);
        return max;
    }

    /** Math.min over x[base ... base + n - 1], starting from +infinity: the plain loop's value, as {@link #of} for max. */
    static float min(float[] x, int base, int n) {
        int nv = F.loopBound(n);
        FloatVector lanes = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        for (int j = 0; j < nv; j += F.length()) lanes = lanes.lanewise(VectorOperators.MIN, FloatVector.fromArray(F, x, base + j));
        float min = lanes.reduceLanes(VectorOperators.MIN);
        for (int j = nv; j < n; j++) min = Math.min(min, x[base + j]);
        return min;
    }
}

package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Sums of unit-stride runs in vector lanes; only reached when {@link VectorApi#ENABLED}. */
final class LaneSums {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private LaneSums() {}

    static int vectorBits() {
        return F.vectorBitSize();
    }

    /** x[base] + ... + x[base + n - 1]: blocks of vectors summed in float, each block flushed to double. */
    static double sum(float[] x, int base, int n) {
        double total = 0;
        int i = 0;
        int bound = F.loopBound(n);
        while (i < bound) {
            int blockEnd = Math.min(bound, i + 1024);
            FloatVector acc = FloatVector.zero(F);
            for (; i < blockEnd; i += F.length()) acc = acc.add(FloatVector.fromArray(F, x, base + i));
            total += Lanes.sum(acc);
        }
        for (; i < n; i++) total += x[base + i];
        return total;
    }

    /** x[base]^2 + ... + x[base + n - 1]^2, with fused multiply-adds in lanes. */
    static double sumSquares(float[] x, int base, int n) {
        int i = 0;
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, base + i);
            acc = v.fma(v, acc);
        }
        double s = Lanes.sum(acc);
        for (; i < n; i++) s += (double) x[base + i] * x[base + i];
        return s;
    }
}

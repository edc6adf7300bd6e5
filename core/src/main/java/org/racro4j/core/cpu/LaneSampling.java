package org.racro4j.core.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector loops of {@link CpuSampling}; only reached when {@link VectorApi#ENABLED}. Each gives the bits of the plain
 * loop it stands for: they only compare, convert, subtract and divide, which IEEE arithmetic rounds the same in a lane
 * as in a scalar register, and leave Math.exp and the sums in index order to the plain loops.
 */
final class LaneSampling {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Half as many lanes as F: a float vector widens into two of them. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private LaneSampling() {}

    /**
     * The index the plain loop {@code if (x[j] > x[best]) best = j} ends on, over x[base ... base + n - 1]: the first
     * maximum. Returns -1 if the row holds a NaN (which that loop steps over; the caller runs it). Lanewise MAX is
     * Math.max, which puts +0 above -0 where > holds them equal; the first element == that max (== also holds them
     * equal) is the loop's either way.
     */
    static int firstMax(float[] x, int base, int n) {
        float max = LaneMax.of(x, base, n);
        if (Float.isNaN(max)) return -1;
        int nv = F.loopBound(n);
        for (int j = 0; j < nv; j += F.length()) {
            VectorMask<Float> hit = FloatVector.fromArray(F, x, base + j).eq(max);
            if (hit.anyTrue()) return j + hit.firstTrue();
        }
        for (int j = nv; j < n; j++) if (x[base + j] == max) return j;
        return 0;   // n == 0
    }

    /** p[j] = (x[base + j] - max) / temperature in double, for j in [0, n). */
    static void scaledDifferences(float[] x, int base, int n, double max, float temperature, double[] p) {
        int nv = F.loopBound(n);
        int half = D.length();
        for (int j = 0; j < nv; j += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, base + j);
            for (int part = 0; part < 2; part++) {
                DoubleVector d = (DoubleVector) v.convertShape(VectorOperators.F2D, D, part);
                d.sub(max).div(temperature).intoArray(p, j + part * half);
            }
        }
        for (int j = nv; j < n; j++) p[j] = (x[base + j] - max) / temperature;
    }

    /** p[j] /= sum for j in [0, n). */
    static void divide(double[] p, int n, double sum) {
        int nv = D.loopBound(n);
        for (int j = 0; j < nv; j += D.length()) DoubleVector.fromArray(D, p, j).div(sum).intoArray(p, j);
        for (int j = nv; j < n; j++) p[j] /= sum;
    }
}

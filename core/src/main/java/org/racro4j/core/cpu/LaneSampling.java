package org.racro4j.core.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector loops of {@link CpuSampling}; only reached when {@link VectorApi#ENABLED}. Each gives the bits of the plain
 * loop it stands for: they only compare, convert, subtract and divide, which IEEE arithmetic rounds the same in a lane
 * as in a scalar register, and leave Math.exp and the sums in index order to the plain loops. The exception is
 * {@link #approximateExp}, which {@link BucketedWalk} uses only within its error bound.
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

    /** Math.log(2) in two parts: the high one has trailing zero bits, so k * LN2_HIGH is exact for |k| < 2^11. */
    private static final double LN2_HIGH = 6.93147180369123816490e-01;
    private static final double LN2_LOW = 1.90821492927058770002e-10;
    private static final double LOG2E = 1.4426950408889634;
    /** 1.5 * 2^52: t = x log2(e) + SHIFTER holds round(x log2(e)) in its low mantissa bits. */
    private static final double SHIFTER = 0x1.8p52;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    /** Arguments are raised to this: exp of it is still a normal double. */
    static final double APPROXIMATE_EXP_LOW = -700;

    /**
     * out[j] = e^max(x[j], APPROXIMATE_EXP_LOW) for j in [0, n), within a relative 2^-48 of the exact value for x at
     * most 0 (LaneSamplingTest finds it within 2^-49 of Math.exp, itself within an ulp): x = k ln 2 + r with |r| at most
     * ln(2) / 2, e^r by its Taylor polynomial of degree 12 (the remainder is below 2^-51 there), times 2^k built from
     * exponent bits. Not Math.exp's bits, which cost a call per element: a third of sampling a 2048-token row.
     */
    static void approximateExp(double[] x, int n, double[] out) {
        int nv = D.loopBound(n);
        for (int j = 0; j < nv; j += D.length()) {
            DoubleVector v = DoubleVector.fromArray(D, x, j).max(APPROXIMATE_EXP_LOW);
            DoubleVector t = v.fma(LOG2E, SHIFTER);
            DoubleVector k = t.sub(SHIFTER);
            DoubleVector r = k.fma(DoubleVector.broadcast(D, -LN2_HIGH), v);
            r = k.fma(DoubleVector.broadcast(D, -LN2_LOW), r);
            DoubleVector p = DoubleVector.broadcast(D, 1.0 / 479001600);   // 1/12!
            p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 39916800));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 3628800));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 362880));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 40320));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 5040));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 720));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 120));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 24));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 6));
            p = p.fma(r, DoubleVector.broadcast(D, 0.5));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0));
            p = p.fma(r, DoubleVector.broadcast(D, 1.0));
            LongVector ki = t.reinterpretAsLongs().sub(SHIFTER_BITS);
            DoubleVector scale = ki.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            p.mul(scale).intoArray(out, j);
        }
        for (int j = nv; j < n; j++) out[j] = Math.exp(Math.max(x[j], APPROXIMATE_EXP_LOW));
    }
}

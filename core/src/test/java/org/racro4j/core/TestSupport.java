package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/**
 * Shared helpers for the core tests: seeded random inputs (never zeros), float64 comparisons that name the
 * first bad element, and a few float64 reference kernels used by several test classes.
 */
public final class TestSupport {
    private TestSupport() {}

    // ---------------------------------------------------------------------------------------- random data

    /** Standard normal values from a seeded stream (java.util, independent of the engine's Philox). */
    public static float[] normal(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller from two uniforms (SplittableRandom has no nextGaussian in Java 17)
            double u1 = 1.0 - r.nextDouble();
            double u2 = r.nextDouble();
            out[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return out;
    }

    /** Uniform values in [lo, hi). */
    public static float[] uniform(long seed, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return out;
    }

    /** Values with |x| in [minAbs, maxAbs) and a random sign: at least minAbs away from a kink at 0. */
    public static float[] awayFromZero(long seed, int n, double minAbs, double maxAbs) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double m = minAbs + (maxAbs - minAbs) * r.nextDouble();
            out[i] = (float) (r.nextBoolean() ? m : -m);
        }
        return out;
    }

    /** Uniform values in [lo, hi) that stay at least margin away from every kink. */
    public static float[] awayFrom(long seed, int n, double lo, double hi, double margin, double... kinks) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double v;
            boolean ok;
            do {
                v = lo + (hi - lo) * r.nextDouble();
                ok = true;
                for (double k : kinks) if (Math.abs(v - k) < margin) ok = false;
            } while (!ok);
            out[i] = (float) v;
        }
        return out;
    }

    /** Random integers in [0, bound). */
    public static long[] indices(long seed, int n, int bound) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = r.nextInt(bound);
        return out;
    }

    public static int[] toInts(long[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) out[i] = Math.toIntExact(a[i]);
        return out;
    }

    public static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }

    public static int numel(int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    // ---------------------------------------------------------------------------------------- comparisons

    /** Every |actual - expected| <= atol + rtol |expected|; the failure names the first bad element. */
    public static void assertClose(String what, double[] expected, float[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            fail(what + ": expected " + expected.length + " elements, got " + actual.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (Double.isNaN(e) != Double.isNaN(a) || Math.abs(a - e) > atol + rtol * Math.abs(e)) {
                fail(what + ": element " + i + " is " + a + ", expected " + e + " (atol " + atol + ", rtol " + rtol + ")");
            }
        }
    }

    public static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        assertClose(what, toDouble(expected), actual, atol, rtol);
    }

    /** Bit-for-bit equality of two float arrays (NaNs compared by bits too). */
    public static void assertBitsEqual(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) fail(what + ": lengths " + expected.length + " vs " + actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected exactly " + expected[i]);
            }
        }
    }

    // ---------------------------------------------------------------------------------------- float64 references

    /** Row-major index helpers for small reference loops. */
    public static int[] stridesOf(int... shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i];
        }
        return st;
    }

    /** C[b] = A[b] B[b] for row-major A [batch, m, k], B [batch, k, n], in double. */
    public static double[] matmulRef(float[] a, float[] b, int batch, int m, int k, int n) {
        double[] c = new double[batch * m * n];
        for (int z = 0; z < batch; z++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double) a[z * m * k + i * k + p] * b[z * k * n + p * n + j];
                    c[z * m * n + i * n + j] = s;
                }
            }
        }
        return c;
    }

    /** Softmax (or log-softmax) over rows of length cols, in double. */
    public static double[] softmaxRef(float[] x, int cols, boolean log) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / cols; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, x[r * cols + j]);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.exp(x[r * cols + j] - max);
            for (int j = 0; j < cols; j++) {
                double v = x[r * cols + j] - max;
                out[r * cols + j] = log ? v - Math.log(sum) : Math.exp(v) / sum;
            }
        }
        return out;
    }

    /** erf to double precision (series for small |x|, continued fraction for the tail). */
    public static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3.0) {
            // Maclaurin series: erf x = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc x = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward evaluation)
            double f = ax;
            for (int k = 60; k >= 1; k--) f = ax + (k / 2.0) / f;
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}

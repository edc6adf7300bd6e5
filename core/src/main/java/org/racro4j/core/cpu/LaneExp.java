package org.racro4j.core.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp over runs of floats in vector lanes, giving exactly the bits of the scalar expressions the kernels use:
 * {@code (float) Math.exp(x - shift)} and {@link CpuMath#sigmoid}. Scalar Math.exp cost 6 ns an element here,
 * a fifth of an RL step went to SiLU alone, and the Vector API's own EXP cannot be used: its results change in
 * the last bits once C2 compiles a loop (see CpuElementwise.vectorUnary).
 *
 * <p>How the bits stay exact: each lane computes the double result with an exp of its own (a Cody-Waite
 * reduction and a degree-13 Taylor polynomial, all in exactly rounded IEEE operations; on 2e7 random inputs it
 * was never more than 1 ulp from Math.exp), so the double results differ by far less than 2^-46 relative (64
 * ulp), even after the sigmoid's add and divide. A lane keeps its float only when every double within 2^-46 of
 * its own rounds to that same float (told from its bits, see {@link #sure}); a vector with a lane near a float
 * rounding boundary, or a NaN, is recomputed with the scalar expression. Inputs are clamped to [-700, 700] first,
 * where exp and 2^k stay normal doubles: past it the float result is 0, 1 or infinity either way.
 */
final class LaneExp {
    /*
     * Every float vector of every kernel has the preferred shape, so this class works in double vectors and moves
     * floats in and out with plain loops. The JDK's shared vector methods (intoArray,
     * length, ...) keep one type profile for all their callers: once half-width float vectors (a float vector the
     * size of a double one) ran through them here, C2 no longer knew a vector's class where other kernels stored
     * theirs, and boxed every vector of those loops on the heap (a training step of the larger report shape
     * allocated 225 MB of boxed vectors). And one exp per loop body: two inlined exps pass C2's inlining node
     * cutoff, and then this loop's own vectors are boxed.
     */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Elements per pass through the scratch doubles (2 KiB: they stay in the L1 cache). */
    private static final int BLOCK = 256;
    private static final ThreadLocal<double[]> SCRATCH = ThreadLocal.withInitial(() -> new double[BLOCK]);

    private static final double LOG2E = 1.4426950408889634;
    private static final double LN2_HI = 0.6931471805599453;     // ln 2 rounded to double
    private static final double LN2_LO = 2.3190468138462996e-17; // ln 2 - LN2_HI
    /** 1.5 * 2^52: adding it rounds to an integer and leaves that integer in the low mantissa bits. */
    private static final double SHIFTER = 0x1.8p52;
    private static final double LIMIT = 700;
    /** The bits of {@link #sure}'s tests. */
    private static final long LOW_29 = (1L << 29) - 1;
    private static final long MIDDLE = 1L << 28;
    private static final long MARGIN = 256;
    private static final long SURELY_ZERO = Double.doubleToRawLongBits(0x1p-151);   // rounds to 0 with all within 2^-46
    private static final long FLOAT_NORMAL = Double.doubleToRawLongBits(Float.MIN_NORMAL);
    private static final long LARGEST_FINITE = Double.doubleToRawLongBits(Double.MAX_VALUE);
    /** 1/n! for n = 13 down to 2: the Taylor polynomial of exp, whose remainder on |r| <= ln2/2 is below 5e-19. */
    private static final double[] TAYLOR = new double[12];

    static {
        for (int n = 13; n >= 2; n--) {
            double f = 1;
            for (int i = 2; i <= n; i++) f *= i;
            TAYLOR[13 - n] = 1 / f;
        }
    }

    private LaneExp() {}

    /** o[oo + i] = (float) Math.exp(x[xo + i] - shift) for i in [0, n), the subtraction in float; o may be x. */
    static void exp(float[] x, int xo, float shift, float[] o, int oo, int n) {
        double[] t = SCRATCH.get();
        for (int b = 0; b < n; b += BLOCK) {
            int m = Math.min(BLOCK, n - b);
            for (int j = 0; j < m; j++) t[j] = x[xo + b + j] - shift;
            for (int j = expLanes(t, 0, m); j < m; j = expLanes(t, j + 1, m)) {
                t[j] = Math.exp(t[j]);  // a lane too close to a float rounding boundary, or the tail
            }
            for (int j = 0; j < m; j++) o[oo + b + j] = (float) t[j];
        }
    }

    /** o[oo + i] = CpuMath.sigmoid(x[xo + i]) for i in [0, n); o may be x. */
    static void sigmoid(float[] x, int xo, float[] o, int oo, int n) {
        double[] t = SCRATCH.get();
        for (int b = 0; b < n; b += BLOCK) {
            int m = Math.min(BLOCK, n - b);
            for (int j = 0; j < m; j++) t[j] = -x[xo + b + j];
            for (int j = sigmoidLanes(t, 0, m); j < m; j = sigmoidLanes(t, j + 1, m)) {
                t[j] = CpuMath.sigmoid((float) -t[j]);
            }
            for (int j = 0; j < m; j++) o[oo + b + j] = (float) t[j];
        }
    }

    /**
     * From t[j] on, replaces each whole vector of lanes y in t[.. m) by exp(y) while every lane's float is sure;
     * returns the first index not replaced, which the caller does alone.
     */
    private static int expLanes(double[] t, int j, int m) {
        int i = j;
        for (int bound = m - D.length(); i <= bound; i += D.length()) {
            DoubleVector e = exp(DoubleVector.fromArray(D, t, i));
            if (!sure(e)) break;
            e.intoArray(t, i);
        }
        return i;
    }

    /** As {@link #expLanes}, with 1 / (1 + exp(y)): the sigmoid of -y. */
    private static int sigmoidLanes(double[] t, int j, int m) {
        int i = j;
        for (int bound = m - D.length(); i <= bound; i += D.length()) {
            DoubleVector s = DoubleVector.broadcast(D, 1.0).div(exp(DoubleVector.fromArray(D, t, i)).add(1.0));
            if (!sure(s)) break;
            s.intoArray(t, i);
        }
        return i;
    }

    /** o[oo + i] = CpuMath.silu(x[xo + i]) for i in [0, n); o must not be x. */
    static void silu(float[] x, int xo, float[] o, int oo, int n) {
        sigmoid(x, xo, o, oo, n);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).mul(FloatVector.fromArray(F, o, oo + i)).intoArray(o, oo + i);
        }
        for (; i < n; i++) o[oo + i] = x[xo + i] * o[oo + i];
    }

    /** o[oo + i] = CpuMath.siluGrad(x[xo + i]), s (1 + x (1 - s)) operation for operation; o must not be x. */
    static void siluGrad(float[] x, int xo, float[] o, int oo, int n) {
        sigmoid(x, xo, o, oo, n);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector s = FloatVector.fromArray(F, o, oo + i);
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            s.mul(v.mul(s.neg().add(1f)).add(1f)).intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            float s = o[oo + i];
            o[oo + i] = s * (1f + x[xo + i] * (1f - s));
        }
    }

    /**
     * Whether every lane of v, a result of exp or the sigmoid (positive, or NaN), rounds to the same float as every
     * double within 2^-46 of it: then (float) v is the float of the exactly rounded result too. Told from v's bits,
     * not by narrowing to floats (the Vector API's double-to-float narrowing into a float vector of the preferred
     * shape is not compiled to vector instructions on JDK 17, and a half-width float vector costs every kernel, as
     * above). A double rounds to a normal float by its low 29 mantissa bits, and every rounding boundary has them
     * equal to 2^28; the doubles within 2^-46 of v are within 128 of v's double ulps, so a lane is sure when those
     * bits are more than 256 from 2^28 and its float is normal or surely zero. NaN, and floats that would be
     * subnormal, are left to the scalar code.
     */
    static boolean sure(DoubleVector v) {
        LongVector bits = v.reinterpretAsLongs();
        LongVector low = bits.and(LOW_29);
        VectorMask<Long> unsure = low.compare(VectorOperators.GE, MIDDLE - MARGIN).and(low.compare(VectorOperators.LE, MIDDLE + MARGIN))
                .or(bits.compare(VectorOperators.GE, SURELY_ZERO).and(bits.compare(VectorOperators.LT, FLOAT_NORMAL)))
                .or(bits.compare(VectorOperators.GT, LARGEST_FINITE))    // NaN
                .or(bits.compare(VectorOperators.LT, 0L));               // a NaN with its sign bit set
        return !unsure.anyTrue();
    }

    /** exp(y) for y clamped to [-700, 700] (within 1 ulp of Math.exp where measured); NaN stays NaN. */
    private static DoubleVector exp(DoubleVector y) {
        y = y.max(-LIMIT).min(LIMIT);
        DoubleVector t = y.fma(LOG2E, SHIFTER);
        DoubleVector k = t.sub(SHIFTER);                    // round(y / ln 2)
        DoubleVector r = k.fma(DoubleVector.broadcast(D, -LN2_HI), y).add(k.mul(-LN2_LO)); // y - k ln2, the first product exact
        DoubleVector p = DoubleVector.broadcast(D, TAYLOR[0]);
        for (int j = 1; j < TAYLOR.length; j++) p = p.fma(r, DoubleVector.broadcast(D, TAYLOR[j]));
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        p = p.fma(r, one).fma(r, one);
        // 2^k: k sits in the low bits of t; k + 1023 (in [13, 2033]) shifted into the exponent field.
        DoubleVector scale = t.reinterpretAsLongs().add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        return p.mul(scale);
    }
}

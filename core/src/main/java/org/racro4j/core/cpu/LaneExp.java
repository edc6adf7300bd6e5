package org.racro4j.core.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
 * its own rounds to that same float (checked by rounding value x (1 -+ 2^-46)); a vector with a lane near a float
 * rounding boundary, or a NaN, is recomputed with the scalar expression. Inputs are clamped to [-700, 700] first,
 * where exp and 2^k stay normal doubles: past it the float result is 0, 1 or infinity either way.
 */
final class LaneExp {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** As many float lanes as double lanes: a float vector widens into one double vector. */
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    static final int LANES = D.length();
    /** Full-width float lanes, for the float arithmetic after the exps. */
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

    private static final double LOG2E = 1.4426950408889634;
    private static final double LN2_HI = 0.6931471805599453;     // ln 2 rounded to double
    private static final double LN2_LO = 2.3190468138462996e-17; // ln 2 - LN2_HI
    /** 1.5 * 2^52: adding it rounds to an integer and leaves that integer in the low mantissa bits. */
    private static final double SHIFTER = 0x1.8p52;
    private static final double LIMIT = 700;
    private static final double BELOW = 1 - 0x1p-46;
    private static final double ABOVE = 1 + 0x1p-46;
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
        int i = 0;
        for (int bound = n - n % LANES; i < bound; i += LANES) {
            DoubleVector e = exp(widen(FloatVector.fromArray(F, x, xo + i).sub(shift)));
            if (!storeIfSure(e, o, oo + i)) {
                for (int j = i; j < i + LANES; j++) o[oo + j] = (float) Math.exp(x[xo + j] - shift);
            }
        }
        for (; i < n; i++) o[oo + i] = (float) Math.exp(x[xo + i] - shift);
    }

    /** o[oo + i] = CpuMath.sigmoid(x[xo + i]) for i in [0, n); o may be x. */
    static void sigmoid(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (int bound = n - n % LANES; i < bound; i += LANES) {
            DoubleVector e = exp(widen(FloatVector.fromArray(F, x, xo + i).neg()));
            if (!storeIfSure(DoubleVector.broadcast(D, 1.0).div(e.add(1.0)), o, oo + i)) {
                for (int j = i; j < i + LANES; j++) o[oo + j] = CpuMath.sigmoid(x[xo + j]);
            }
        }
        for (; i < n; i++) o[oo + i] = CpuMath.sigmoid(x[xo + i]);
    }

    /** o[oo + i] = CpuMath.silu(x[xo + i]) for i in [0, n); o must not be x. */
    static void silu(float[] x, int xo, float[] o, int oo, int n) {
        sigmoid(x, xo, o, oo, n);
        int i = 0;
        for (int bound = FS.loopBound(n); i < bound; i += FS.length()) {
            FloatVector.fromArray(FS, x, xo + i).mul(FloatVector.fromArray(FS, o, oo + i)).intoArray(o, oo + i);
        }
        for (; i < n; i++) o[oo + i] = x[xo + i] * o[oo + i];
    }

    /** o[oo + i] = CpuMath.siluGrad(x[xo + i]), s (1 + x (1 - s)) operation for operation; o must not be x. */
    static void siluGrad(float[] x, int xo, float[] o, int oo, int n) {
        sigmoid(x, xo, o, oo, n);
        int i = 0;
        for (int bound = FS.loopBound(n); i < bound; i += FS.length()) {
            FloatVector s = FloatVector.fromArray(FS, o, oo + i);
            FloatVector v = FloatVector.fromArray(FS, x, xo + i);
            s.mul(v.mul(s.neg().add(1f)).add(1f)).intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            float s = o[oo + i];
            o[oo + i] = s * (1f + x[xo + i] * (1f - s));
        }
    }

    private static DoubleVector widen(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
    }

    /**
     * Stores the floats of v and says true, unless a lane is too close to a float rounding boundary (or is NaN)
     * for its float to be sure: then stores nothing and the caller recomputes the lanes with scalar code.
     */
    private static boolean storeIfSure(DoubleVector v, float[] o, int at) {
        FloatVector f = narrow(v);
        if (!narrow(v.mul(BELOW)).compare(VectorOperators.EQ, narrow(v.mul(ABOVE))).allTrue()) return false;
        f.intoArray(o, at);
        return true;
    }

    private static FloatVector narrow(DoubleVector v) {
        return (FloatVector) v.convertShape(VectorOperators.D2F, F, 0);
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

package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.racro4j.core.BinaryOp;
import org.racro4j.core.UnaryOp;

/**
 * The vector loops of {@link CpuElementwise} for unit-stride runs; only reached when {@link VectorApi#ENABLED}.
 * Each returns false for an op it does not vectorise, and the caller's plain loop runs instead.
 */
final class LaneElementwise {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private LaneElementwise() {}

    /*
     * Only ops whose lanes round exactly like the scalar loop are vectorised. Transcendental lanewise ops (EXP, TANH, ...)
     * are not: before C2 compiles a loop they run through a scalar Java fallback and afterwards through SVML stubs,
     * whose results differ in the last bits, so a run would depend on JIT timing (a SiLU in lanes broke the bitwise
     * equality of a killed-and-resumed run with an uninterrupted one in the same JVM).
     */
    static boolean unary(UnaryOp op, float[] x, int xo, float[] o, int oo, int n, float p0, float p1) {
        int i = 0;
        int bound = F.loopBound(n);
        switch (op) {
            case NEG -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).neg().intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = -x[xo + i];
            }
            case RELU -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).max(0f).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = Math.max(x[xo + i], 0f);
            }
            case ADD_SCALAR -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).add(p0).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = x[xo + i] + p0;
            }
            case MUL_SCALAR -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).mul(p0).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = x[xo + i] * p0;
            }
            case CLAMP -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).max(p0).min(p1).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = Math.min(Math.max(x[xo + i], p0), p1);
            }
            case ABS -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).abs().intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = Math.abs(x[xo + i]);
            }
            case SQRT -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).lanewise(VectorOperators.SQRT).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = (float) Math.sqrt(x[xo + i]);
            }
            // exp and the sigmoid family through LaneExp, which gives exactly the scalar loop's bits
            case EXP -> LaneExp.exp(x, xo, 0f, o, oo, n);
            case SIGMOID -> LaneExp.sigmoid(x, xo, o, oo, n);
            case SILU -> LaneExp.silu(x, xo, o, oo, n);
            case SILU_GRAD -> LaneExp.siluGrad(x, xo, o, oo, n);
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * Vector loops for the arithmetic ops on unit-stride a and out, b unit-stride or a broadcast scalar. One loop
     * per operator: C2 only compiles lanewise operators to vector instructions when the operator is a constant.
     */
    static boolean binary(BinaryOp op, float[] a, int ao, float[] b, int bo, int bs, float[] o, int oo, int n) {
        if (op != BinaryOp.ADD && op != BinaryOp.SUB && op != BinaryOp.MUL && op != BinaryOp.DIV) return false;
        int i = 0;
        int bound = F.loopBound(n);
        if (bs == 1) {
            switch (op) {
                case ADD -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).add(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
                }
                case SUB -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).sub(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
                }
                case MUL -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).mul(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
                }
                default -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).div(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
                }
            }
            for (; i < n; i++) o[oo + i] = scalar(op, a[ao + i], b[bo + i]);
        } else {
            float y = b[bo];
            switch (op) {
                case ADD -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).add(y).intoArray(o, oo + i);
                }
                case SUB -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).sub(y).intoArray(o, oo + i);
                }
                case MUL -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).mul(y).intoArray(o, oo + i);
                }
                default -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).div(y).intoArray(o, oo + i);
                }
            }
            for (; i < n; i++) o[oo + i] = scalar(op, a[ao + i], y);
        }
        return true;
    }

    /**
     * o = c != 0 ? a : b over a unit-stride run of c and o, with a and b each unit-stride ({@code as}, {@code bs} 1) or
     * one broadcast value (0): a masked blend, which picks the same values as the scalar select (NaN selects a,
     * -0 selects b).
     */
    static void where(float[] c, int co, float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            VectorMask<Float> pick = FloatVector.fromArray(F, c, co + i).compare(VectorOperators.NE, 0f);
            FloatVector x = as == 1 ? FloatVector.fromArray(F, a, ao + i) : FloatVector.broadcast(F, a[ao]);
            FloatVector y = bs == 1 ? FloatVector.fromArray(F, b, bo + i) : FloatVector.broadcast(F, b[bo]);
            y.blend(x, pick).intoArray(o, oo + i);
        }
        for (; i < n; i++) o[oo + i] = c[co + i] != 0f ? a[ao + i * as] : b[bo + i * bs];
    }

    private static float scalar(BinaryOp op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            default -> throw new AssertionError(op);
        };
    }
}

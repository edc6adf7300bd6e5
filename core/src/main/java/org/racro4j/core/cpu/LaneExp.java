package org.racro4j.core.cpu;

import static org.racro4j.core.cpu.CpuMath.EXP_HIGH;
import static org.racro4j.core.cpu.CpuMath.EXP_LOW;
import static org.racro4j.core.cpu.CpuMath.EXP_P0;
import static org.racro4j.core.cpu.CpuMath.EXP_P1;
import static org.racro4j.core.cpu.CpuMath.EXP_P2;
import static org.racro4j.core.cpu.CpuMath.EXP_P3;
import static org.racro4j.core.cpu.CpuMath.EXP_P4;
import static org.racro4j.core.cpu.CpuMath.EXP_P5;
import static org.racro4j.core.cpu.CpuMath.EXP_SHIFTER;
import static org.racro4j.core.cpu.CpuMath.EXP_SHIFTER_BITS;
import static org.racro4j.core.cpu.CpuMath.LN2_HI;
import static org.racro4j.core.cpu.CpuMath.LN2_LO;
import static org.racro4j.core.cpu.CpuMath.LOG2E;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp and the sigmoid family over runs of floats in vector lanes, with exactly the bits of the scalar
 * {@link CpuMath#exp}, {@link CpuMath#sigmoid}, {@link CpuMath#silu} and {@link CpuMath#siluGrad}: the same float
 * operations in the same order (fused multiply-adds are exactly rounded in lanes and in Math.fma alike). The Vector
 * API's own EXP cannot be used: its results change in the last bits once C2 compiles a loop.
 *
 * <p>Only float vectors of the preferred shape, and no vector passed to or returned from a method of ours: C2 keeps
 * vectors in registers only within one compiled method, and a helper it compiled on its own first may later be
 * too big to inline, so its vectors are boxed on the heap at every call. The one polynomial sits in {@link #exp}'s
 * loop, and the sigmoid family runs it over a block of -|x| before its own arithmetic. (The JDK's shared vector
 * methods keep one type profile for all callers: when this class ran half-width float vectors, C2 lost the vector
 * class where other kernels stored theirs and boxed those too.)
 */
final class LaneExp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The functions of {@link #sigmoidFamily}. */
    private static final int SIGMOID = 0;
    private static final int SILU = 1;
    private static final int SILU_GRAD = 2;
    /** Elements per pass through the scratch block (1 KiB: it stays in the L1 cache). */
    private static final int BLOCK = 256;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[BLOCK]);

    private LaneExp() {}

    /** o[oo + i] = CpuMath.exp(x[xo + i] - shift) for i in [0, n), CpuMath.exp operation for operation; o may be x. */
    static void exp(float[] x, int xo, float shift, float[] o, int oo, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i).sub(shift).max(EXP_LOW).min(EXP_HIGH);
            FloatVector t = v.fma(LOG2E, EXP_SHIFTER);
            FloatVector k = t.sub(EXP_SHIFTER);
            FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), v);
            r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector p = FloatVector.broadcast(F, EXP_P0).fma(r, FloatVector.broadcast(F, EXP_P1));
            p = p.fma(r, FloatVector.broadcast(F, EXP_P2));
            p = p.fma(r, FloatVector.broadcast(F, EXP_P3));
            p = p.fma(r, FloatVector.broadcast(F, EXP_P4));
            p = p.fma(r, FloatVector.broadcast(F, EXP_P5));
            FloatVector y = p.fma(r.mul(r), r).add(1f);
            // 2^k in two halves, as floats built from exponent bits
            IntVector ki = t.reinterpretAsInts().sub(EXP_SHIFTER_BITS);
            IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
            FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = ki.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            y.mul(s1).mul(s2).intoArray(o, oo + i);
        }
        for (; i < n; i++) o[oo + i] = CpuMath.exp(x[xo + i] - shift);
    }

    /** o[oo + i] = CpuMath.sigmoid(x[xo + i]) for i in [0, n); o may be x. */
    static void sigmoid(float[] x, int xo, float[] o, int oo, int n) {
        sigmoidFamily(SIGMOID, x, xo, o, oo, n);
    }

    /** o[oo + i] = CpuMath.silu(x[xo + i]) for i in [0, n); o may be x. */
    static void silu(float[] x, int xo, float[] o, int oo, int n) {
        sigmoidFamily(SILU, x, xo, o, oo, n);
    }

    /** o[oo + i] = CpuMath.siluGrad(x[xo + i]) for i in [0, n); o may be x. */
    static void siluGrad(float[] x, int xo, float[] o, int oo, int n) {
        sigmoidFamily(SILU_GRAD, x, xo, o, oo, n);
    }

    /** One of the sigmoid family over [0, n), a block at a time: e = exp(-|x|) into scratch, then the function of x and e. */
    private static void sigmoidFamily(int function, float[] x, int xo, float[] o, int oo, int n) {
        float[] e = SCRATCH.get();
        for (int b = 0; b < n; b += BLOCK) {
            int m = Math.min(BLOCK, n - b);
            int xb = xo + b;
            int ob = oo + b;
            int bound = F.loopBound(m);
            int i = 0;
            for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xb + i).abs().neg().intoArray(e, i);
            for (; i < m; i++) e[i] = -Math.abs(x[xb + i]);
            exp(e, 0, 0f, e, 0, m);
            // sigmoid = (x >= 0 ? 1 : e) / (1 + e), then silu = x sigmoid, siluGrad = s (1 + x (1 - s)), as CpuMath has
            // them; a loop per function, so that no vector merges two branches
            i = 0;
            switch (function) {
                case SIGMOID -> {
                    for (; i < bound; i += F.length()) {
                        FloatVector v = FloatVector.fromArray(F, x, xb + i);
                        FloatVector ev = FloatVector.fromArray(F, e, i);
                        ev.blend(1f, v.compare(VectorOperators.GE, 0f)).div(ev.add(1f)).intoArray(o, ob + i);
                    }
                }
                case SILU -> {
                    for (; i < bound; i += F.length()) {
                        FloatVector v = FloatVector.fromArray(F, x, xb + i);
                        FloatVector ev = FloatVector.fromArray(F, e, i);
                        v.mul(ev.blend(1f, v.compare(VectorOperators.GE, 0f)).div(ev.add(1f))).intoArray(o, ob + i);
                    }
                }
                default -> {
                    for (; i < bound; i += F.length()) {
                        FloatVector v = FloatVector.fromArray(F, x, xb + i);
                        FloatVector ev = FloatVector.fromArray(F, e, i);
                        FloatVector s = ev.blend(1f, v.compare(VectorOperators.GE, 0f)).div(ev.add(1f));
                        s.mul(v.mul(s.neg().add(1f)).add(1f)).intoArray(o, ob + i);
                    }
                }
            }
            for (; i < m; i++) {
                float v = x[xb + i];
                o[ob + i] = function == SIGMOID ? CpuMath.sigmoid(v) : function == SILU ? CpuMath.silu(v) : CpuMath.siluGrad(v);
            }
        }
    }
}

package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The AdamW update of {@link CpuAdamW} in vector lanes; only reached when {@link VectorApi#ENABLED}. The same float
 * operations in the same order as the scalar loop (separate multiplies and adds, no fused multiply-add; a float square
 * root, which equals the scalar code's double root rounded to float), so both give the same bits.
 */
final class LaneAdamW {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private LaneAdamW() {}

    /** Elements [s, e) of one tensor; the tail past the last whole vector goes through the scalar loop. */
    static void update(float[] pr, float[] ps, int po, float[] gs, int go, float[] mm, int mo, float[] vv, int vo, int s, int e,
                       CpuAdamW.Constants c) {
        int i = s;
        int bound = s + F.loopBound(e - s);
        FloatVector b1 = FloatVector.broadcast(F, c.beta1());
        FloatVector oneMinusB1 = FloatVector.broadcast(F, 1f - c.beta1());
        FloatVector b2 = FloatVector.broadcast(F, c.beta2());
        FloatVector oneMinusB2 = FloatVector.broadcast(F, 1f - c.beta2());
        for (; i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gs, go + i);
            FloatVector m = b1.mul(FloatVector.fromArray(F, mm, mo + i)).add(oneMinusB1.mul(g));
            FloatVector v = b2.mul(FloatVector.fromArray(F, vv, vo + i)).add(oneMinusB2.mul(g).mul(g));
            m.intoArray(mm, mo + i);
            v.intoArray(vv, vo + i);
            FloatVector denom = v.lanewise(VectorOperators.SQRT).mul(c.invSqrtBc2()).add(c.eps());
            FloatVector p = FloatVector.fromArray(F, pr, po + i).mul(c.decay()).sub(m.mul(c.stepSize()).div(denom));
            p.intoArray(ps, po + i);
        }
        CpuAdamW.updateScalar(pr, ps, po, gs, go, mm, mo, vv, vo, i, e, c);
    }
}

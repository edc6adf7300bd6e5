package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * BF16 bits to floats in vector lanes; only reached when {@link VectorApi#ENABLED}. A bfloat16 is the top half of a
 * float, so the conversion is exact: widen each 16-bit lane to 32 bits and shift it left by 16 (the sign extension
 * of the widening is shifted out).
 */
final class LaneHalf {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** As many shorts as F has floats: half F's bit size. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private LaneHalf() {}

    /** dst[at + i] = the float of BF16 bits h[from + i], for i < n. */
    static void bf16ToFloats(short[] h, int from, float[] dst, int at, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            IntVector wide = (IntVector) ShortVector.fromArray(S, h, from + i).convertShape(VectorOperators.S2I, I, 0);
            wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, at + i);
        }
        for (; i < n; i++) dst[at + i] = Float.intBitsToFloat(h[from + i] << 16);
    }
}

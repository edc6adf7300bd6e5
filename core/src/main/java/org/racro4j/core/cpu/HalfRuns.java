package org.racro4j.core.cpu;

import org.racro4j.core.DType;
import org.racro4j.core.HalfFloats;

/**
 * BF16/F16 bits read as floats a few at a time, for kernels that take a half-precision operand in place (a frozen
 * model's weights) instead of converting its whole storage: plain loops, usable with or without the Vector API.
 */
final class HalfRuns {
    private HalfRuns() {}

    /** Whether t's elements are 16-bit floats (short[] storage). */
    static boolean isHalf(DType t) {
        return t == DType.BF16 || t == DType.F16;
    }

    /** The float value of BF16 bits (bf16) or F16 bits. */
    static float toFloat(short h, boolean bf16) {
        return bf16 ? Float.intBitsToFloat(h << 16) : HalfFloats.f16ToFloat(h);
    }

    /** dst[at + i] = the float of h[from + i*step], for i < n. */
    static void toFloats(short[] h, int from, int step, boolean bf16, float[] dst, int at, int n) {
        if (bf16) {
            for (int i = 0, s = from; i < n; i++, s += step) dst[at + i] = Float.intBitsToFloat(h[s] << 16);
        } else {
            for (int i = 0, s = from; i < n; i++, s += step) dst[at + i] = HalfFloats.f16ToFloat(h[s]);
        }
    }
}

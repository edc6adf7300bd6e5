package org.racro4j.core;

/**
 * Conversions between F32 and the 16-bit storage formats, bit-exact with PyTorch and CUDA's intrinsics:
 * round to nearest, ties to even; NaN stays NaN; overflow becomes infinity.
 */
public final class HalfFloats {
    private HalfFloats() {}

    /** bfloat16 is the top half of an IEEE float: 1 sign, 8 exponent, 7 mantissa bits. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x0040); // quiet NaN
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
    public static short floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) return (short) (sign | 0x7e00); // NaN
        if (abs >= 0x477ff000) return (short) (sign | 0x7c00); // rounds to >= 65520: infinity
        if (abs >= 0x38800000) { // normal half: exponent >= -14
            int rounded = abs + 0x0fff + ((abs >>> 13) & 1);
            return (short) (sign | ((rounded - 0x38000000) >>> 13));
        }
        if (abs < 0x33000000) return (short) sign; // below half the smallest subnormal: zero
        // Subnormal half: value = m * 2^-24 with m < 1024. Shift the full 24-bit significand down,
        // rounding to nearest even.
        int exp = abs >>> 23;
        int mant = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - exp; // 13 + (-14 - (exp - 127))
        int half = mant >>> shift;
        int rem = mant & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rem > halfway || (rem == halfway && (half & 1) == 1)) half++;
        return (short) (sign | half);
    }

    public static float f16ToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp != 0) return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
        if (mant == 0) return Float.intBitsToFloat(sign);
        float v = mant * 0x1p-24f; // subnormal: exact in float
        return sign != 0 ? -v : v;
    }
}

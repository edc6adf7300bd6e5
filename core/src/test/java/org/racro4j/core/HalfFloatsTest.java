package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * HalfFloats against the IEEE definitions: known bit patterns, every 16-bit pattern round-tripped, and rounding
 * of floats compared with a brute-force "nearest representable value, ties to even" reference.
 */
class HalfFloatsTest {

    private static void f16(int expectedBits, float f) {
        assertEquals(expectedBits, HalfFloats.floatToF16(f) & 0xffff,
                () -> String.format("f16(%s = 0x%08x): expected 0x%04x, got 0x%04x", f, Float.floatToRawIntBits(f), expectedBits,
                        HalfFloats.floatToF16(f) & 0xffff));
    }

    private static void bf16(int expectedBits, float f) {
        assertEquals(expectedBits, HalfFloats.floatToBf16(f) & 0xffff,
                () -> String.format("bf16(%s = 0x%08x): expected 0x%04x, got 0x%04x", f, Float.floatToRawIntBits(f), expectedBits,
                        HalfFloats.floatToBf16(f) & 0xffff));
    }

    private static float bits(int b) {
        return Float.intBitsToFloat(b);
    }

    @Test
    void knownF16Encodings() {
        f16(0x3C00, 1f);
        f16(0xC000, -2f);
        f16(0x3800, 0.5f);
        f16(0x3555, 1f / 3);          // 0x3555 = 0.333251953125, the nearest half to 1/3
        f16(0x7BFF, 65504f);          // the largest finite half
        f16(0x7BFF, 65519.99f);       // below the midpoint to 65536: rounds down
        f16(0x7C00, 65520f);          // the midpoint: ties to even = the (odd-free) infinity
        f16(0x7C00, 1e5f);
        f16(0xFC00, -1e5f);
        f16(0x7C00, Float.POSITIVE_INFINITY);
        f16(0xFC00, Float.NEGATIVE_INFINITY);
        f16(0x0000, 0f);
        f16(0x8000, -0f);
    }

    @Test
    void f16TiesGoToEven() {
        f16(0x3C00, 1f + 0x1p-11f);                 // halfway between 0x3C00 and 0x3C01: even is 0x3C00
        f16(0x3C02, 1f + 3 * 0x1p-11f);             // halfway between 0x3C01 and 0x3C02: even is 0x3C02
        f16(0x3C01, 1f + 0x1p-11f + 0x1p-20f);      // just above halfway
        f16(0x3C01, Math.nextUp(1f + 0x1p-11f));
        f16(0xBC00, -(1f + 0x1p-11f));
    }

    @Test
    void f16Subnormals() {
        f16(0x0001, 0x1p-24f);                      // the smallest subnormal
        f16(0x0000, 0x1p-25f);                      // half of it: a tie, to even (zero)
        f16(0x0001, Math.nextUp(0x1p-25f));
        f16(0x0002, 3 * 0x1p-25f);                  // 1.5 * 2^-24: tie between 1 and 2, to 2
        f16(0x03FF, 1023 * 0x1p-24f);               // the largest subnormal
        f16(0x0400, 0x1p-14f);                      // the smallest normal
        f16(0x0400, 1023.5f * 0x1p-24f);            // tie between 0x03FF and 0x0400, to even 0x0400
        f16(0x8001, -0x1p-24f);
        f16(0x0000, 1e-10f);
        f16(0x8000, -1e-10f);
        assertEquals(0x1p-24f, HalfFloats.f16ToFloat((short) 0x0001));
        assertEquals(1023 * 0x1p-24f, HalfFloats.f16ToFloat((short) 0x03FF));
        assertEquals(-0x1p-24f, HalfFloats.f16ToFloat((short) 0x8001));
    }

    @Test
    void knownBf16Encodings() {
        bf16(0x3F80, 1f);
        bf16(0xC000, -2f);
        bf16(0x3F80, 1f + 0x1p-8f);                 // tie, to even
        bf16(0x3F82, 1f + 3 * 0x1p-8f);             // tie, to even (up)
        bf16(0x3F81, bits(0x3F808001));             // just above halfway
        bf16(0x7F7F, bits(0x7F7F7FFF));             // just below the midpoint to 2^128
        bf16(0x7F80, Float.MAX_VALUE);              // rounds past the largest bf16: infinity
        bf16(0x7F80, Float.POSITIVE_INFINITY);
        bf16(0xFF80, Float.NEGATIVE_INFINITY);
        bf16(0x0000, bits(0x00008000));             // subnormal tie to even (zero)
        bf16(0x0002, bits(0x00018000));             // subnormal tie to even (up)
        bf16(0x0000, 0f);
        bf16(0x8000, -0f);
    }

    @Test
    void nanStaysNaN() {
        for (int nan : new int[] {0x7FC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF, 0x7F801000, 0xFFC00000}) {
            float f = bits(nan);
            short h = HalfFloats.floatToF16(f);
            assertTrue((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0, String.format("f16 of NaN 0x%08x is 0x%04x", nan, h));
            short b = HalfFloats.floatToBf16(f);
            assertTrue((b & 0x7F80) == 0x7F80 && (b & 0x007F) != 0, String.format("bf16 of NaN 0x%08x is 0x%04x", nan, b));
        }
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0x7E00)));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0xFC01)));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat((short) 0x7FC0)));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat((short) 0xFF81)));
    }

    private static boolean isF16NaN(int h) {
        return (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0;
    }

    private static boolean isBf16NaN(int h) {
        return (h & 0x7F80) == 0x7F80 && (h & 0x007F) != 0;
    }

    @Test
    void everyF16BitPatternRoundTripsThroughFloat() {
        for (int h = 0; h < 65536; h++) {
            float f = HalfFloats.f16ToFloat((short) h);
            if (isF16NaN(h)) {
                assertTrue(Float.isNaN(f), "pattern " + h);
                assertTrue(isF16NaN(HalfFloats.floatToF16(f) & 0xffff));
                continue;
            }
            int back = HalfFloats.floatToF16(f) & 0xffff;
            if (back != h) fail(String.format("f16 0x%04x -> %s -> 0x%04x", h, f, back));
        }
    }

    @Test
    void everyBf16BitPatternRoundTripsThroughFloat() {
        for (int h = 0; h < 65536; h++) {
            float f = HalfFloats.bf16ToFloat((short) h);
            assertEquals(h << 16, Float.floatToRawIntBits(f), "bf16 widening is exact");
            if (isBf16NaN(h)) {
                assertTrue(isBf16NaN(HalfFloats.floatToBf16(f) & 0xffff));
                continue;
            }
            int back = HalfFloats.floatToBf16(f) & 0xffff;
            if (back != h) fail(String.format("bf16 0x%04x -> %s -> 0x%04x", h, f, back));
        }
    }

    // ------------------------------------------------------------------------------------------ brute-force reference

    /** Value of a non-negative f16 pattern in 0..0x7C00, with 0x7C00 read as 2^16 (the unbounded-exponent value). */
    private static final double[] F16_VALUES = new double[0x7C01];

    static {
        for (int h = 0; h <= 0x7C00; h++) {
            int e = h >> 10;
            int m = h & 0x3FF;
            F16_VALUES[h] = e == 0 ? m * 0x1p-24 : (1024 + m) * Math.pow(2, e - 25);
        }
    }

    /** Nearest f16 by search over all values, ties to the even pattern; beyond the range: infinity. */
    private static int f16Reference(float f) {
        double a = Math.abs((double) f);
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        if (a >= F16_VALUES[0x7C00]) return sign | 0x7C00;
        int lo = 0;
        int hi = 0x7C00;
        while (hi - lo > 1) { // F16_VALUES[lo] <= a < F16_VALUES[hi]
            int mid = (lo + hi) >>> 1;
            if (F16_VALUES[mid] <= a) lo = mid;
            else hi = mid;
        }
        double dLo = a - F16_VALUES[lo];
        double dHi = F16_VALUES[hi] - a;
        int pick = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 == 0 ? lo : hi);
        return sign | pick;
    }

    /** Nearest bf16: the two candidates around f, compared in double; 0x7F80 stands for 2^128. */
    private static int bf16Reference(float f) {
        int b = Float.floatToRawIntBits(f);
        int sign = b & 0x80000000;
        int mag = b & 0x7FFFFFFF;
        int lo = mag >>> 16;
        int hi = lo + 1;
        double a = Float.intBitsToFloat(mag);
        double vLo = Float.intBitsToFloat(lo << 16);
        double vHi = hi == 0x7F80 ? 0x1p128 : Float.intBitsToFloat(hi << 16);
        if (lo == 0x7F80) return (sign >>> 16) | 0x7F80; // infinity stays infinity
        double dLo = a - vLo;
        double dHi = vHi - a;
        int pick = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 == 0 ? lo : hi);
        return (sign >>> 16) | pick;
    }

    private static void compareWithReference(float f) {
        if (Float.isNaN(f)) return;
        int ref16 = f16Reference(f);
        int got16 = HalfFloats.floatToF16(f) & 0xffff;
        if (ref16 != got16) fail(String.format("f16(%s = 0x%08x): reference 0x%04x, got 0x%04x", f, Float.floatToRawIntBits(f), ref16, got16));
        int refB = bf16Reference(f);
        int gotB = HalfFloats.floatToBf16(f) & 0xffff;
        if (refB != gotB) fail(String.format("bf16(%s = 0x%08x): reference 0x%04x, got 0x%04x", f, Float.floatToRawIntBits(f), refB, gotB));
    }

    @Test
    void roundingOfEveryMidpointAndItsNeighboursMatchesTheReference() {
        for (int h = 0; h < 0x7C00; h++) {
            float mid = (float) ((F16_VALUES[h] + F16_VALUES[h + 1]) / 2); // 12 significant bits: exact in float
            for (float f : new float[] {mid, Math.nextUp(mid), Math.nextDown(mid), -mid, (float) F16_VALUES[h]}) compareWithReference(f);
        }
        for (int h = 0; h < 0x7F80; h++) {
            float mid = bits((h << 16) | 0x8000);
            for (float f : new float[] {mid, Math.nextUp(mid), Math.nextDown(mid), -mid}) compareWithReference(f);
        }
    }

    @Test
    void roundingOfRandomFloatsMatchesTheReference() {
        SplittableRandom r = new SplittableRandom(2024);
        for (int i = 0; i < 200_000; i++) {
            // random bit patterns cover every exponent; a second stream concentrates on the f16 range
            compareWithReference(bits(r.nextInt()));
            compareWithReference((float) ((r.nextDouble() * 2 - 1) * Math.pow(2, r.nextInt(-26, 17))));
        }
    }
}

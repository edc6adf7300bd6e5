package org.racro4j.core.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;

/** Philox4x32-10 known answers and the stream specification of random/Philox.java. */
class PhiloxTest {

    /**
     * Known-answer vectors of philox4x32 with 10 rounds: counter words c0..c3, key words k0, k1, expected output
     * w0..w3. The first three are the "philox4x32 10" lines of Random123's kat_vectors (D. E. Shaw Research,
     * Random123 distribution, examples/kat_vectors, also quoted verbatim in Random123-Boost's known-answer test);
     * the others are "philox4x32 10" lines of the generated kat_vectors file of the Random123 manual
     * (github.com/girving/random123-manual, examples/kat_vectors).
     */
    private static final long[][] KAT = {
            {0x00000000L, 0x00000000L, 0x00000000L, 0x00000000L, 0x00000000L, 0x00000000L, 0x6627e8d5L, 0xe169c58dL, 0xbc57ac4cL, 0x9b00dbd8L},
            {0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0x408f276dL, 0x41c83b0eL, 0xa20bc7c6L, 0x6d5451fdL},
            {0x243f6a88L, 0x85a308d3L, 0x13198a2eL, 0x03707344L, 0xa4093822L, 0x299f31d0L, 0xd16cfe09L, 0x94fdccebL, 0x5001e420L, 0x24126ea1L},
            {0x00000001L, 0x00000000L, 0x00000000L, 0x00000000L, 0x00000001L, 0x00000000L, 0xac08141bL, 0xdfc5ccbeL, 0x79c07a47L, 0xa7f66093L},
            {0x243f6a88L, 0x85a308d3L, 0x13198a2eL, 0x03707344L, 0x00000001L, 0x00000000L, 0x38527b8fL, 0xfad9a48cL, 0x20e675c0L, 0xf2fea26aL},
            {0x00000000L, 0x00000000L, 0x00000000L, 0xffffffffL, 0x00000000L, 0xffffffffL, 0x9f18bb20L, 0x62161056L, 0x7ea8c028L, 0x4c01fc6eL},
            {0x452821e6L, 0x38d01377L, 0xbe5466cfL, 0x34e90c6cL, 0x00000000L, 0x80000000L, 0x94ca5566L, 0x14924b2fL, 0x28214292L, 0x59faeaeeL},
            {0x00000000L, 0x80000000L, 0x00000000L, 0x00000000L, 0x00000000L, 0x00000001L, 0xce1afc4eL, 0x4fbf97a1L, 0x6110bee9L, 0xa559be2fL},
    };

    @Test
    void blockFunctionMatchesRandom123KnownAnswers() {
        int[] out = new int[4];
        for (long[] v : KAT) {
            Philox.block((int) v[0], (int) v[1], (int) v[2], (int) v[3], (int) v[4], (int) v[5], out);
            int[] expected = {(int) v[6], (int) v[7], (int) v[8], (int) v[9]};
            assertArrayEquals(expected, out, String.format("philox4x32-10 ctr=%08x %08x %08x %08x key=%08x %08x", v[0], v[1], v[2], v[3], v[4], v[5]));
        }
    }

    /** Word i of a fill, straight from the specification: block offset + i/4, word i mod 4. */
    private static int word(long seed, long offset, long i) {
        int[] w = new int[4];
        long ctr = offset + i / 4;
        Philox.block((int) ctr, (int) (ctr >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), w);
        return w[(int) (i % 4)];
    }

    @Test
    void uniformFillFollowsTheStreamSpecificationBitForBit() {
        long seed = 0x1234_5678_9ABC_DEF0L;
        Generator gen = new Generator(seed, (1L << 32) - 2); // the counter's low word wraps inside this fill
        try (Scope s = Scope.open()) {
            float[] got = Tensor.rand(gen, 3, 7).toFloatArray();
            for (int i = 0; i < got.length; i++) {
                float expected = (word(seed, (1L << 32) - 2, i) >>> 8) * 0x1p-24f;
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got[i]), "element " + i);
            }
            float[] u = Tensor.uniform(new Generator(5), -2f, 3f, DType.F32, Device.CPU, 11).toFloatArray();
            for (int i = 0; i < u.length; i++) {
                float expected = -2f + 5f * ((word(5, 0, i) >>> 8) * 0x1p-24f);
                assertEquals(expected, u[i], 0f, "uniform(-2, 3) element " + i);
            }
        }
    }

    @Test
    void normalFillFollowsTheBoxMullerSpecification() {
        long seed = 99;
        try (Scope s = Scope.open()) {
            float[] got = Tensor.randn(new Generator(seed, 17), 2, 5).toFloatArray(); // 10 values: blocks 17, 18, 19
            for (int i = 0; i < got.length; i++) {
                int pair = i & ~1;
                double u1 = ((word(seed, 17, pair) >>> 8) + 1) * 0x1p-24;
                double u2 = (word(seed, 17, pair + 1) >>> 8) * 0x1p-24;
                double r = Math.sqrt(-2 * Math.log(u1));
                double z = i % 2 == 0 ? r * Math.cos(2 * Math.PI * u2) : r * Math.sin(2 * Math.PI * u2);
                assertEquals((float) z, got[i], 0f, "normal element " + i);
            }
        }
    }

    @Test
    void splittingAFillIntoRangesGivesTheSameNumbers() {
        for (boolean normal : new boolean[] {false, true}) {
            int n = 103;
            float[] whole = new float[n];
            Philox.fill(whole, 0, 42, 7, normal, 0.5f, 2f, 0, n);
            float[] pieces = new float[n + 3];
            int[] cuts = {0, 1, 5, 6, 50, 51, 103};
            for (int c = 0; c + 1 < cuts.length; c++) Philox.fill(pieces, 3, 42, 7, normal, 0.5f, 2f, cuts[c], cuts[c + 1]);
            assertArrayEquals(whole, java.util.Arrays.copyOfRange(pieces, 3, n + 3), "normal=" + normal);
        }
    }

    @Test
    void aLargeParallelFillEqualsTheSerialStream() {
        int n = 100_003; // more blocks than one thread's grain
        float[] serial = new float[n];
        Philox.fill(serial, 0, 77, 1000, true, 0f, 1f, 0, n);
        try (Scope s = Scope.open()) {
            assertArrayEquals(serial, Tensor.randn(new Generator(77, 1000), n).toFloatArray());
        }
    }

    @Test
    void generatorReservesCeilNOverFourBlocksPerFill() {
        Generator gen = new Generator(3);
        try (Scope s = Scope.open()) {
            Tensor.rand(gen, 10);
            assertEquals(3, gen.offset());
            Tensor.rand(gen, 8);
            assertEquals(5, gen.offset());
            Tensor.randn(gen, 1);
            assertEquals(6, gen.offset());
            Tensor.rand(gen, 0);
            assertEquals(6, gen.offset());
            assertEquals(6, gen.reserve(5));
            assertEquals(8, gen.offset());
            assertEquals(2, Philox.blocksFor(5));
            assertEquals(0, Philox.blocksFor(0));
        }
    }

    @Test
    void consecutiveFillsContinueTheStreamWithoutReuse() {
        try (Scope s = Scope.open()) {
            Generator gen = new Generator(11);
            float[] a = Tensor.rand(gen, 6).toFloatArray(); // blocks 0, 1
            float[] b = Tensor.rand(gen, 4).toFloatArray(); // block 2
            float[] all = Tensor.rand(new Generator(11), 12).toFloatArray();
            assertArrayEquals(java.util.Arrays.copyOfRange(all, 0, 6), a);
            assertArrayEquals(java.util.Arrays.copyOfRange(all, 8, 12), b, "the second fill starts at block 2, not at element 6");
            Generator restored = new Generator(11, gen.offset());
            assertArrayEquals(Tensor.rand(gen, 5).toFloatArray(), Tensor.rand(restored, 5).toFloatArray(), "(seed, offset) is the whole state");
            assertNotEquals(Tensor.rand(new Generator(12), 4).toFloatArray()[0], Tensor.rand(new Generator(11), 4).toFloatArray()[0]);
        }
    }

    @Test
    void uniformValuesLieInTheHalfOpenUnitInterval() {
        assertEquals(0f, Philox.uniform(0));
        assertEquals(0f, Philox.uniform(0xff));
        assertEquals(1f - 0x1p-24f, Philox.uniform(0xffffffff));
        assertTrue(Philox.uniform(0xffffffff) < 1f);
        int n = 100_000;
        try (Scope s = Scope.open()) {
            float[] u = Tensor.rand(new Generator(2024), n).toFloatArray();
            double sum = 0;
            float min = 1;
            float max = 0;
            for (float v : u) {
                assertTrue(v >= 0f && v < 1f, "value " + v);
                sum += v;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            // mean: standard error sqrt(1/12/n) = 9.1e-4; 5 sigma
            assertEquals(0.5, sum / n, 5 * Math.sqrt(1.0 / 12 / n));
            assertTrue(min < 1e-3 && max > 1 - 1e-3);
            // every tenth of the interval holds ~n/10 values (binomial sd ~95); 6 sd
            int[] bins = new int[10];
            for (float v : u) bins[(int) (v * 10)]++;
            for (int b : bins) assertEquals(n / 10.0, b, 6 * Math.sqrt(n * 0.1 * 0.9));
        }
    }

    @Test
    void normalSamplesHaveMeanZeroAndUnitStd() {
        int n = 100_000;
        try (Scope s = Scope.open()) {
            float[] z = Tensor.randn(new Generator(31337), n).toFloatArray();
            double sum = 0;
            double sq = 0;
            int beyond2 = 0;
            for (float v : z) {
                assertTrue(Float.isFinite(v));
                sum += v;
                sq += (double) v * v;
                if (Math.abs(v) > 2) beyond2++;
            }
            double mean = sum / n;
            double std = Math.sqrt(sq / n - mean * mean);
            assertEquals(0, mean, 5 / Math.sqrt(n));              // standard error 1/sqrt(n)
            assertEquals(1, std, 5 * Math.sqrt(0.5 / n));         // standard error of the std ~ 1/sqrt(2n)
            // P(|Z| > 2) = 0.0455; binomial sd ~ 66
            assertEquals(0.0455 * n, beyond2, 6 * Math.sqrt(n * 0.0455 * 0.9545));
            float[] shifted = Tensor.randn(new Generator(31337), DType.F32, Device.CPU, 4).toFloatArray();
            assertArrayEquals(java.util.Arrays.copyOf(z, 4), shifted);
        }
    }

    @Test
    void halfPrecisionFillsRoundTheF32Stream() {
        try (Scope s = Scope.open()) {
            float[] f = Tensor.randn(new Generator(8), 37).toFloatArray();
            float[] b = Tensor.randn(new Generator(8), DType.BF16, Device.CPU, 37).toFloatArray();
            for (int i = 0; i < 37; i++) {
                assertEquals(org.racro4j.core.HalfFloats.bf16ToFloat(org.racro4j.core.HalfFloats.floatToBf16(f[i])), b[i], 0f);
            }
        }
    }

    @Test
    void generatorHostDrawsAreInRangeAndAdvanceOneBlock() {
        Generator g = new Generator(4);
        float f = g.nextFloat();
        assertTrue(f >= 0 && f < 1);
        assertEquals(1, g.offset());
        assertEquals((word(4, 0, 0) >>> 8) * 0x1p-24f, f, 0f);
        int[] counts = new int[7];
        for (int i = 0; i < 7000; i++) counts[g.nextInt(7)]++;
        for (int c : counts) assertEquals(1000, c, 6 * Math.sqrt(7000 / 7.0 * 6 / 7));
        assertEquals(7001, g.offset());
    }
}

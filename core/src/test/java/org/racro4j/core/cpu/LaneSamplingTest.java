package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * Sampling's vector loops against the plain loops they stand for, bit for bit: the first maximum and the row max
 * (ties, signed zeros, infinities, NaNs anywhere, rows shorter and longer than a vector), and a row's probabilities at
 * several temperatures.
 */
class LaneSamplingTest {
    @Test
    void firstMaxIsThePlainLoopsIndex() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : new int[] {1, 2, 5, 15, 16, 17, 31, 33, 100, 512, 517}) {
            for (int kind = 0; kind < 6; kind++) {
                for (int trial = 0; trial < 20; trial++) {
                    int base = rnd.nextInt(5);
                    float[] x = new float[base + n + 2];
                    for (int i = 0; i < x.length; i++) x[i] = value(kind, rnd);
                    int expected = 0;
                    for (int j = 1; j < n; j++) if (x[base + j] > x[base + expected]) expected = j;
                    int lanes = LaneSampling.firstMax(x, base, n);
                    boolean nan = false;
                    for (int j = 0; j < n; j++) nan |= Float.isNaN(x[base + j]);
                    String what = "n " + n + ", kind " + kind + ", trial " + trial;
                    if (nan) assertEquals(-1, lanes, what + ": a row with a NaN goes back to the plain loop");
                    else assertEquals(expected, lanes, what);
                    assertEquals(expected, CpuSampling.argmax(x, base, n), what + " (CpuSampling.argmax)");
                }
            }
        }
    }

    /** The row max softmax and cross-entropy take: the plain loop's value, bit for bit, on every kind of row. */
    @Test
    void laneMaxIsThePlainLoopsMax() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int n : new int[] {0, 1, 2, 15, 16, 17, 33, 100, 517}) {
            for (int kind = 0; kind < 6; kind++) {
                for (int trial = 0; trial < 10; trial++) {
                    int base = rnd.nextInt(5);
                    float[] x = new float[base + n + 2];
                    for (int i = 0; i < x.length; i++) x[i] = value(kind, rnd);
                    float expected = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) expected = Math.max(expected, x[base + j]);
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(LaneMax.of(x, base, n)),
                            "n " + n + ", kind " + kind + ", trial " + trial);
                }
            }
        }
    }

    @Test
    void probabilitiesHaveThePlainLoopsBits() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int n : new int[] {1, 3, 8, 9, 17, 100, 513, 2048}) {
            for (int kind = 0; kind < 3; kind++) {
                int base = rnd.nextInt(4);
                float[] x = new float[base + n];
                for (int i = 0; i < x.length; i++) x[i] = value(kind, rnd);
                for (float temperature : new float[] {1f, 0.7f, 0.05f, 3.3f}) {
                    double max = x[base + CpuSampling.argmax(x, base, n)];
                    double[] plain = new double[n];
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        plain[j] = Math.exp((x[base + j] - max) / temperature);
                        sum += plain[j];
                    }
                    for (int j = 0; j < n; j++) plain[j] /= sum;
                    double[] p = CpuSampling.probabilities(x, base, n, max, temperature);
                    for (int j = 0; j < n; j++) {
                        assertEquals(Double.doubleToLongBits(plain[j]), Double.doubleToLongBits(p[j]),
                                "n " + n + ", kind " + kind + ", T " + temperature + ", token " + j + ": " + p[j] + " vs " + plain[j]);
                    }
                }
            }
        }
    }

    /**
     * Kinds: 0 Gaussian logits; 1 a few distinct values (ties); 2 wide magnitudes with signed zeros; 3 with infinities;
     * 4 with NaNs; 5 all negative infinity but a few.
     */
    private static float value(int kind, SplittableRandom rnd) {
        switch (kind) {
            case 0:
                return (float) (rnd.nextGaussian() * 3);
            case 1:
                return rnd.nextInt(4) - 1.5f;
            case 2: {
                int r = rnd.nextInt(6);
                if (r == 0) return 0f;
                if (r == 1) return -0f;
                return (float) ((rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(-20, 20)));
            }
            case 3: {
                int r = rnd.nextInt(40);
                if (r == 0) return Float.POSITIVE_INFINITY;
                if (r == 1) return Float.NEGATIVE_INFINITY;
                return (float) rnd.nextGaussian();
            }
            case 4:
                return rnd.nextInt(60) == 0 ? Float.NaN : (float) rnd.nextGaussian();
            default:
                return rnd.nextInt(30) == 0 ? (float) rnd.nextGaussian() : Float.NEGATIVE_INFINITY;
        }
    }

    /**
     * approximateExp is within a relative 2^-49 of Math.exp (itself within an ulp of e^x, so within the 2^-48 of e^x that
     * BucketedWalk's margin allows), on arguments across [-700, 0] (uniform, near 0, near multiples of ln 2 / 2 where
     * the reduced argument is largest) and rows longer and shorter than a vector; below -700 it gives e^-700.
     */
    @Test
    void approximateExpIsWithinItsBoundOfMathExp() {
        SplittableRandom rnd = new SplittableRandom(13);
        double worst = 0;
        for (int n : new int[] {1, 3, 8, 9, 1000, 4099}) {
            double[] x = new double[n];
            for (int j = 0; j < n; j++) {
                x[j] = switch (j % 4) {
                    case 0 -> -700 * rnd.nextDouble();
                    case 1 -> -Math.pow(10, rnd.nextDouble(-17, 1));
                    case 2 -> -(rnd.nextInt(2000) + 0.5) * Math.log(2) / 2 + rnd.nextDouble(-1e-9, 1e-9);
                    default -> rnd.nextDouble(-40, 0);
                };
                if (x[j] > 0) x[j] = 0;
            }
            double[] got = new double[n];
            LaneSampling.approximateExp(x, n, got);
            for (int j = 0; j < n; j++) {
                double exact = Math.exp(Math.max(x[j], LaneSampling.APPROXIMATE_EXP_LOW));
                double relative = Math.abs(got[j] / exact - 1);
                worst = Math.max(worst, relative);
                assertTrue(relative <= 0x1p-49, "n " + n + ", x " + x[j] + ": " + got[j] + " vs Math.exp " + exact);
            }
        }
        assertTrue(worst > 0, "not Math.exp's bits everywhere: the test would not see a wrong bound");
        double[] low = {-701, -1e4, Double.NEGATIVE_INFINITY};
        double[] out = new double[3];
        LaneSampling.approximateExp(low, 3, out);
        for (double o : out) assertEquals(Math.exp(-700), o, Math.exp(-700) * 0x1p-49);
    }
}

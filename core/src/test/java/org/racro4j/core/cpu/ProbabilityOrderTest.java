package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The radix sort by logit, with its fix-up of equal probabilities, gives exactly the permutation of a boxed sort of the
 * probabilities with the comparator sampling is specified by (probability descending, then id).
 */
class ProbabilityOrderTest {
    @Test
    void equalsTheComparatorSortOfProbabilities() {
        Random r = new Random(5);
        ProbabilityOrder sort = new ProbabilityOrder();   // one instance throughout: reused arrays must not leak a row into the next
        for (int n : new int[] {1, 2, 3, 7, 24, 25, 26, 100, 513, 2048, 5003}) {
            for (int kind = 0; kind < 7; kind++) {
                float[] logits = new float[n + 3];   // the row starts at 3, as rows of a batch do
                for (int j = 0; j < n; j++) logits[3 + j] = logit(kind, r);
                for (float temperature : new float[] {1f, 0.05f, 3.7f}) {
                    int best = 0;
                    for (int j = 1; j < n; j++) if (logits[3 + j] > logits[3 + best]) best = j;
                    double[] p = CpuSampling.probabilities(logits, 3, n, logits[3 + best], temperature);
                    Integer[] boxed = new Integer[n];
                    for (int j = 0; j < n; j++) boxed[j] = j;
                    Arrays.sort(boxed, (a, b) -> {
                        int c = Double.compare(p[b], p[a]);
                        return c != 0 ? c : Integer.compare(a, b);
                    });
                    int[] expected = Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();
                    assertArrayEquals(expected, sort.of(logits, 3, p), "n " + n + ", kind " + kind + ", T " + temperature);
                }
            }
        }
    }

    @Test
    void byLogitEqualsTheComparatorSortOfLogits() {
        Random r = new Random(9);
        ProbabilityOrder sort = new ProbabilityOrder();
        for (int n : new int[] {1, 5, 300, 4099}) {
            for (int kind = 0; kind < 7; kind++) {
                float[] logits = new float[n];
                for (int j = 0; j < n; j++) logits[j] = logit(kind, r);
                Integer[] boxed = new Integer[n];
                for (int j = 0; j < n; j++) boxed[j] = j;
                Arrays.sort(boxed, (a, b) -> {
                    int c = Float.compare(logits[b], logits[a]);
                    return c != 0 ? c : Integer.compare(a, b);
                });
                assertArrayEquals(Arrays.stream(boxed).mapToInt(Integer::intValue).toArray(), sort.byLogit(logits, 0, n),
                        "n " + n + ", kind " + kind);
            }
        }
    }

    /**
     * Logits of several kinds: spread out, few distinct values (ties), huge ranges (underflowing exps), non-finite,
     * nearly equal.
     */
    private static float logit(int kind, Random r) {
        return switch (kind) {
            case 0 -> (float) (3 * r.nextGaussian());
            case 1 -> r.nextInt(5) - 2f;
            case 2 -> r.nextInt(3) == 0 ? -1e4f * r.nextFloat() : (float) r.nextGaussian();
            case 3 -> r.nextInt(60) == 0 ? Float.NaN : r.nextInt(7);
            case 4 -> switch (r.nextInt(8)) {
                case 0 -> -0f;
                case 1 -> 0f;
                case 2 -> Float.MIN_VALUE * r.nextInt(4);
                case 3 -> r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                default -> (float) (r.nextGaussian() * Math.pow(10, r.nextInt(12) - 6));
            };
            // distinct tiny logits whose probabilities round to the same double
            case 5 -> (float) (r.nextGaussian() * 1e-30);
            // all in one binade and one 7-bit mantissa prefix: a single long run of equal upper key bits, with ties
            default -> r.nextInt(4) == 0 ? 1f : 1f + r.nextInt(1000) * 1e-6f;
        };
    }
}

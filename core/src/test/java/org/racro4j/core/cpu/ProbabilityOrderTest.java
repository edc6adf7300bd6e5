package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The primitive sort gives exactly the permutation of a boxed sort with the comparator sampling used to run. */
class ProbabilityOrderTest {
    @Test
    void equalsTheComparatorSortWithTiesZerosAndNaN() {
        Random r = new Random(5);
        for (int n : new int[] {1, 2, 3, 7, 24, 25, 26, 100, 2048, 5003}) {
            for (int trial = 0; trial < 4; trial++) {
                double[] p = new double[n];
                for (int j = 0; j < n; j++) {
                    // few distinct values, so many ties; zeros (underflowed exps); a NaN now and then
                    p[j] = switch (trial) {
                        case 0 -> r.nextDouble();
                        case 1 -> r.nextInt(5) / 4.0;
                        case 2 -> r.nextInt(3) == 0 ? 0.0 : Math.exp(-30 * r.nextDouble());
                        default -> r.nextInt(50) == 0 ? Double.NaN : r.nextInt(7);
                    };
                }
                Integer[] boxed = new Integer[n];
                for (int j = 0; j < n; j++) boxed[j] = j;
                Arrays.sort(boxed, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
                int[] expected = Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();
                assertArrayEquals(expected, ProbabilityOrder.of(p), "n " + n + ", trial " + trial);
            }
        }
    }
}

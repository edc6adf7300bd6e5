package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * Rows summed together give each row's plain left-to-right double sum bit for bit, on values whose sums depend on
 * their order (magnitudes over many binades, signs, a NaN), with 1 to 4 rows, gaps between rows and awkward lengths.
 */
class OrderedSumsTest {
    @Test
    void eachRowIsThePlainLoopsSum() {
        SplittableRandom rnd = new SplittableRandom(17);
        double[] sums = new double[OrderedSums.ROWS];
        for (int n : new int[] {0, 1, 3, 16, 17, 513, 2049}) {
            for (int rows = 1; rows <= OrderedSums.ROWS; rows++) {
                for (int trial = 0; trial < 6; trial++) {
                    int base = rnd.nextInt(7);
                    int stride = n + rnd.nextInt(5);
                    float[] x = new float[base + rows * stride + 3];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) (rnd.nextDouble(-1, 1) * Math.pow(2, rnd.nextInt(-30, 30)));
                    }
                    if (trial == 5 && n > 0) x[base + rnd.nextInt(n)] = Float.NaN;
                    java.util.Arrays.fill(sums, 12345.0);
                    OrderedSums.rows(x, base, stride, rows, n, sums);
                    for (int r = 0; r < rows; r++) {
                        double want = 0;
                        for (int j = 0; j < n; j++) want += x[base + r * stride + j];
                        assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(sums[r]),
                                "n " + n + ", rows " + rows + ", trial " + trial + ", row " + r);
                    }
                    for (int r = rows; r < OrderedSums.ROWS; r++) assertEquals(12345.0, sums[r], "row " + r + " is not written");
                }
            }
        }
    }

    @Test
    void rowCountsOutsideOneToFourAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> OrderedSums.rows(new float[8], 0, 2, 0, 2, new double[4]));
        assertThrows(IllegalArgumentException.class, () -> OrderedSums.rows(new float[10], 0, 2, 5, 2, new double[5]));
    }
}

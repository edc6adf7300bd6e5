package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * contiguous() of transposed views (the blocked-transpose path of the CPU copy) against index arithmetic in the test:
 * sizes around and across the 32-element tile, batched leading dims, views with offsets and a wider row stride, and
 * copies large enough to be split over threads (by leading index and row block).
 */
class TransposeCopyTest {
    @Test
    void transposedViewsCopyElementByElement() {
        int[][] shapes = {{2, 3}, {31, 33}, {64, 32}, {100, 7}, {1, 45}, {45, 1}, {300, 770}};
        for (int[] sh : shapes) {
            int r = sh[0], c = sh[1];
            float[] x = TestSupport.normal(r * 31 + c, r * c);
            float[] got = Tensor.of(x, r, c).t().contiguous().toFloatArray();   // [c, r]
            for (int i = 0; i < c; i++) for (int j = 0; j < r; j++) assertEquals(x[j * c + i], got[i * r + j], "[" + i + ", " + j + "] of " + c + "x" + r);
        }
    }

    @Test
    void batchedAndOffsetViews() {
        batchedAndOffsetViews(3, 2, 37, 40);
        batchedAndOffsetViews(3, 2, 129, 300);
    }

    private static void batchedAndOffsetViews(int b, int h, int r, int c) {
        float[] x = TestSupport.normal(5, b * h * r * (c + 3));
        // [B, H, R, C] view of rows C + 3 wide, starting at column 2, then its last two dims swapped: [B, H, C, R]
        Tensor wide = Tensor.of(x, b, h, r, c + 3).narrow(3, 2, c);
        float[] got = wide.transpose(2, 3).contiguous().toFloatArray();
        for (int q = 0; q < b * h; q++) {
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < r; j++) {
                    assertEquals(x[(q * r + j) * (c + 3) + 2 + i], got[(q * c + i) * r + j], "[" + q + ", " + i + ", " + j + "]");
                }
            }
        }
        // leading dims permuted too: [H, B, C, R]
        float[] perm = wide.permute(1, 0, 3, 2).contiguous().toFloatArray();
        for (int hh = 0; hh < h; hh++) {
            for (int bb = 0; bb < b; bb++) {
                for (int i = 0; i < c; i++) {
                    for (int j = 0; j < r; j++) {
                        assertEquals(x[((bb * h + hh) * r + j) * (c + 3) + 2 + i], perm[((hh * b + bb) * c + i) * r + j]);
                    }
                }
            }
        }
    }
}

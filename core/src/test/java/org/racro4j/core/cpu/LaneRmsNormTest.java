package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * RMS norm's backward in lanes against the plain loop it stands for ({@link CpuRows#rmsNormBackwardRows}), bit for
 * bit: the input's gradient and the weight's double column sums, on rows narrower and wider than a vector, row counts
 * around the four summed together, offsets, a row range that starts inside the tensor, column sums that already
 * hold a part's earlier rows, and rows whose dot cancels, so that summing it in another order changes the result.
 */
class LaneRmsNormTest {
    @Test
    void sameBitsAsThePlainLoop() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int c : new int[] {1, 3, 15, 16, 17, 37, 83, 128, 131}) {
            for (int rows : new int[] {1, 2, 4, 5, 9}) {
                for (int trial = 0; trial < 4; trial++) {
                    int off = rnd.nextInt(7);
                    int total = rows + 2;
                    float[] g = values(rnd, off + total * c);
                    float[] x = values(rnd, off + total * c);
                    float[] w = values(rnd, off + c);
                    float[] rstd = new float[off + total];
                    for (int i = 0; i < rstd.length; i++) rstd[i] = (float) Math.exp(rnd.nextDouble(-3, 3));
                    int r0 = rnd.nextInt(2);
                    int r1 = r0 + rows;
                    if (trial % 2 == 1 && c >= 3) cancel(rnd, g, x, w, off, c, total);
                    boolean weightGrad = trial % 2 == 0;
                    double[] start = new double[c];
                    for (int j = 0; j < c; j++) start[j] = trial < 2 ? 0 : rnd.nextDouble(-10, 10);
                    float[] gxPlain = new float[off + total * c];
                    float[] gxLanes = new float[off + total * c];
                    double[] gwPlain = weightGrad ? start.clone() : null;
                    double[] gwLanes = weightGrad ? start.clone() : null;
                    CpuRows.rmsNormBackwardRows(g, off, x, off, w, off, rstd, off, gxPlain, off, c, r0, r1, gwPlain);
                    LaneRmsNorm.backward(g, off, x, off, w, off, rstd, off, gxLanes, off, c, r0, r1, gwLanes,
                            new float[OrderedSums.ROWS * c]);
                    String what = "c " + c + ", rows " + rows + ", trial " + trial;
                    assertArrayEquals(gxPlain, gxLanes, what + ": input gradient");
                    if (weightGrad) assertArrayEquals(gwPlain, gwLanes, what + ": weight column sums");
                }
            }
        }
    }

    /**
     * In every row, two huge terms of the dot that cancel exactly (equal x and w, opposite g), placed after some small
     * ones: the small terms' low bits are lost when the first huge one comes, so the dot's value depends on its order.
     */
    private static void cancel(SplittableRandom rnd, float[] g, float[] x, float[] w, int off, int c, int rows) {
        int first = 1 + rnd.nextInt(c - 2);
        int second = first + 1 + rnd.nextInt(c - first - 1);
        w[off + second] = w[off + first];
        for (int r = 0; r < rows; r++) {
            int b = off + r * c;
            x[b + second] = x[b + first];
            g[b + first] = Math.scalb(1f, 40) * (rnd.nextBoolean() ? 1 : -1);
            g[b + second] = -g[b + first];
        }
    }

    /** Gaussians over a wide range of magnitudes, so products and sums round. */
    private static float[] values(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (nextGaussian(rnd) * Math.scalb(1.0, rnd.nextInt(-8, 9)));
        return v;
    }

    private static double nextGaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble(1e-300, 1);
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
}

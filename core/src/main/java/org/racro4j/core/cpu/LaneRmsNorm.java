package org.racro4j.core.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * RMS norm's backward in vector lanes, with the bits of CpuRows' scalar loop: every float product is the same product
 * (no fused multiply-add where the loop has none), each row's dot is summed left to right in double
 * ({@link OrderedSums}, four rows together), and the weight's gradient is added row after row into double columns.
 * Only reached when {@link VectorApi#ENABLED}. NormJmh.rmsNormBackward, 512 rows of 128: 111-120 us in the plain loop,
 * 46-50 us here.
 */
final class LaneRmsNorm {
    private static final VectorSpecies<Float> F = CpuGemmKernel.F;
    private static final int L = F.length();
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private LaneRmsNorm() {}

    /**
     * Rows [r0, r1) of c columns: with xhat = x * rstd[r], gx = rstd[r] * (g * w - xhat * mean(g * w * xhat)), and
     * gwColumns[j] += g * xhat (in double; null: no weight gradient). Row r of x, g and gx starts at xo, go, gxo plus
     * r * c; terms needs OrderedSums.ROWS * c floats.
     */
    static void backward(float[] gs, int go, float[] xs, int xo, float[] ws, int wo, float[] rs, int ro, float[] gxs, int gxo,
                         int c, int r0, int r1, double[] gwColumns, float[] terms) {
        int cv = F.loopBound(c);
        double[] dots = new double[OrderedSums.ROWS];
        for (int r = r0; r < r1; r += OrderedSums.ROWS) {
            int rows = Math.min(OrderedSums.ROWS, r1 - r);
            for (int i = 0; i < rows; i++) {
                int xb = xo + (r + i) * c;
                int gb = go + (r + i) * c;
                int tb = i * c;
                float inv = rs[ro + r + i];
                int j = 0;
                for (; j < cv; j += L) {
                    FloatVector g = FloatVector.fromArray(F, gs, gb + j);
                    FloatVector xhat = FloatVector.fromArray(F, xs, xb + j).mul(inv);
                    g.mul(FloatVector.fromArray(F, ws, wo + j)).mul(xhat).intoArray(terms, tb + j);
                    if (gwColumns != null) {
                        FloatVector weightTerm = g.mul(xhat);
                        DoubleVector low = DoubleVector.fromArray(D, gwColumns, j);
                        DoubleVector high = DoubleVector.fromArray(D, gwColumns, j + D.length());
                        low.add(weightTerm.convertShape(VectorOperators.F2D, D, 0)).intoArray(gwColumns, j);
                        high.add(weightTerm.convertShape(VectorOperators.F2D, D, 1)).intoArray(gwColumns, j + D.length());
                    }
                }
                for (; j < c; j++) {
                    float xhat = xs[xb + j] * inv;
                    terms[tb + j] = gs[gb + j] * ws[wo + j] * xhat;
                    if (gwColumns != null) gwColumns[j] += gs[gb + j] * xhat;
                }
            }
            OrderedSums.rows(terms, 0, c, rows, c, dots);
            for (int i = 0; i < rows; i++) {
                int xb = xo + (r + i) * c;
                int gb = go + (r + i) * c;
                int ob = gxo + (r + i) * c;
                float inv = rs[ro + r + i];
                float meanDX = (float) (dots[i] / c);
                int j = 0;
                for (; j < cv; j += L) {
                    FloatVector xhat = FloatVector.fromArray(F, xs, xb + j).mul(inv);
                    FloatVector gTimesW = FloatVector.fromArray(F, gs, gb + j).mul(FloatVector.fromArray(F, ws, wo + j));
                    gTimesW.sub(xhat.mul(meanDX)).mul(inv).intoArray(gxs, ob + j);
                }
                for (; j < c; j++) {
                    float xhat = xs[xb + j] * inv;
                    gxs[ob + j] = inv * (gs[gb + j] * ws[wo + j] - xhat * meanDX);
                }
            }
        }
    }
}

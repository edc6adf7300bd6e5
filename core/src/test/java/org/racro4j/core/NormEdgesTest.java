package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;

import org.junit.jupiter.api.Test;
import org.racro4j.core.nn.LayerNorm;
import org.racro4j.core.nn.RMSNorm;

/**
 * layerNorm and rmsNorm without affine parameters (null weight and/or bias, PyTorch's elementwise_affine=False)
 * and with parameters given as strided views: forward against float64 loops, gradients against finite differences.
 */
class NormEdgesTest {
    private static final int[] S = {3, 5, 7};
    private static final int C = 7;
    private static final float EPS = 1e-5f;

    /** Layer norm over rows of length c in double; w and b may be null (1 and 0). */
    private static double[] layerNormRef(float[] x, float[] w, float[] b, int c, double eps) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double mean = 0;
            for (int j = 0; j < c; j++) mean += x[r * c + j];
            mean /= c;
            double var = 0;
            for (int j = 0; j < c; j++) var += (x[r * c + j] - mean) * (x[r * c + j] - mean);
            var /= c;
            for (int j = 0; j < c; j++) {
                double y = (x[r * c + j] - mean) / Math.sqrt(var + eps);
                out[r * c + j] = y * (w == null ? 1 : w[j]) + (b == null ? 0 : b[j]);
            }
        }
        return out;
    }

    /** RMS norm over rows of length c in double; w may be null (1). */
    private static double[] rmsNormRef(float[] x, float[] w, int c, double eps) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double ms = 0;
            for (int j = 0; j < c; j++) ms += (double) x[r * c + j] * x[r * c + j];
            double rstd = 1 / Math.sqrt(ms / c + eps);
            for (int j = 0; j < c; j++) out[r * c + j] = x[r * c + j] * rstd * (w == null ? 1 : w[j]);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ forward

    @Test
    void layerNormWithEveryCombinationOfMissingParametersMatchesFloat64() {
        float[] x = normal(1, 105);
        float[] w = normal(2, C);
        float[] b = normal(3, C);
        Tensor xt = Tensor.of(x, S);
        assertClose("layerNorm(x, null, null)", layerNormRef(x, null, null, C, EPS), Functional.layerNorm(xt, null, null, EPS).toFloatArray(), 1e-5, 1e-5);
        assertClose("layerNorm(x, w, null)", layerNormRef(x, w, null, C, EPS), Functional.layerNorm(xt, Tensor.of(w, C), null, EPS).toFloatArray(), 1e-5, 1e-5);
        assertClose("layerNorm(x, null, b)", layerNormRef(x, null, b, C, EPS), Functional.layerNorm(xt, null, Tensor.of(b, C), EPS).toFloatArray(), 1e-5, 1e-5);
        assertClose("layerNorm(x, w, b)", layerNormRef(x, w, b, C, EPS), Functional.layerNorm(xt, Tensor.of(w, C), Tensor.of(b, C), EPS).toFloatArray(), 1e-5, 1e-5);
        // a transposed input: rows of 3 read across strides
        Tensor xT = xt.transpose(0, 2);
        float[] xTv = xT.contiguous().toFloatArray();
        assertClose("layerNorm of a transpose", layerNormRef(xTv, null, null, 3, EPS), Functional.layerNorm(xT, null, null, EPS).toFloatArray(), 1e-5, 1e-5);
    }

    @Test
    void rmsNormWithoutWeightMatchesFloat64() {
        float[] x = normal(4, 105);
        assertClose("rmsNorm(x, null)", rmsNormRef(x, null, C, 1e-6), Functional.rmsNorm(Tensor.of(x, S), null, 1e-6f).toFloatArray(), 1e-5, 1e-5);
        float[] one = normal(5, 13);
        assertClose("rmsNorm of a 1-D x", rmsNormRef(one, null, 13, 1e-6), Functional.rmsNorm(Tensor.of(one, 13), null, 1e-6f).toFloatArray(), 1e-5, 1e-5);
        Tensor strided = Tensor.of(normal(6, 3 * 10 * 7), 3, 10, 7).slice(1, 0, 10, 2); // [3, 5, 7], every 2nd row
        assertClose("rmsNorm of a strided slice", rmsNormRef(strided.contiguous().toFloatArray(), null, C, 1e-6),
                Functional.rmsNorm(strided, null, 1e-6f).toFloatArray(), 1e-5, 1e-5);
    }

    @Test
    void halfPrecisionInputsWithoutParameters() {
        float[] x = normal(7, 105);
        for (DType half : new DType[] {DType.BF16, DType.F16}) {
            Tensor h = Tensor.of(x, S).to(half);
            float[] rounded = h.toFloatArray();
            Tensor ln = Functional.layerNorm(h, null, null, EPS);
            Tensor rms = Functional.rmsNorm(h, null, 1e-6f);
            assertEquals(half, ln.dtype());
            double tol = half == DType.BF16 ? 1e-2 : 2e-3;
            assertClose(half + " layerNorm", layerNormRef(rounded, null, null, C, EPS), ln.toFloatArray(), tol, tol);
            assertClose(half + " rmsNorm", rmsNormRef(rounded, null, C, 1e-6), rms.toFloatArray(), tol, tol);
        }
    }

    // ------------------------------------------------------------------------------------------ gradients

    @Test
    void gradientsWithoutAffineParameters() {
        check("layerNorm(x, null, null)", x -> Functional.layerNorm(x[0], null, null, EPS), in(normal(10, 105), S));
        check("layerNorm(x, w, null)", x -> Functional.layerNorm(x[0], x[1], null, EPS), in(normal(11, 105), S), in(normal(12, C), C));
        check("layerNorm(x, null, b)", x -> Functional.layerNorm(x[0], null, x[1], EPS), in(normal(13, 105), S), in(normal(14, C), C));
        check("layerNorm(x^T, null, null)", x -> Functional.layerNorm(x[0].transpose(0, 2), null, null, EPS), in(normal(15, 105), S));
        check("rmsNorm(x, null)", x -> Functional.rmsNorm(x[0], null, 1e-6f), in(normal(16, 105), S));
        check("rmsNorm(x of 13, null)", x -> Functional.rmsNorm(x[0], null, 1e-6f), in(normal(17, 13), 13));
    }

    @Test
    void gradientsReachStridedParameterViews() {
        // weight = every 2nd element of a [14] tensor, bias = the odd ones of another
        check("layerNorm with strided weight and bias",
                x -> Functional.layerNorm(x[0], x[1].slice(0, 0, 2 * C, 2), x[2].slice(0, 1, 2 * C, 2), EPS),
                in(normal(20, 105), S), in(normal(21, 2 * C), 2 * C), in(normal(22, 2 * C), 2 * C));
        check("rmsNorm with a strided weight", x -> Functional.rmsNorm(x[0], x[1].select(1, 1), 1e-6f),
                in(normal(23, 105), S), in(normal(24, 3 * C), C, 3));
    }

    // ------------------------------------------------------------------------------------------ strided = contiguous

    @Test
    void stridedParametersGiveTheValuesAndGradientsOfContiguousOnes() {
        float[] x = normal(30, 105);
        float[] wb = normal(31, 2 * C);
        float[] bb = normal(32, 3 * C);
        float[] gy = normal(33, 105);
        float[] wc = new float[C];
        float[] bc = new float[C];
        for (int j = 0; j < C; j++) {
            wc[j] = wb[2 * j];
            bc[j] = bb[3 * j + 2];
        }
        try (Scope s = Scope.open()) {
            Tensor wBase = Tensor.of(wb, 2 * C).requiresGrad(true);
            Tensor bBase = Tensor.of(bb, C, 3).requiresGrad(true);
            Tensor w = Tensor.of(wc, C).requiresGrad(true);
            Tensor b = Tensor.of(bc, C).requiresGrad(true);
            Tensor yStrided = Functional.layerNorm(Tensor.of(x, S), wBase.slice(0, 0, 2 * C, 2), bBase.select(1, 2), EPS);
            Tensor yContiguous = Functional.layerNorm(Tensor.of(x, S), w, b, EPS);
            assertArrayEquals(yContiguous.toFloatArray(), yStrided.toFloatArray(), "layerNorm values");
            yStrided.backward(Tensor.of(gy, S));
            yContiguous.backward(Tensor.of(gy, S));
            float[] gwBase = wBase.grad().toFloatArray();
            float[] gbBase = bBase.grad().toFloatArray();
            float[] gw = w.grad().toFloatArray();
            float[] gb = b.grad().toFloatArray();
            for (int j = 0; j < C; j++) {
                assertEquals(gw[j], gwBase[2 * j], "weight grad " + j);
                assertEquals(0f, gwBase[2 * j + 1], "untouched weight element " + (2 * j + 1));
                assertEquals(gb[j], gbBase[3 * j + 2], "bias grad " + j);
                assertEquals(0f, gbBase[3 * j], "untouched bias element " + 3 * j);
            }

            Tensor rw = Tensor.of(wc, C).requiresGrad(true);
            Tensor rwBase = Tensor.of(wb, 2 * C).requiresGrad(true);
            Tensor rStrided = Functional.rmsNorm(Tensor.of(x, S), rwBase.slice(0, 0, 2 * C, 2), 1e-6f);
            Tensor rContiguous = Functional.rmsNorm(Tensor.of(x, S), rw, 1e-6f);
            assertArrayEquals(rContiguous.toFloatArray(), rStrided.toFloatArray(), "rmsNorm values");
            rStrided.backward(Tensor.of(gy, S));
            rContiguous.backward(Tensor.of(gy, S));
            float[] grw = rw.grad().toFloatArray();
            float[] grwBase = rwBase.grad().toFloatArray();
            for (int j = 0; j < C; j++) {
                assertEquals(grw[j], grwBase[2 * j], "rms weight grad " + j);
                assertEquals(0f, grwBase[2 * j + 1], "untouched rms weight element " + (2 * j + 1));
            }
            for (Tensor t : new Tensor[] {wBase, bBase, w, b, rw, rwBase}) t.zeroGrad();
        }
    }

    // ------------------------------------------------------------------------------------------ modules

    @Test
    void modulesWithoutElementwiseAffineHaveNoParameters() {
        float[] x = normal(40, 105);
        try (LayerNorm plain = new LayerNorm(C, EPS, false, true, DType.F32, Device.CPU);
             LayerNorm noBias = new LayerNorm(C, EPS, true, false, DType.F32, Device.CPU);
             RMSNorm rms = new RMSNorm(C, 1e-6f, false, DType.F32, Device.CPU)) {
            assertTrue(plain.parameters().isEmpty(), "LayerNorm(elementwiseAffine=false) parameters");
            assertEquals(java.util.Set.of("weight"), noBias.namedParameters().keySet());
            assertTrue(rms.parameters().isEmpty(), "RMSNorm(elementwiseAffine=false) parameters");
            assertNull(rms.weight());
            assertClose("nn.LayerNorm without affine", layerNormRef(x, null, null, C, EPS), plain.forward(Tensor.of(x, S)).toFloatArray(), 1e-5, 1e-5);
            assertClose("nn.LayerNorm without bias", layerNormRef(x, null, null, C, EPS), noBias.forward(Tensor.of(x, S)).toFloatArray(), 1e-5, 1e-5);
            assertClose("nn.RMSNorm without affine", rmsNormRef(x, null, C, 1e-6), rms.forward(Tensor.of(x, S)).toFloatArray(), 1e-5, 1e-5);
        }
    }
}

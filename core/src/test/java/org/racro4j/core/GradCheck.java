package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks autograd against central finite differences.
 *
 * <p>For a function f of several F32 inputs, the analytic side is {@code backward()} of
 * {@code L = sum(f(x) * w)} with a fixed random w (so every output element matters, with a different weight,
 * and a gradient that is wrong only for some outputs or is transposed cannot cancel out). The numeric side
 * perturbs one input element at a time: {@code dL/dx ~ (L(x+) - L(x-)) / (x+ - x-)}.
 *
 * <h2>Step and tolerances</h2>
 * Everything runs in float32, so both the step and the tolerance are chosen from the two error sources:
 * <ul>
 * <li><b>Rounding noise.</b> L for the numeric side is summed on the host in double from f's float32
 * outputs, so the only float32 noise is in those outputs themselves: each carries a few ulps of error,
 * about 1e-7 |f|. A central difference divides the difference of two such noisy sums by the step, giving an
 * error of roughly 1e-7 sqrt(k) |f| / (2h) for k outputs touched by the perturbed element.</li>
 * <li><b>Truncation.</b> The central difference is exact for quadratics; its error is h^2/6 |L'''|.</li>
 * </ul>
 * With h = 1e-2 and inputs of order 1 (k up to ~100 outputs of order 1..5, |L'''| up to ~10 for the inputs we
 * draw, which stay away from poles and kinks), both terms are below ~3e-4. The step actually taken is
 * {@code (float)(x+h) - (float)(x-h)}, computed exactly in double, so rounding of x+-h to float costs nothing.
 * The check is |analytic - numeric| &lt;= atol + rtol |numeric| with atol = 2e-3, rtol = 1e-2: about ten
 * times the expected error, while a wrong rule (a missing factor, a sign, a dropped broadcast sum, a
 * gradient sent to the wrong element) is off by the size of the gradient itself, 0.1..10.
 *
 * <p>Kinks (relu, abs, clamp, max, maximum) are handled by the callers: they draw inputs at least
 * 0.05 > h away from every kink, so no perturbation crosses one.
 */
public final class GradCheck {
    public static final double EPS = 1e-2;
    public static final double ATOL = 2e-3;
    public static final double RTOL = 1e-2;

    private GradCheck() {}

    /** The function under test; it receives fresh input tensors on every evaluation. */
    @FunctionalInterface
    public interface Fn {
        Tensor apply(Tensor[] x);
    }

    /** One differentiable input: its values and shape. */
    public record Input(float[] data, int[] shape) {}

    public static Input in(float[] data, int... shape) {
        if (data.length != TestSupport.numel(shape)) throw new IllegalArgumentException("input data does not fill its shape");
        return new Input(data, shape);
    }

    public static void check(String name, Fn f, Input... inputs) {
        check(name, EPS, ATOL, RTOL, f, inputs);
    }

    public static void check(String name, double eps, double atol, double rtol, Fn f, Input... inputs) {
        float[][] analytic = new float[inputs.length][];
        int[] outShape;
        float[] w;
        // ---- analytic: backward of sum(f(x) * w)
        try (Scope scope = Scope.open()) {
            Tensor[] leaves = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                leaves[i] = Tensor.of(inputs[i].data(), inputs[i].shape()).requiresGrad(true);
            }
            Tensor out = f.apply(leaves);
            assertTrue(out.requiresGrad(), name + ": the output does not require grad, so it recorded no graph");
            outShape = out.shape();
            // |w| in [0.5, 1.5): no output is given a negligible weight
            w = TestSupport.awayFromZero(name.hashCode() * 31L + 7, (int) out.numel(), 0.5, 1.5);
            Tensor loss = out.mul(Tensor.of(w, outShape)).sum();
            loss.backward();
            for (int i = 0; i < inputs.length; i++) {
                Tensor g = leaves[i].grad();
                assertNotNull(g, name + ": input " + i + " received no gradient");
                assertArrayEquals(inputs[i].shape(), g.shape(), name + ": gradient shape of input " + i);
                assertTrue(g.isContiguous(), name + ": leaf gradients must be contiguous");
                analytic[i] = g.toFloatArray();
                leaves[i].zeroGrad();
            }
        }
        // ---- numeric: central differences, one element at a time
        double largest = 0;
        for (int i = 0; i < inputs.length; i++) {
            float[] base = inputs[i].data();
            for (int j = 0; j < base.length; j++) {
                float x = base[j];
                float xp = (float) (x + eps);
                float xm = (float) (x - eps);
                double lp = evaluate(f, inputs, i, j, xp, w, outShape, name);
                double lm = evaluate(f, inputs, i, j, xm, w, outShape, name);
                double numeric = (lp - lm) / ((double) xp - (double) xm);
                double a = analytic[i][j];
                largest = Math.max(largest, Math.abs(numeric));
                if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
                    fail(name + ": d/dx of input " + i + " element " + j + " (x = " + x + "): autograd gives " + a
                            + ", finite differences give " + numeric);
                }
            }
        }
        // A check whose gradients are all ~0 could not fail; make sure this one could.
        assertTrue(largest > 10 * atol, name + ": all gradients are ~0, the check is vacuous");
    }

    private static double evaluate(Fn f, Input[] inputs, int which, int element, float value, float[] w, int[] outShape, String name) {
        try (Scope scope = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
            Tensor[] xs = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                float[] d = inputs[i].data();
                if (i == which) {
                    d = d.clone();
                    d[element] = value;
                }
                xs[i] = Tensor.of(d, inputs[i].shape());
            }
            Tensor out = f.apply(xs);
            assertArrayEquals(outShape, out.shape(), name + ": output shape changed between evaluations");
            float[] y = out.toFloatArray();
            double s = 0;
            for (int k = 0; k < y.length; k++) s += (double) y[k] * w[k];
            return s;
        }
    }
}

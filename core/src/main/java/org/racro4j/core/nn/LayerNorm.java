package org.racro4j.core.nn;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;

/** Layer normalisation over the last dim with a learned scale (ones) and shift (zeros). */
public final class LayerNorm extends Module {
    private final Tensor weight;
    private final Tensor bias;
    private final float eps;

    public LayerNorm(int dim, float eps) {
        this(dim, eps, true, DType.F32, Device.CPU);
    }

    public LayerNorm(int dim, float eps, boolean bias, DType dtype, Device device) {
        this.weight = registerParameter("weight", Tensor.ones(dtype, device, dim));
        this.bias = bias ? registerParameter("bias", Tensor.zeros(dtype, device, dim)) : null;
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return Functional.layerNorm(x, weight, bias, eps);
    }
}

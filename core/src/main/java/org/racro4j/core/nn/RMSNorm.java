package org.racro4j.core.nn;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;

/** RMS normalisation over the last dim with a learned scale (ones), as in Llama and Qwen2. */
public final class RMSNorm extends Module {
    private final Tensor weight;
    private final float eps;

    public RMSNorm(int dim, float eps) {
        this(dim, eps, DType.F32, Device.CPU);
    }

    public RMSNorm(int dim, float eps, DType dtype, Device device) {
        this.weight = registerParameter("weight", Tensor.ones(dtype, device, dim));
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return Functional.rmsNorm(x, weight, eps);
    }

    public Tensor weight() {
        return weight;
    }
}

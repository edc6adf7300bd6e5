package org.racro4j.core.nn;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;

/**
 * RMS normalisation over the last dim with a learned scale (ones), as in Llama and Qwen2: PyTorch's
 * {@code nn.RMSNorm(dim, eps, elementwise_affine)}.
 */
public final class RMSNorm extends Module {
    private final Tensor weight;
    private final float eps;

    public RMSNorm(int dim, float eps) {
        this(dim, eps, true, DType.F32, Device.CPU);
    }

    public RMSNorm(int dim, float eps, DType dtype, Device device) {
        this(dim, eps, true, dtype, device);
    }

    /** With {@code elementwiseAffine} false the layer has no weight (PyTorch's elementwise_affine=False). */
    public RMSNorm(int dim, float eps, boolean elementwiseAffine, DType dtype, Device device) {
        this.weight = elementwiseAffine ? registerParameter("weight", Tensor.ones(dtype, device, dim)) : null;
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return Functional.rmsNorm(x, weight, eps);
    }

    /** The learned scale, or null for a layer built without one. */
    public Tensor weight() {
        return weight;
    }
}

package org.racro4j.core.nn;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;

/**
 * Layer normalisation over the last dim with a learned scale (ones) and shift (zeros): PyTorch's
 * {@code nn.LayerNorm(dim, eps, elementwise_affine, bias)}.
 */
public final class LayerNorm extends Module {
    private final Tensor weight;
    private final Tensor bias;
    private final float eps;

    public LayerNorm(int dim, float eps) {
        this(dim, eps, true, true, DType.F32, Device.CPU);
    }

    public LayerNorm(int dim, float eps, boolean bias, DType dtype, Device device) {
        this(dim, eps, true, bias, dtype, device);
    }

    /**
     * With {@code elementwiseAffine} false the layer has no parameters at all (PyTorch's elementwise_affine=False:
     * neither weight nor bias, whatever {@code bias} says); otherwise a weight, and a bias if {@code bias}.
     */
    public LayerNorm(int dim, float eps, boolean elementwiseAffine, boolean bias, DType dtype, Device device) {
        this.weight = elementwiseAffine ? registerParameter("weight", Tensor.ones(dtype, device, dim)) : null;
        this.bias = elementwiseAffine && bias ? registerParameter("bias", Tensor.zeros(dtype, device, dim)) : null;
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return Functional.layerNorm(x, weight, bias, eps);
    }
}

package org.racro4j.core.nn;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/** y = x W^T + b with W [out, in], initialised as PyTorch does: uniform in +-1/sqrt(in). */
public final class Linear extends Module {
    private final Tensor weight;
    private final Tensor bias;

    public Linear(int in, int out, boolean bias, Generator gen) {
        this(in, out, bias, gen, DType.F32, Device.CPU);
    }

    public Linear(int in, int out, boolean bias, Generator gen, DType dtype, Device device) {
        float bound = (float) (1.0 / Math.sqrt(in));
        this.weight = registerParameter("weight", Tensor.uniform(gen, -bound, bound, dtype, device, out, in));
        this.bias = bias ? registerParameter("bias", Tensor.uniform(gen, -bound, bound, dtype, device, out)) : null;
    }

    private Linear(Tensor weight, Tensor bias) {
        this.weight = registerParameter("weight", weight);
        this.bias = bias == null ? null : registerParameter("bias", bias);
    }

    /**
     * Weights N(0, std^2) and zero bias: the initialisation of GPT-2, Llama and Qwen2 (std = initializer_range). With std 0
     * weights and bias are placeholders ({@link Tensor#placeholder}), drawn from nothing: a model whose checkpoint is
     * loaded next.
     */
    public static Linear normal(int in, int out, boolean bias, float std, Generator gen, DType dtype, Device device) {
        if (std == 0) return new Linear(Tensor.placeholder(dtype, device, out, in), bias ? Tensor.placeholder(dtype, device, out) : null);
        Tensor w = Tensor.randn(gen, dtype, device, out, in).mulInPlace(std);
        return new Linear(w, bias ? Tensor.zeros(dtype, device, out) : null);
    }

    public Tensor forward(Tensor x) {
        return Functional.linear(x, weight, bias);
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null. */
    public Tensor bias() {
        return bias;
    }

    public int inFeatures() {
        return weight.size(1);
    }

    public int outFeatures() {
        return weight.size(0);
    }

    /** The weights of every Linear in a module tree, in registration order (for {@link org.racro4j.core.TransposedWeights}). */
    public static java.util.List<Tensor> weightsIn(Module root) {
        java.util.List<Tensor> out = new java.util.ArrayList<>();
        collect(root, out);
        return out;
    }

    private static void collect(Module m, java.util.List<Tensor> out) {
        if (m instanceof Linear l) out.add(l.weight);
        for (Module child : m.children().values()) collect(child, out);
    }
}

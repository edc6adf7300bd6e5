package org.racro4j.core.nn;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/** A table of {@code count} vectors of size {@code dim}, looked up by integer id; initialised N(0, 1) like PyTorch. */
public final class Embedding extends Module {
    private final Tensor weight;

    public Embedding(int count, int dim, Generator gen) {
        this(count, dim, gen, 1f, DType.F32, Device.CPU);
    }

    /** Vectors N(0, std^2); with std 0 a placeholder ({@link Tensor#placeholder}): a model whose checkpoint is loaded next. */
    public Embedding(int count, int dim, Generator gen, float std, DType dtype, Device device) {
        Tensor w = std == 0 ? Tensor.placeholder(dtype, device, count, dim) : Tensor.randn(gen, dtype, device, count, dim);
        if (std != 1f && std != 0) w.mulInPlace(std);
        this.weight = registerParameter("weight", w);
    }

    /** ids (I32/I64) of any shape to vectors of shape ids + [dim]. */
    public Tensor forward(Tensor ids) {
        return weight.embedding(ids);
    }

    public Tensor weight() {
        return weight;
    }
}

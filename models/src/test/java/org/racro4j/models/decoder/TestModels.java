package org.racro4j.models.decoder;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/** Small random models for tests. */
public final class TestModels {
    private TestModels() {}

    /** Every weight (norms and biases too) random and O(1)-scaled, so nothing is trivially zero or one. */
    public static CausalLM randomModel(DecoderConfig c, long seed) {
        CausalLM m = CausalLM.create(c, seed, DType.F32, Device.CPU);
        Generator g = new Generator(seed + 1);
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            for (var e : m.stateDict().entrySet()) {
                boolean norm = e.getKey().endsWith("norm.weight");
                Tensor r = Tensor.randn(g, e.getValue().shape()).mul(norm ? 0.3f : 0.35f);
                e.getValue().copyFrom(norm ? r.add(1f) : r);
            }
        }
        return m;
    }
}

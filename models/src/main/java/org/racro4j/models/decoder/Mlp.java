package org.racro4j.models.decoder;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.random.Generator;

/** SwiGLU feed-forward: down(silu(gate(x)) * up(x)). HF names: gate_proj, up_proj, down_proj. */
public final class Mlp extends Module {
    private final Linear gate;
    private final Linear up;
    private final Linear down;

    Mlp(int hidden, int intermediate, float std, Generator gen, DType dtype, Device device) {
        gate = registerModule("gate_proj", Linear.normal(hidden, intermediate, false, std, gen, dtype, device));
        up = registerModule("up_proj", Linear.normal(hidden, intermediate, false, std, gen, dtype, device));
        down = registerModule("down_proj", Linear.normal(intermediate, hidden, false, std, gen, dtype, device));
    }

    Tensor forward(Tensor x) {
        return down.forward(gate.forward(x).silu().mul(up.forward(x)));
    }
}

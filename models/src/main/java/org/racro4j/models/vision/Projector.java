package org.racro4j.models.vision;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.random.Generator;

/** Maps vision features into the decoder's embedding space: linear_2(gelu(linear_1(x))), as in LLaVA. */
public final class Projector extends Module {
    private final Linear first;
    private final Linear second;

    public Projector(int visionHidden, int textHidden, float std, Generator gen, DType dtype, Device device) {
        first = registerModule("linear_1", Linear.normal(visionHidden, textHidden, true, std, gen, dtype, device));
        second = registerModule("linear_2", Linear.normal(textHidden, textHidden, true, std, gen, dtype, device));
    }

    public Tensor forward(Tensor x) {
        return second.forward(first.forward(x).gelu());
    }
}

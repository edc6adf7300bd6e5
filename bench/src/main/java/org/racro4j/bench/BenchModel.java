package org.racro4j.bench;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;

/**
 * The random-weight model the rollout benchmark times, in one place so that {@code bench make-model} saves the very
 * weights {@link RolloutBench} runs (for peers that load a checkpoint, such as llama.cpp through a GGUF export).
 * The weights depend on the shape and the seed only, not on the context length.
 */
public final class BenchModel {
    private BenchModel() {}

    public static final long SEED = 3;

    public static CausalLM create(DecoderShape shape, int maxPositions, Device device) {
        return CausalLM.create(shape.config(maxPositions), SEED, DType.F32, device);
    }
}

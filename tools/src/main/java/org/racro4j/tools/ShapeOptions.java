package org.racro4j.tools;

import picocli.CommandLine.Option;

import org.racro4j.bench.DecoderShape;
import org.racro4j.core.Device;

/** The flags that describe a Qwen2-shaped decoder, shared by the bench commands and their peer scripts. */
final class ShapeOptions {
    @Option(names = "--layers", required = true, description = "Decoder layers.")
    int layers;

    @Option(names = "--dim", required = true, description = "Hidden size.")
    int dim;

    @Option(names = "--heads", required = true, description = "Attention heads.")
    int heads;

    @Option(names = "--kv-heads", required = true, description = "Key/value heads (grouped-query attention).")
    int kvHeads;

    @Option(names = "--vocab", required = true, description = "Vocabulary size.")
    int vocab;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda[:N]. Default: ${DEFAULT-VALUE}.")
    String device;

    /** The shape; a size below 1 is named here rather than dividing by zero (heads 0) or failing later without a name. */
    DecoderShape shape() {
        atLeastOne("--layers", layers);
        atLeastOne("--dim", dim);
        atLeastOne("--heads", heads);
        atLeastOne("--kv-heads", kvHeads);
        atLeastOne("--vocab", vocab);
        return new DecoderShape(layers, dim, heads, kvHeads, vocab);
    }

    private static void atLeastOne(String option, int value) {
        if (value < 1) throw new IllegalArgumentException(option + " must be >= 1, got " + value);
    }

    Device device() {
        return Device.of(device);
    }
}

package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.WordLevelTokenizer;

/**
 * A checkpoint with one NaN weight: `generate` printed a continuation of NUL bytes (token 0, the argmax of NaN logits,
 * at every step) and exited 0. It must exit with the usage-error code and one line saying where the logits went bad.
 */
class NonFiniteCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void generateOnACheckpointWithANanWeightFailsWithOneLine() throws IOException {
        Path dir = tmp.resolve("nan-model");
        WordLevelTokenizer tok = WordLevelTokenizer.of(ModelCommandsTest.WORDS);
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, tok.vocabSize(), 16, 24, 2, 2, 1, 8, 12, 10000.0, 1e-6, true, true,
                -1, List.of(tok.specialTokens().eos()));
        try (CausalLM m = CausalLM.create(c, 4, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Generator g = new Generator(8);
            for (Tensor t : m.stateDict().values()) t.copyFrom(Tensor.randn(g, t.shape()).mul(0.5f));
            Tensor w = m.stateDict().get("model.layers.1.mlp.down_proj.weight");
            float[] v = w.toFloatArray();
            v[7] = Float.NaN;
            w.copyFrom(Tensor.of(v, w.shape()));
            m.save(dir, Map.of());
        }
        tok.save(dir.resolve("tokenizer.json"));

        CommandLineTest.Run r = CommandLineTest.run("generate", "--model", dir.toString(), "--prompt", "the cat sat", "--max-new-tokens", "4");
        assertEquals(2, r.exit(), "exit code; out: " + r.out() + " err: " + r.err());
        assertEquals("", r.out(), "no continuation is printed");
        assertEquals("racro4j generate: generate: non-finite logits at the prefill (new token 1) in row 0 of 1 (the sampled token's "
                + "log-probability is NaN): the model's weights or inputs hold NaN or infinity", r.err().strip());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertTrue(r.err().strip().lines().count() == 1, r.err());
    }
}

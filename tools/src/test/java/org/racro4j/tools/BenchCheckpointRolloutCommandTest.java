package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.bench.BenchModel;
import org.racro4j.bench.DecoderShape;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.models.decoder.CausalLM;

/** bench make-model --dtype bf16 / --intermediate, and bench checkpoint-rollout on the result. */
class BenchCheckpointRolloutCommandTest {
    @TempDir
    Path tmp;

    static final String[] SHAPE = {"--layers", "2", "--dim", "24", "--heads", "3", "--kv-heads", "1", "--vocab", "45"};

    private CommandLineTest.Run makeModel(Path dir, String... extra) {
        String[] args = new String[2 + SHAPE.length + 2 + extra.length];
        args[0] = "bench";
        args[1] = "make-model";
        System.arraycopy(SHAPE, 0, args, 2, SHAPE.length);
        args[SHAPE.length + 2] = "--out";
        args[SHAPE.length + 3] = dir.toString();
        System.arraycopy(extra, 0, args, SHAPE.length + 4, extra.length);
        return CommandLineTest.run(args);
    }

    @Test
    void aBf16BenchModelIsTheF32OneRounded() throws IOException {
        // Drawn in BF16 (2 bytes per weight while making it): the normal draw is rounded, then scaled by the init std
        // and rounded again, so each weight is within two BF16 roundings (2 x 2^-8 relative) of the F32 model's.
        Path dir = tmp.resolve("bf16");
        CommandLineTest.Run r = makeModel(dir, "--dtype", "bf16");
        assertEquals(0, r.exit(), r.err());
        Map<String, Tensor> saved = Safetensors.read(dir.resolve("model.safetensors"));
        try (CausalLM bench = BenchModel.create(new DecoderShape(2, 24, 3, 1, 45), 7, Device.CPU)) {
            assertEquals(bench.stateDict().keySet(), saved.keySet());
            for (var e : bench.stateDict().entrySet()) {
                Tensor s = saved.get(e.getKey());
                assertEquals(DType.BF16, s.dtype(), e.getKey());
                float[] want = e.getValue().toFloatArray();
                float[] got = s.toFloatArray();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 0x1p-7 * Math.abs(want[i]), e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void intermediateSizesTheMlpAndRolloutTimesTheLoadedModel() throws IOException {
        Path dir = tmp.resolve("wide");
        CommandLineTest.Run r = makeModel(dir, "--dtype", "bf16", "--intermediate", "40");
        assertEquals(0, r.exit(), r.err());
        Map<String, Tensor> saved = Safetensors.read(dir.resolve("model.safetensors"));
        assertEquals(java.util.List.of(40, 24), java.util.Arrays.stream(saved.get("model.layers.1.mlp.gate_proj.weight").shape()).boxed().toList());
        long elements = 0;
        for (Tensor t : saved.values()) elements += t.numel();

        for (String dtype : new String[] {"bf16", "f32"}) {
            CommandLineTest.Run run = CommandLineTest.run("bench", "checkpoint-rollout", "--model", dir.toString(), "--dtype", dtype,
                    "--batch", "2", "--prompt-len", "3", "--new-tokens", "4", "--warmup", "0");
            assertEquals(0, run.exit(), run.err());
            JsonNode j = new ObjectMapper().readTree(run.out().strip());
            assertEquals(dtype.toUpperCase(), j.get("dtype").asText());
            assertEquals(40, j.get("intermediate").asInt());
            assertEquals(elements * (dtype.equals("bf16") ? 2 : 4), j.get("weight_bytes").asLong(), "weights kept in " + dtype);
            assertTrue(j.get("decode_tokens_per_s").asDouble() > 0, run.out());
        }
    }

    @Test
    void badDtypesAreOneLineErrors() {
        CommandLineTest.Run make = makeModel(tmp.resolve("x"), "--dtype", "f8");
        assertEquals(2, make.exit());
        assertEquals(1, make.err().strip().lines().count(), make.err());
        assertTrue(make.err().contains("--dtype must be f32 or bf16"), make.err());

        Path dir = tmp.resolve("ok");
        assertEquals(0, makeModel(dir).exit());
        CommandLineTest.Run run = CommandLineTest.run("bench", "checkpoint-rollout", "--model", dir.toString(), "--dtype", "fp16",
                "--batch", "1", "--prompt-len", "2", "--new-tokens", "2");
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("--dtype must be f32 or bf16"), run.err());
    }
}

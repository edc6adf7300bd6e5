package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.bench.BenchModel;
import org.racro4j.bench.DecoderShape;
import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.gguf.GgmlType;
import org.racro4j.models.decoder.gguf.GgufReader;

/** bench make-model → export-gguf → bench logits, and their one-line errors. */
class ExportGgufCommandTest {
    @TempDir
    Path tmp;

    static final String[] SHAPE = {"--layers", "2", "--dim", "24", "--heads", "3", "--kv-heads", "1", "--vocab", "45"};

    private Path makeModel() {
        Path dir = tmp.resolve("bench-model");
        String[] args = new String[SHAPE.length + 4];
        args[0] = "bench";
        args[1] = "make-model";
        System.arraycopy(SHAPE, 0, args, 2, SHAPE.length);
        args[SHAPE.length + 2] = "--out";
        args[SHAPE.length + 3] = dir.toString();
        CommandLineTest.Run r = CommandLineTest.run(args);
        assertEquals(0, r.exit(), r.err());
        return dir;
    }

    @Test
    void makeModelSavesTheRolloutBenchmarksWeights() throws IOException {
        Path dir = makeModel();
        Map<String, Tensor> saved = Safetensors.read(dir.resolve("model.safetensors"));
        try (CausalLM bench = BenchModel.create(new DecoderShape(2, 24, 3, 1, 45), 7, Device.CPU)) {
            assertEquals(bench.stateDict().keySet(), saved.keySet());
            for (var e : bench.stateDict().entrySet()) {
                assertTrue(java.util.Arrays.equals(e.getValue().toFloatArray(), saved.get(e.getKey()).toFloatArray()), e.getKey());
            }
        }
        CommandLineTest.Run again = CommandLineTest.run("bench", "make-model", SHAPE[0], SHAPE[1], SHAPE[2], SHAPE[3], SHAPE[4], SHAPE[5],
                SHAPE[6], SHAPE[7], SHAPE[8], SHAPE[9], "--out", dir.toString());
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("already exists"), again.err());
    }

    @Test
    void exportsReadsBackAndRefusesBadArguments() throws IOException {
        Path dir = makeModel();
        Path out = tmp.resolve("m.gguf");
        CommandLineTest.Run r = CommandLineTest.run("export-gguf", "--model", dir.toString(), "--out", out.toString(), "--type", "F16");
        assertEquals(0, r.exit(), r.err());
        // per layer 2 norms, q/k/v weights and biases, o, gate, up, down; then the embedding and the final norm
        assertTrue(r.out().contains("qwen2, 26 tensors (matrices F16)"), r.out());
        try (GgufReader g = GgufReader.open(out)) {
            assertEquals(GgmlType.F16, g.tensors().get("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.F32, g.tensors().get("blk.1.attn_q.bias").type());
        }

        CommandLineTest.Run exists = CommandLineTest.run("export-gguf", "--model", dir.toString(), "--out", out.toString());
        assertEquals(2, exists.exit());
        assertEquals(1, exists.err().strip().lines().count(), exists.err());
        assertTrue(exists.err().contains("already exists"), exists.err());

        CommandLineTest.Run type = CommandLineTest.run("export-gguf", "--model", dir.toString(), "--out", tmp.resolve("b.gguf").toString(), "--type", "q8");
        assertEquals(2, type.exit());
        assertTrue(type.err().contains("--type q8 is not one of f32, f16, bf16"), type.err());

        CommandLineTest.Run missing = CommandLineTest.run("export-gguf", "--model", tmp.resolve("nope").toString(), "--out", tmp.resolve("c.gguf").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("no such model directory"), missing.err());
        assertTrue(Files.notExists(tmp.resolve("b.gguf")) && Files.notExists(tmp.resolve("c.gguf")));
    }

    @Test
    void logitsArePrintedForTheLastPosition() throws IOException {
        Path dir = makeModel();
        CommandLineTest.Run r = CommandLineTest.run("bench", "logits", "--model", dir.toString(), "--ids", "3,44,0,7");
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(45, json.get("n_vocab").asInt());
        try (CausalLM m = CausalLM.load(dir, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad()) {
            float[] all = m.forward(Tensor.ofLongs(new long[] {3, 44, 0, 7}, 1, 4), null, null).toFloatArray();
            for (int v = 0; v < 45; v++) assertEquals(all[3 * 45 + v], json.get("logits").get(v).floatValue(), 0f, "logit " + v);
        }
        CommandLineTest.Run bad = CommandLineTest.run("bench", "logits", "--model", dir.toString(), "--ids", "3,45");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("45 is not a token id of a vocabulary of 45"), bad.err());
    }
}

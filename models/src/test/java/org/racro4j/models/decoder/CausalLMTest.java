package org.racro4j.models.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.core.random.Generator;

class CausalLMTest {
    @TempDir
    Path tmp;

    /** Awkward sizes on purpose: head dim 6, 4 query heads on 2 KV heads, vocabulary 37. */
    static DecoderConfig qwen2Config() {
        return new DecoderConfig(DecoderConfig.QWEN2, 37, 24, 40, 2, 4, 2, 6, 64, 10000.0, 1e-6, true, true, 0, List.of(1));
    }

    static DecoderConfig llamaConfig() {
        return new DecoderConfig(DecoderConfig.LLAMA, 41, 20, 36, 3, 5, 1, 4, 64, 500000.0, 1e-5, false, false, 1, List.of(2));
    }

    static CausalLM randomModel(DecoderConfig c, long seed) {
        return TestModels.randomModel(c, seed);
    }

    static int[] randomIds(Generator g, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = g.nextInt(vocab);
        return ids;
    }

    static Tensor idsTensor(int[][] rows) {
        int t = rows[0].length;
        long[] flat = new long[rows.length * t];
        for (int b = 0; b < rows.length; b++) for (int i = 0; i < t; i++) flat[b * t + i] = rows[b][i];
        return Tensor.ofLongs(flat, rows.length, t);
    }

    static void assertLogitsClose(double[][] want, float[] got, int offset, String what) {
        double scale = 0;
        for (double[] row : want) for (double v : row) scale = Math.max(scale, Math.abs(v));
        int v = want[0].length;
        for (int i = 0; i < want.length; i++) {
            for (int j = 0; j < v; j++) {
                double err = Math.abs(got[offset + i * v + j] - want[i][j]);
                assertTrue(err <= 1e-4 * scale, what + ": logit [" + i + "][" + j + "] = " + got[offset + i * v + j]
                        + ", float64 reference " + want[i][j] + " (max |logit| " + scale + ")");
            }
        }
    }

    private void checkAgainstReference(DecoderConfig c, DType fileType) throws IOException {
        Path dir = tmp.resolve(c.architecture() + "-" + fileType);
        try (CausalLM m = randomModel(c, 7)) {
            if (fileType == DType.F32) {
                m.save(dir, Map.of());
            } else {
                Files.createDirectories(dir);
                c.write(dir.resolve("config.json"));
                Map<String, Tensor> cast = new LinkedHashMap<>();
                m.stateDict().forEach((k, t) -> cast.put(k, Scope.unscoped(() -> t.to(fileType))));
                Safetensors.write(dir.resolve("model.safetensors"), cast, Map.of("format", "pt"));
                cast.values().forEach(Tensor::close);
            }
        }
        try (CausalLM loaded = CausalLM.load(dir, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad()) {
            ReferenceDecoder ref = new ReferenceDecoder(c, loaded.stateDict());
            Generator g = new Generator(11);
            int[][] rows = {randomIds(g, 9, c.vocabSize()), randomIds(g, 9, c.vocabSize())};
            float[] got = loaded.forward(idsTensor(rows), null, null).toFloatArray();
            for (int b = 0; b < rows.length; b++) {
                assertLogitsClose(ref.logits(rows[b]), got, b * 9 * c.vocabSize(), c.architecture() + " row " + b);
            }
        }
    }

    @Test
    void qwen2LogitsMatchFloat64Reference() throws IOException {
        checkAgainstReference(qwen2Config(), DType.F32);
    }

    @Test
    void llamaLogitsMatchFloat64Reference() throws IOException {
        checkAgainstReference(llamaConfig(), DType.F32);
    }

    @Test
    void bf16AndF16CheckpointsLoadIntoF32() throws IOException {
        checkAgainstReference(qwen2Config(), DType.BF16);
        checkAgainstReference(llamaConfig(), DType.F16);
    }

    @Test
    void shardedCheckpointLoadsLikeASingleFile() throws IOException {
        DecoderConfig c = llamaConfig();
        Path single = tmp.resolve("single");
        Path sharded = tmp.resolve("sharded");
        Files.createDirectories(sharded);
        try (CausalLM m = randomModel(c, 3)) {
            m.save(single, Map.of());
            c.write(sharded.resolve("config.json"));
            Map<String, Tensor> a = new LinkedHashMap<>();
            Map<String, Tensor> b = new LinkedHashMap<>();
            StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
            int i = 0;
            for (var e : m.stateDict().entrySet()) {
                boolean first = i++ % 2 == 0;
                (first ? a : b).put(e.getKey(), e.getValue());
                index.append(i > 1 ? ", " : "").append('"').append(e.getKey()).append("\": \"")
                        .append(first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors").append('"');
            }
            Safetensors.write(sharded.resolve("model-00001-of-00002.safetensors"), a, Map.of());
            Safetensors.write(sharded.resolve("model-00002-of-00002.safetensors"), b, Map.of());
            Files.writeString(sharded.resolve("model.safetensors.index.json"), index.append("}}").toString());
        }
        Tensor ids = idsTensor(new int[][] {randomIds(new Generator(5), 6, c.vocabSize())});
        try (CausalLM x = CausalLM.load(single, DType.F32, Device.CPU); CausalLM y = CausalLM.load(sharded, DType.F32, Device.CPU);
             Autograd.Mode off = Autograd.noGrad()) {
            float[] l1 = x.forward(ids, null, null).toFloatArray();
            float[] l2 = y.forward(ids, null, null).toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(l1, l2, 0f);
        }
    }

    @Test
    void badCheckpointsNameTheFileAndTheProblem() throws IOException {
        DecoderConfig c = qwen2Config();
        Path dir = tmp.resolve("bad");
        try (CausalLM m = randomModel(c, 1)) {
            m.save(dir, Map.of());
        }
        Path weights = dir.resolve("model.safetensors");
        Map<String, Tensor> sd = Safetensors.read(weights);

        Map<String, Tensor> missing = new LinkedHashMap<>(sd);
        missing.remove("model.layers.1.mlp.up_proj.weight");
        Safetensors.write(weights, missing, Map.of());
        IOException e1 = assertThrows(IOException.class, () -> CausalLM.load(dir, DType.F32, Device.CPU));
        assertTrue(e1.getMessage().contains("missing tensor 'model.layers.1.mlp.up_proj.weight'"), e1.getMessage());

        Map<String, Tensor> extra = new LinkedHashMap<>(sd);
        extra.put("model.layers.9.bogus.weight", Tensor.zeros(3));
        Safetensors.write(weights, extra, Map.of());
        IOException e2 = assertThrows(IOException.class, () -> CausalLM.load(dir, DType.F32, Device.CPU));
        assertTrue(e2.getMessage().contains("model.safetensors: unexpected tensor 'model.layers.9.bogus.weight'"), e2.getMessage());

        Map<String, Tensor> shaped = new LinkedHashMap<>(sd);
        shaped.put("model.norm.weight", Tensor.ones(25));
        Safetensors.write(weights, shaped, Map.of());
        IOException e3 = assertThrows(IOException.class, () -> CausalLM.load(dir, DType.F32, Device.CPU));
        assertTrue(e3.getMessage().contains("model.safetensors: tensor 'model.norm.weight' has shape [25], the config needs [24]"), e3.getMessage());

        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("Qwen2ForCausalLM", "GPTNeoXForCausalLM"));
        IOException e4 = assertThrows(IOException.class, () -> CausalLM.load(dir, DType.F32, Device.CPU));
        assertTrue(e4.getMessage().contains("config.json") && e4.getMessage().contains("unknown architecture GPTNeoXForCausalLM"), e4.getMessage());

        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"Qwen2ForCausalLM\"], \"hidden_size\": \"big\"");
        IOException e5 = assertThrows(IOException.class, () -> CausalLM.load(dir, DType.F32, Device.CPU));
        assertTrue(e5.getMessage().contains("config.json") && e5.getMessage().contains("not valid JSON"), e5.getMessage());

        Files.delete(weights);
        Files.writeString(dir.resolve("config.json"), "{}");
        c.write(dir.resolve("config.json"));
        IOException e6 = assertThrows(IOException.class, () -> CausalLM.load(dir, DType.F32, Device.CPU));
        assertTrue(e6.getMessage().contains("no model.safetensors or model.safetensors.index.json"), e6.getMessage());
        sd.values().forEach(Tensor::close);
    }

    @Test
    void configRoundTripsThroughHuggingFaceJson() throws IOException {
        for (DecoderConfig c : List.of(qwen2Config(), llamaConfig())) {
            Path p = tmp.resolve(c.architecture() + ".json");
            c.write(p);
            assertEquals(c, DecoderConfig.read(p));
        }
    }
}

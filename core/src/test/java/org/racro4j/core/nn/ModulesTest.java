package org.racro4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;
import static org.racro4j.core.TestSupport.uniform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.HalfFloats;
import org.racro4j.core.ScopePerTest;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.core.random.Generator;

/** nn layers against float64 references; module state dicts, save/load, strict loading, dtype moves. */
@ExtendWith(ScopePerTest.class)
class ModulesTest {
    /** An encoder block with a nested child, a norm, and a buffer. */
    static final class Block extends Module {
        final Linear fc1;
        final Linear fc2;
        final LayerNorm norm;

        Block(Generator gen) {
            fc1 = registerModule("fc1", new Linear(6, 10, true, gen));
            fc2 = registerModule("fc2", new Linear(10, 6, false, gen));
            norm = registerModule("norm", new LayerNorm(6, 1e-5f));
        }
    }

    static final class Model extends Module {
        final Embedding embed;
        final Block block;
        final RMSNorm finalNorm;

        Model(Generator gen) {
            registerParameter("scale", Tensor.full(0.5f, 1));
            registerBuffer("positions", Tensor.arange(0, 4, 1, DType.I64, Device.CPU));
            embed = registerModule("embed", new Embedding(9, 6, gen));
            block = registerModule("block", new Block(gen));
            finalNorm = registerModule("final_norm", new RMSNorm(6, 1e-6f));
        }
    }

    // ------------------------------------------------------------------------------------------ layers

    @Test
    void linearComputesXWTransposePlusBias() {
        try (Linear lin = new Linear(7, 4, true, new Generator(1))) {
            float[] x = normal(2, 2 * 3 * 7);
            float[] w = lin.weight().toFloatArray();
            float[] b = lin.bias().toFloatArray();
            Tensor y = lin.forward(Tensor.of(x, 2, 3, 7));
            assertArrayEquals(new int[] {2, 3, 4}, y.shape());
            double[] ref = new double[2 * 3 * 4];
            for (int r = 0; r < 6; r++) {
                for (int o = 0; o < 4; o++) {
                    double s = b[o];
                    for (int i = 0; i < 7; i++) s += (double) x[r * 7 + i] * w[o * 7 + i];
                    ref[r * 4 + o] = s;
                }
            }
            assertClose("linear", ref, y.toFloatArray(), 1e-6, 1e-6);
            assertEquals(7, lin.inFeatures());
            assertEquals(4, lin.outFeatures());
            double bound = 1 / Math.sqrt(7);
            for (float v : w) assertTrue(Math.abs(v) <= bound, "init within +-1/sqrt(in)");
            for (float v : b) assertTrue(Math.abs(v) <= bound);
        }
    }

    @Test
    void linearWithoutBiasHasOnlyAWeight() {
        try (Linear lin = new Linear(3, 5, false, new Generator(3))) {
            assertNull(lin.bias());
            assertEquals(List.of("weight"), List.copyOf(lin.namedParameters().keySet()));
            float[] x = normal(4, 3);
            assertClose("linear no bias", org.racro4j.core.TestSupport.matmulRef(lin.weight().toFloatArray(), x, 1, 5, 3, 1),
                    lin.forward(Tensor.of(x, 3)).toFloatArray(), 1e-6, 1e-6);
        }
    }

    @Test
    void embeddingLooksUpRows() {
        try (Embedding e = new Embedding(9, 5, new Generator(5), 0.02f, DType.F32, Device.CPU)) {
            float[] w = e.weight().toFloatArray();
            double sq = 0;
            for (float v : w) sq += v * v;
            assertEquals(0.02, Math.sqrt(sq / w.length), 0.01, "std of the initial table");
            long[] ids = {8, 0, 3, 3, 1, 7};
            Tensor y = e.forward(Tensor.ofLongs(ids, 2, 3));
            assertArrayEquals(new int[] {2, 3, 5}, y.shape());
            float[] yv = y.toFloatArray();
            for (int i = 0; i < 6; i++) for (int c = 0; c < 5; c++) assertEquals(w[(int) ids[i] * 5 + c], yv[i * 5 + c]);
        }
    }

    @Test
    void layerNormAndRmsNormModulesNormaliseTheLastDim() {
        int c = 9;
        float[] x = normal(6, 4 * c);
        for (int i = 0; i < x.length; i++) x[i] = x[i] * 2 + 3;
        try (LayerNorm ln = new LayerNorm(c, 1e-5f); RMSNorm rms = new RMSNorm(c, 1e-6f)) {
            float[] w = uniform(7, c, 0.5, 1.5);
            float[] b = normal(8, c);
            Map<String, Tensor> sd = new LinkedHashMap<>();
            sd.put("weight", Tensor.of(w, c));
            sd.put("bias", Tensor.of(b, c));
            ln.loadStateDict(sd, true);
            rms.loadStateDict(Map.of("weight", Tensor.of(w, c)), true);
            float[] y = ln.forward(Tensor.of(x, 4, c)).toFloatArray();
            float[] z = rms.forward(Tensor.of(x, 4, c)).toFloatArray();
            double[] refY = new double[x.length];
            double[] refZ = new double[x.length];
            for (int r = 0; r < 4; r++) {
                double mu = 0;
                double ss = 0;
                for (int j = 0; j < c; j++) {
                    mu += x[r * c + j];
                    ss += (double) x[r * c + j] * x[r * c + j];
                }
                mu /= c;
                double var = 0;
                for (int j = 0; j < c; j++) var += (x[r * c + j] - mu) * (x[r * c + j] - mu);
                var /= c;
                for (int j = 0; j < c; j++) {
                    refY[r * c + j] = (x[r * c + j] - mu) / Math.sqrt(var + 1e-5) * w[j] + b[j];
                    refZ[r * c + j] = x[r * c + j] / Math.sqrt(ss / c + 1e-6) * w[j];
                }
            }
            assertClose("LayerNorm module", refY, y, 1e-5, 1e-5);
            assertClose("RMSNorm module", refZ, z, 1e-5, 1e-5);
        }
        try (LayerNorm fresh = new LayerNorm(3, 1e-5f, false, DType.F32, Device.CPU)) {
            assertEquals(List.of("weight"), List.copyOf(fresh.stateDict().keySet()));
            assertArrayEquals(new float[] {1, 1, 1}, fresh.stateDict().get("weight").toFloatArray());
        }
    }

    // ------------------------------------------------------------------------------------------ state dicts

    @Test
    void stateDictNamesAreDottedAndNestedInRegistrationOrder() {
        try (Model m = new Model(new Generator(9))) {
            assertEquals(List.of("scale", "positions", "embed.weight", "block.fc1.weight", "block.fc1.bias", "block.fc2.weight",
                    "block.norm.weight", "block.norm.bias", "final_norm.weight"), List.copyOf(m.stateDict().keySet()));
            assertEquals(List.of("scale", "embed.weight", "block.fc1.weight", "block.fc1.bias", "block.fc2.weight",
                    "block.norm.weight", "block.norm.bias", "final_norm.weight"), List.copyOf(m.namedParameters().keySet()),
                    "buffers are saved but not trained");
            assertEquals(1 + 9 * 6 + 6 * 10 + 10 + 10 * 6 + 6 + 6 + 6, m.parameterCount());
            for (Tensor p : m.parameters()) assertTrue(p.requiresGrad());
            assertFalse(m.stateDict().get("positions").requiresGrad());
            assertEquals(List.of("fc1", "fc2", "norm"), List.copyOf(m.block.children().keySet()));
            m.train(false);
            assertFalse(m.block.fc1.isTraining());
        }
    }

    @Test
    void badOrDuplicateNamesAreRejected() {
        Module m = new Module() {
            {
                registerParameter("w", Tensor.ones(2));
                assertThrows(IllegalArgumentException.class, () -> registerParameter("w", Tensor.ones(2)));
                assertThrows(IllegalArgumentException.class, () -> registerBuffer("a.b", Tensor.ones(2)));
                assertThrows(IllegalArgumentException.class, () -> registerModule("", new RMSNorm(2, 1e-6f)));
            }
        };
        m.close();
    }

    @Test
    void saveAndLoadRoundTripThroughSafetensors(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.safetensors");
        try (Model a = new Model(new Generator(10)); Model b = new Model(new Generator(11))) {
            a.save(file);
            assertFalse(java.util.Arrays.equals(a.block.fc1.weight().toFloatArray(), b.block.fc1.weight().toFloatArray()));
            b.load(file);
            for (var e : a.stateDict().entrySet()) {
                Tensor other = b.stateDict().get(e.getKey());
                assertEquals(e.getValue().dtype(), other.dtype(), e.getKey());
                if (e.getValue().dtype().isFloatingPoint()) assertArrayEquals(e.getValue().toFloatArray(), other.toFloatArray(), e.getKey());
                else assertArrayEquals(e.getValue().toLongArray(), other.toLongArray(), e.getKey());
            }
            try (Safetensors.Reader r = Safetensors.open(file)) {
                assertEquals("pt", r.metadata().get("format"));
                assertEquals(List.copyOf(a.stateDict().keySet()), r.names());
                assertEquals(DType.I64, r.entry("positions").dtype());
            }
        }
    }

    @Test
    void strictLoadingNamesEveryMissingUnexpectedAndMisshapedTensor() {
        try (Block blk = new Block(new Generator(12))) {
            Map<String, Tensor> sd = new LinkedHashMap<>(blk.stateDict());
            sd.remove("fc1.bias");
            sd.remove("norm.weight");
            sd.put("fc3.weight", Tensor.ones(2, 2));
            sd.put("fc2.weight", Tensor.ones(10, 6)); // transposed shape
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> blk.loadStateDict(sd, true));
            String msg = e.getMessage();
            assertTrue(msg.contains("missing: fc1.bias, norm.weight"), msg);
            assertTrue(msg.contains("unexpected: fc3.weight"), msg);
            assertTrue(msg.contains("wrong shape: fc2.weight: expected [6, 10], got [10, 6]"), msg);
            // non-strict loading tolerates missing and extra names, never wrong shapes
            IllegalArgumentException ns = assertThrows(IllegalArgumentException.class, () -> blk.loadStateDict(sd, false));
            assertTrue(ns.getMessage().contains("fc2.weight"), ns.getMessage());
            sd.remove("fc2.weight");
            float[] before = blk.fc1.bias().toFloatArray();
            blk.loadStateDict(sd, false);
            assertArrayEquals(before, blk.fc1.bias().toFloatArray(), "a missing tensor keeps its value");
        }
    }

    @Test
    void loadingAFileWithOtherNamesNamesTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("other.safetensors");
        Safetensors.write(file, Map.of("weight", Tensor.ones(3)), Map.of());
        try (Block blk = new Block(new Generator(13))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> blk.load(file));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("unexpected: weight"), e.getMessage());
        }
    }

    @Test
    void loadStateDictConvertsDtypes() {
        try (RMSNorm n = new RMSNorm(4, 1e-6f)) {
            n.loadStateDict(Map.of("weight", Tensor.of(new float[] {1.5f, 2.5f, -1f, 3f}, 4).to(DType.BF16)), true);
            assertEquals(DType.F32, n.weight().dtype());
            assertArrayEquals(new float[] {1.5f, 2.5f, -1f, 3f}, n.weight().toFloatArray());
        }
    }

    @Test
    void moduleToBf16KeepsParameterIdentityAndRoundsValues() {
        try (Model m = new Model(new Generator(14))) {
            Map<String, Tensor> before = new LinkedHashMap<>(m.stateDict());
            Map<String, float[]> values = new LinkedHashMap<>();
            before.forEach((k, v) -> values.put(k, v.toFloatArray()));
            Tensor w = m.block.fc1.weight();
            w.sum().backward();
            assertTrue(w.grad() != null);
            m.to(Device.CPU, DType.BF16);
            assertNull(w.grad(), "moving drops the gradient");
            for (var e : m.stateDict().entrySet()) {
                assertSame(before.get(e.getKey()), e.getValue(), "same tensor object: " + e.getKey());
                if (e.getKey().equals("positions")) {
                    assertEquals(DType.I64, e.getValue().dtype(), "integer buffers keep their dtype");
                    continue;
                }
                assertEquals(DType.BF16, e.getValue().dtype(), e.getKey());
                float[] v = values.get(e.getKey());
                float[] now = e.getValue().toFloatArray();
                for (int i = 0; i < v.length; i++) assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v[i])), now[i], 0f);
            }
            for (Tensor p : m.parameters()) assertTrue(p.requiresGrad());
            Tensor y = m.block.fc1.forward(Tensor.of(normal(15, 12), 2, 6).to(DType.BF16));
            assertEquals(DType.BF16, y.dtype());
            m.to(Device.CPU, DType.F32);
            assertEquals(DType.F32, w.dtype());
        }
    }

    @Test
    void zeroGradAndCloseFreeGradientsAndParameters() {
        Block blk = new Block(new Generator(16));
        Tensor out = blk.norm.forward(blk.fc2.forward(blk.fc1.forward(Tensor.of(normal(17, 12), 2, 6)).relu()));
        out.sum().backward();
        for (Tensor p : blk.parameters()) assertTrue(p.grad() != null, "every parameter got a gradient");
        blk.zeroGrad();
        for (Tensor p : blk.parameters()) assertNull(p.grad());
        List<Tensor> params = blk.parameters();
        blk.close();
        for (Tensor p : params) assertTrue(p.isClosed());
    }

    @Test
    void theModelSavedFileIsReadableWithoutTheModule(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.safetensors");
        try (Model m = new Model(new Generator(18))) {
            m.save(f);
            Map<String, Tensor> read = Safetensors.read(f);
            assertEquals(m.stateDict().keySet(), read.keySet());
            assertArrayEquals(m.embed.weight().toFloatArray(), read.get("embed.weight").toFloatArray());
            read.values().forEach(Tensor::close);
        }
        assertTrue(Files.size(f) > 0);
    }
}

package org.racro4j.models.decoder.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.TestModels;

/**
 * Exports random checkpoints of awkward sizes and reads the files back with {@link GgufReader}, comparing every
 * tensor with the safetensors file (read on its own), the Llama q/k rows put back by a mapping written here, and
 * the F16/BF16 values with roundings computed here by searching for the nearest representable value.
 */
class GgufExportTest {
    @TempDir
    Path tmp;

    static final Path GPT2_TOKENIZER = Path.of("src/test/resources/tokenizer/gpt2/tokenizer.json");

    /** Odd widths, head dims 6 and 10, GQA, tied and untied heads, Llama with and without attention biases. */
    static Stream<Arguments> checkpoints() {
        DecoderConfig qwenTied = new DecoderConfig(DecoderConfig.QWEN2, 37, 30, 46, 2, 3, 1, 10, 64, 1e6, 1e-6, true, true, -1, List.of(5));
        DecoderConfig qwenUntied = new DecoderConfig(DecoderConfig.QWEN2, 41, 24, 35, 3, 4, 2, 6, 96, 12345.0, 3e-6, false, true, -1, List.of());
        DecoderConfig llamaBias = new DecoderConfig(DecoderConfig.LLAMA, 29, 36, 50, 2, 6, 2, 6, 80, 500000.0, 1e-5, false, true, 1, List.of(2));
        DecoderConfig llamaTied = new DecoderConfig(DecoderConfig.LLAMA, 33, 40, 27, 1, 4, 4, 10, 40, 10000.0, 1e-5, true, false, 0, List.of(1));
        List<Arguments> out = new ArrayList<>();
        for (GgmlType t : GgmlType.values()) {
            out.add(Arguments.of(qwenTied, t));
            out.add(Arguments.of(qwenUntied, t));
            out.add(Arguments.of(llamaBias, t));
            out.add(Arguments.of(llamaTied, t));
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("checkpoints")
    void everyTensorAndKeyReadsBack(DecoderConfig c, GgmlType type) throws IOException {
        Path dir = tmp.resolve("model");
        try (CausalLM m = TestModels.randomModel(c, 17)) {
            m.save(dir, Map.of());
        }
        Path out = tmp.resolve("model.gguf");
        GgufExport.Summary s = GgufExport.export(dir, out, type);
        boolean llama = c.architecture().equals(DecoderConfig.LLAMA);
        String arch = llama ? "llama" : "qwen2";
        assertEquals(arch, s.architecture());

        Map<String, Tensor> hf = Safetensors.read(dir.resolve("model.safetensors"));
        try (GgufReader r = GgufReader.open(out)) {
            assertEquals(3, r.version());
            assertEquals(32, r.alignment());
            assertEquals(GgufValue.UINT32, r.require("general.alignment").type());
            assertEquals(0, r.dataStart() % 32);
            assertEquals(arch, r.require("general.architecture").asString());
            assertEquals(type.fileType(), r.require("general.file_type").asLong());
            assertEquals(c.maxPositions(), r.require(arch + ".context_length").asLong());
            assertEquals(c.hiddenSize(), r.require(arch + ".embedding_length").asLong());
            assertEquals(c.numLayers(), r.require(arch + ".block_count").asLong());
            assertEquals(c.intermediateSize(), r.require(arch + ".feed_forward_length").asLong());
            assertEquals(c.numHeads(), r.require(arch + ".attention.head_count").asLong());
            assertEquals(c.numKvHeads(), r.require(arch + ".attention.head_count_kv").asLong());
            assertEquals(c.headDim(), r.require(arch + ".attention.key_length").asLong());
            assertEquals(c.headDim(), r.require(arch + ".rope.dimension_count").asLong());
            assertEquals(GgufValue.FLOAT32, r.require(arch + ".rope.freq_base").type());
            assertEquals((float) c.ropeTheta(), (float) r.require(arch + ".rope.freq_base").asDouble());
            assertEquals((float) c.rmsNormEps(), (float) r.require(arch + ".attention.layer_norm_rms_epsilon").asDouble());
            assertEquals(c.vocabSize(), r.require(arch + ".vocab_size").asLong());
            assertEquals("none", r.require("tokenizer.ggml.model").asString());

            Map<String, String> names = expectedNames(c);
            assertEquals(names.size(), r.tensors().size(), "tensor count");
            assertEquals(c.tieWordEmbeddings(), !r.tensors().containsKey("output.weight"));
            for (var e : names.entrySet()) {
                Tensor want = hf.get(e.getKey());
                GgufReader.TensorInfo info = r.tensors().get(e.getValue());
                assertTrue(info != null, "missing " + e.getValue());
                int[] shape = want.shape();
                assertEquals(shape.length, info.dims().length, e.getValue());
                for (int i = 0; i < shape.length; i++) assertEquals(shape[shape.length - 1 - i], info.dims()[i], e.getValue() + " dims");
                assertEquals(shape.length == 2 ? type : GgmlType.F32, info.type(), e.getValue() + " type");
                assertEquals(0, info.offset() % 32, e.getValue() + " offset");

                float[] got = r.readFloats(e.getValue());
                if (llama && (e.getKey().contains("q_proj") || e.getKey().contains("k_proj"))) {
                    int heads = e.getKey().contains("q_proj") ? c.numHeads() : c.numKvHeads();
                    got = undoRopePermutation(got, heads, c.headDim(), shape.length == 2 ? shape[1] : 1);
                }
                float[] src = want.toFloatArray();
                for (int i = 0; i < src.length; i++) {
                    float expect = info.type() == GgmlType.F32 ? src[i] : info.type() == GgmlType.F16 ? nearestHalf(src[i]) : nearestBf16(src[i]);
                    assertEquals(expect, got[i], 0f, e.getValue() + " element " + i);
                }
            }
        }
    }

    /** The Hugging Face → GGUF names, written out here rather than taken from {@link LlamaCppNames}. */
    private static Map<String, String> expectedNames(DecoderConfig c) {
        Map<String, String> n = new HashMap<>();
        n.put("model.embed_tokens.weight", "token_embd.weight");
        n.put("model.norm.weight", "output_norm.weight");
        if (!c.tieWordEmbeddings()) n.put("lm_head.weight", "output.weight");
        for (int l = 0; l < c.numLayers(); l++) {
            String h = "model.layers." + l + ".", g = "blk." + l + ".";
            n.put(h + "input_layernorm.weight", g + "attn_norm.weight");
            n.put(h + "post_attention_layernorm.weight", g + "ffn_norm.weight");
            for (String[] p : new String[][] {{"q", "attn_q"}, {"k", "attn_k"}, {"v", "attn_v"}}) {
                n.put(h + "self_attn." + p[0] + "_proj.weight", g + p[1] + ".weight");
                if (c.attentionBias()) n.put(h + "self_attn." + p[0] + "_proj.bias", g + p[1] + ".bias");
            }
            n.put(h + "self_attn.o_proj.weight", g + "attn_output.weight");
            n.put(h + "mlp.gate_proj.weight", g + "ffn_gate.weight");
            n.put(h + "mlp.up_proj.weight", g + "ffn_up.weight");
            n.put(h + "mlp.down_proj.weight", g + "ffn_down.weight");
        }
        return n;
    }

    /**
     * Back to Hugging Face's row order: within each head, llama.cpp's row 2i holds the first half's row i and row
     * 2i + 1 the second half's row i (the rotary pairs sit side by side).
     */
    static float[] undoRopePermutation(float[] w, int heads, int headDim, int cols) {
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int row = 0; row < headDim; row++) {
                int from = row < headDim / 2 ? 2 * row : 2 * (row - headDim / 2) + 1;
                for (int col = 0; col < cols; col++) out[(h * headDim + row) * cols + col] = w[(h * headDim + from) * cols + col];
            }
        }
        return out;
    }

    /** The binary16 value nearest x (ties to the even code), by binary search over the ordered positive codes. */
    static float nearestHalf(float x) {
        double a = Math.abs((double) x);
        int lo = 0, hi = 0x7bff;   // 0x7bff = 65504, the largest finite half
        if (a >= 65520) return Math.copySign(Float.POSITIVE_INFINITY, x);
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (halfValue(mid) <= a) lo = mid;
            else hi = mid;
        }
        double dl = a - halfValue(lo), dh = halfValue(hi) - a;
        int code = dl < dh ? lo : dh < dl ? hi : (lo % 2 == 0 ? lo : hi);
        return (float) Math.copySign(halfValue(code), x);
    }

    private static double halfValue(int code) {
        int exp = code >> 10, mant = code & 0x3ff;
        return exp == 0 ? Math.scalb((double) mant, -24) : Math.scalb(1024.0 + mant, exp - 25);
    }

    /** The bfloat16 value nearest x: one of the two floats around it whose low 16 bits are zero; ties to even. */
    static float nearestBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        float down = Float.intBitsToFloat(bits & 0xffff0000);
        float up = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
        double dd = Math.abs((double) x - down), du = Math.abs((double) up - x);
        if (dd != du) return dd < du ? down : up;
        return ((Float.floatToRawIntBits(down) >>> 16) & 1) == 0 ? down : up;
    }

    @Test
    void theRoundingReferencesAreRight() {
        // spot values worked out by hand: 1 + 2^-11 is halfway between halves 1 and 1 + 2^-10 (ties to even: 1)
        assertEquals(1f, nearestHalf(1f + 0x1p-11f));
        assertEquals(1f + 0x1p-9f, nearestHalf(1f + 0x1p-10f + 0x1p-11f));   // halfway, the odd code 1+2^-10 loses
        assertEquals(0x1p-24f, nearestHalf(0x1p-24f * 0.75f));               // the smallest subnormal
        assertEquals(0f, nearestHalf(0x1p-26f));
        assertEquals(65504f, nearestHalf(65519f));
        assertEquals(Float.POSITIVE_INFINITY, nearestHalf(65520f));
        assertEquals(1f, nearestBf16(1f + 0x1p-8f));                          // halfway, ties to even
        assertEquals(1f + 0x1p-6f, nearestBf16(1f + 0x1p-7f + 0x1p-8f));      // halfway, odd loses
        assertEquals(-1f - 0x1p-7f, nearestBf16(-1f - 0x1p-7f - 0x1p-10f));
    }

    @Test
    void byteLevelTokenizerBecomesGpt2Metadata() throws IOException {
        // a vocabulary wider than the tokenizer's, as Qwen2 pads it: the extra ids become [PADn] of type UNUSED
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, 50263, 16, 24, 1, 2, 1, 8, 32, 1e6, 1e-6, true, true, -1, List.of(50256));
        Path dir = tmp.resolve("tok");
        try (CausalLM m = TestModels.randomModel(c, 3)) {
            m.save(dir, Map.of());
        }
        Files.copy(GPT2_TOKENIZER, dir.resolve("tokenizer.json"));
        Path out = tmp.resolve("tok.gguf");
        GgufExport.export(dir, out, GgmlType.BF16);
        JsonNode json = new ObjectMapper().readTree(GPT2_TOKENIZER.toFile());
        try (GgufReader r = GgufReader.open(out)) {
            assertEquals("gpt2", r.require("tokenizer.ggml.model").asString());
            assertEquals("qwen2", r.require("tokenizer.ggml.pre").asString());
            List<Object> tokens = r.require("tokenizer.ggml.tokens").asList();
            List<Object> types = r.require("tokenizer.ggml.token_type").asList();
            assertEquals(GgufValue.INT32, r.require("tokenizer.ggml.token_type").elementType());
            assertEquals(c.vocabSize(), tokens.size());
            assertEquals(c.vocabSize(), types.size());
            json.path("model").path("vocab").fields().forEachRemaining(e -> {
                int id = e.getValue().intValue();
                assertEquals(e.getKey(), tokens.get(id), "token " + id);
                assertEquals(id == 50256 ? 3L : 1L, types.get(id), "type of " + id);
            });
            assertEquals("[PAD50262]", tokens.get(50262));
            assertEquals(5L, types.get(50262));
            List<Object> merges = r.require("tokenizer.ggml.merges").asList();
            JsonNode jm = json.path("model").path("merges");
            assertEquals(jm.size(), merges.size());
            for (int i = 0; i < jm.size(); i += 997) assertEquals(jm.get(i).asText(), merges.get(i));
            assertEquals(50256, r.require("tokenizer.ggml.eos_token_id").asLong());
            assertNull(r.metadata().get("tokenizer.ggml.bos_token_id"));
        }
    }

    @Test
    void badInputIsAOneLineErrorAndLeavesNoFile() throws IOException {
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, 19, 8, 12, 1, 2, 1, 4, 16, 1e6, 1e-6, true, true, -1, List.of());
        Path dir = tmp.resolve("m");
        try (CausalLM m = TestModels.randomModel(c, 5)) {
            m.save(dir, Map.of());
        }
        Path out = tmp.resolve("out.gguf");
        IOException e = assertThrows(IOException.class, () -> GgufExport.export(tmp.resolve("absent"), out, GgmlType.F32));
        assertTrue(e.getMessage().contains("no such model directory"), e.getMessage());
        e = assertThrows(IOException.class, () -> GgufExport.export(dir, tmp.resolve("no/such/dir/x.gguf"), GgmlType.F32));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());

        Files.writeString(out, "precious");
        e = assertThrows(IOException.class, () -> GgufExport.export(dir, out, GgmlType.F32));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals("precious", Files.readString(out));
        Files.delete(out);

        Path gpt2 = tmp.resolve("gpt2");
        Files.createDirectories(gpt2);
        Files.copy(dir.resolve("model.safetensors"), gpt2.resolve("model.safetensors"));
        Files.writeString(gpt2.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("Qwen2ForCausalLM", "GPT2LMHeadModel"));
        e = assertThrows(IOException.class, () -> GgufExport.export(gpt2, out, GgmlType.F32));
        assertTrue(e.getMessage().contains("unknown architecture GPT2LMHeadModel"), e.getMessage());

        // a tokenizer with more tokens than the model's vocabulary cannot describe its embedding
        Files.copy(GPT2_TOKENIZER, dir.resolve("tokenizer.json"));
        e = assertThrows(IOException.class, () -> GgufExport.export(dir, out, GgmlType.F32));
        assertTrue(e.getMessage().contains("more than the model's vocab_size 19"), e.getMessage());
        try (Stream<Path> left = Files.list(tmp)) {
            assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith("out.gguf")), "no output or temporary file left");
        }
    }
}

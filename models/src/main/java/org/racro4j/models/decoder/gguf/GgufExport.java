package org.racro4j.models.decoder.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.HalfFloats;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.StrictJson;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.BpeTokenizer;
import org.racro4j.models.tokenizer.SpecialTokens;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;

/**
 * Exports a Qwen2ForCausalLM / LlamaForCausalLM checkpoint directory to a GGUF file that llama.cpp loads
 * (architecture {@code qwen2} or {@code llama}), as llama.cpp's convert_hf_to_gguf.py lays it out: matrices in the
 * chosen type, norms and biases in F32, the Llama q/k rows reordered for llama.cpp's rotary layout, no
 * {@code output} tensor when the head is tied to the embedding. A byte-level BPE tokenizer.json beside the model
 * becomes {@code tokenizer.ggml.model = gpt2} with its tokens, types and merges; without one (the random-weight
 * benchmark models), the file says {@code tokenizer.ggml.model = none} and {@code <arch>.vocab_size}, which llama.cpp
 * loads as that many placeholder tokens: enough to evaluate token ids, not to tokenize text.
 *
 * <p>The file is written under a temporary name beside the target, read back with {@link GgufReader} and compared
 * tensor by tensor with what was meant to be written, and only then renamed to the target.
 */
public final class GgufExport {
    private GgufExport() {}

    /** What was written: the file, its architecture and size, its tensor count and which tokenizer it carries. */
    public record Summary(Path file, String architecture, GgmlType type, int tensors, long bytes, String tokenizer) {}

    /** Token types of llama.cpp's {@code llama_token_type}, as the converter writes them. */
    static final int TOKEN_NORMAL = 1;
    static final int TOKEN_CONTROL = 3;
    static final int TOKEN_UNUSED = 5;

    /**
     * Exports the checkpoint in {@code modelDir} to {@code out}.
     *
     * @throws IOException naming the directory or file, when the model cannot be read, the output exists, or
     *                     the written file does not read back as meant
     */
    public static Summary export(Path modelDir, Path out, GgmlType type) throws IOException {
        if (!Files.isDirectory(modelDir)) throw new IOException(modelDir + ": no such model directory");
        if (Files.exists(out)) throw new IOException(out + " already exists (remove it first or name another file)");
        Path parent = out.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) throw new IOException(out + ": the folder " + parent + " does not exist");
        Path tokenizerJson = modelDir.resolve("tokenizer.json");
        try (CausalLM model = CausalLM.load(modelDir, DType.F32, Device.CPU)) {
            String name = modelDir.toAbsolutePath().normalize().getFileName().toString();
            return export(model, Files.isRegularFile(tokenizerJson) ? tokenizerJson : null, name, out, type);
        }
    }

    /** Exports a loaded model (on the CPU) with the tokenizer.json at {@code tokenizerJson} (null: none). */
    public static Summary export(CausalLM model, Path tokenizerJson, String name, Path out, GgmlType type) throws IOException {
        if (Files.exists(out)) throw new IOException(out + " already exists (remove it first or name another file)");
        DecoderConfig c = model.config();
        String arch = c.architecture().equals(DecoderConfig.QWEN2) ? "qwen2" : "llama";
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string(arch));
        w.put("general.name", GgufValue.string(name));
        w.put("general.file_type", GgufValue.uint32(type.fileType()));
        w.put(arch + ".context_length", GgufValue.uint32(c.maxPositions()));
        w.put(arch + ".embedding_length", GgufValue.uint32(c.hiddenSize()));
        w.put(arch + ".block_count", GgufValue.uint32(c.numLayers()));
        w.put(arch + ".feed_forward_length", GgufValue.uint32(c.intermediateSize()));
        w.put(arch + ".attention.head_count", GgufValue.uint32(c.numHeads()));
        w.put(arch + ".attention.head_count_kv", GgufValue.uint32(c.numKvHeads()));
        w.put(arch + ".attention.key_length", GgufValue.uint32(c.headDim()));
        w.put(arch + ".attention.value_length", GgufValue.uint32(c.headDim()));
        w.put(arch + ".rope.dimension_count", GgufValue.uint32(c.headDim()));
        w.put(arch + ".rope.freq_base", GgufValue.float32((float) c.ropeTheta()));
        w.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.float32((float) c.rmsNormEps()));
        w.put(arch + ".vocab_size", GgufValue.uint32(c.vocabSize()));
        String tokenizer = putTokenizer(w, c, arch, tokenizerJson);

        Map<String, Tensor> state = model.stateDict();
        List<String> names = new ArrayList<>();
        for (var e : state.entrySet()) {
            String hf = e.getKey();
            if (c.tieWordEmbeddings() && hf.equals("lm_head.weight")) continue;
            String gguf = LlamaCppNames.ggufName(hf);
            int[] shape = e.getValue().shape();
            long[] dims = new long[shape.length];
            for (int i = 0; i < shape.length; i++) dims[i] = shape[shape.length - 1 - i];   // innermost first
            // As llama.cpp's converter does: only matrices take the chosen type; norms and biases stay F32.
            GgmlType t = shape.length >= 2 ? type : GgmlType.F32;
            Tensor tensor = e.getValue();
            w.addTensor(gguf, t, dims, () -> values(c, hf, tensor));
            names.add(hf);
        }

        Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            long bytes = w.write(tmp);
            verify(tmp, model, names, type);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            return new Summary(out, arch, type, names.size(), bytes, tokenizer);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The F32 values of a Hugging Face tensor as they go into the file (q/k permuted for the llama architecture). */
    private static float[] values(DecoderConfig c, String hfName, Tensor t) {
        float[] v = t.toFloatArray();
        if (c.architecture().equals(DecoderConfig.LLAMA)) {
            int in = t.shape().length == 2 ? t.shape()[1] : 1;
            if (hfName.contains(".self_attn.q_proj.")) return LlamaCppNames.permuteForLlamaRope(v, c.numHeads(), c.headDim(), in);
            if (hfName.contains(".self_attn.k_proj.")) return LlamaCppNames.permuteForLlamaRope(v, c.numKvHeads(), c.headDim(), in);
        }
        return v;
    }

    /** Reads the written file back and checks every tensor's name, dims, type and values against the model. */
    private static void verify(Path file, CausalLM model, List<String> names, GgmlType type) throws IOException {
        DecoderConfig c = model.config();
        try (GgufReader r = GgufReader.open(file)) {
            if (r.tensors().size() != names.size()) {
                throw new IOException(file + ": read back " + r.tensors().size() + " tensors, wrote " + names.size());
            }
            for (String hf : names) {
                Tensor t = model.stateDict().get(hf);
                String gguf = LlamaCppNames.ggufName(hf);
                GgufReader.TensorInfo info = r.tensors().get(gguf);
                GgmlType want = t.shape().length >= 2 ? type : GgmlType.F32;
                if (info == null || info.type() != want || info.elements() != t.numel()
                        || info.dims()[0] != t.shape()[t.shape().length - 1]) {
                    throw new IOException(file + ": tensor " + gguf + " reads back as " + info + ", not as written");
                }
                float[] expect = values(c, hf, t);
                float[] got = r.readFloats(gguf);
                for (int i = 0; i < expect.length; i++) {
                    float e = switch (want) {
                        case F32 -> expect[i];
                        case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(expect[i]));
                        case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(expect[i]));
                    };
                    if (Float.floatToIntBits(e) != Float.floatToIntBits(got[i])) {
                        throw new IOException(file + ": tensor " + gguf + " element " + i + " reads back as " + got[i] + ", wrote " + e);
                    }
                }
            }
        }
    }

    /** Writes the tokenizer metadata and says which kind it wrote. */
    private static String putTokenizer(GgufWriter w, DecoderConfig c, String arch, Path tokenizerJson) throws IOException {
        Tokenizer tok = tokenizerJson == null ? null : Tokenizers.load(tokenizerJson);
        if (!(tok instanceof BpeTokenizer)) {
            w.put("tokenizer.ggml.model", GgufValue.string("none"));
            return tok == null ? "none (no tokenizer.json)" : "none (" + tokenizerJson + " is not byte-level BPE)";
        }
        if (tok.vocabSize() > c.vocabSize()) {
            throw new IOException(tokenizerJson + ": " + tok.vocabSize() + " tokens, more than the model's vocab_size " + c.vocabSize());
        }
        List<String> tokens = new ArrayList<>(c.vocabSize());
        int[] types = new int[c.vocabSize()];
        for (int id = 0; id < c.vocabSize(); id++) {
            String t = id < tok.vocabSize() ? tok.token(id) : null;
            if (t == null) {
                // ids the embedding has but the tokenizer does not (Qwen2 pads its vocabulary): placeholders, as the converter writes
                tokens.add("[PAD" + id + "]");
                types[id] = TOKEN_UNUSED;
            } else {
                tokens.add(t);
                types[id] = tok.isSpecial(id) ? TOKEN_CONTROL : TOKEN_NORMAL;
            }
        }
        w.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        // The pre-tokenizer llama.cpp applies to text (not to token ids): Qwen2's regex, or Llama 3's for a Llama
        // checkpoint, the byte-level BPE Llamas racro4j reads.
        w.put("tokenizer.ggml.pre", GgufValue.string(arch.equals("qwen2") ? "qwen2" : "llama-bpe"));
        w.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
        w.put("tokenizer.ggml.token_type", GgufValue.int32s(types));
        w.put("tokenizer.ggml.merges", GgufValue.strings(merges(tokenizerJson)));
        SpecialTokens special = tok.specialTokens();
        Integer bos = c.bosTokenId() >= 0 ? Integer.valueOf(c.bosTokenId()) : special.bos();
        Integer eos = !c.eosTokenIds().isEmpty() ? c.eosTokenIds().get(0) : special.eos();
        if (bos != null) w.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(bos));
        if (eos != null) w.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(eos));
        if (special.pad() != null) w.put("tokenizer.ggml.padding_token_id", GgufValue.uint32(special.pad()));
        return "gpt2 (" + tok.vocabSize() + " tokens)";
    }

    /** The merges of a BPE tokenizer.json as "left right" strings; files list them so or as [left, right] pairs. */
    static List<String> merges(Path tokenizerJson) throws IOException {
        JsonNode root;
        try {
            root = StrictJson.parse(Files.readAllBytes(tokenizerJson));
        } catch (StrictJson.Problem p) {
            throw new IOException(tokenizerJson + ": " + p.getMessage(), p);
        }
        JsonNode merges = root.path("model").path("merges");
        List<String> out = new ArrayList<>();
        if (merges.isMissingNode() || merges.isNull()) return out;
        if (!merges.isArray()) throw new IOException(tokenizerJson + ": model.merges is not a list");
        for (JsonNode m : merges) {
            if (m.isTextual()) {
                out.add(m.textValue());
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                out.add(m.get(0).textValue() + " " + m.get(1).textValue());
            } else {
                throw new IOException(tokenizerJson + ": model.merges entry " + m + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
        }
        return out;
    }
}

package org.racro4j.models.decoder.gguf;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face tensor names of Qwen2/Llama decoders and the names llama.cpp gives the same tensors in GGUF files
 * (its {@code LLM_TENSOR_NAMES}: {@code token_embd}, {@code blk.N.attn_q}, ...).
 */
public final class LlamaCppNames {
    private LlamaCppNames() {}

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");

    /** The GGUF name of a Hugging Face tensor; an IllegalArgumentException for a name that is not a decoder weight. */
    public static String ggufName(String hfName) {
        switch (hfName) {
            case "model.embed_tokens.weight":
                return "token_embd.weight";
            case "model.norm.weight":
                return "output_norm.weight";
            case "lm_head.weight":
                return "output.weight";
            default:
                break;
        }
        Matcher m = LAYER.matcher(hfName);
        if (!m.matches()) throw new IllegalArgumentException("no GGUF name for tensor " + hfName);
        String part = switch (m.group(2)) {
            case "input_layernorm" -> "attn_norm";
            case "self_attn.q_proj" -> "attn_q";
            case "self_attn.k_proj" -> "attn_k";
            case "self_attn.v_proj" -> "attn_v";
            case "self_attn.o_proj" -> "attn_output";
            case "post_attention_layernorm" -> "ffn_norm";
            case "mlp.gate_proj" -> "ffn_gate";
            case "mlp.up_proj" -> "ffn_up";
            case "mlp.down_proj" -> "ffn_down";
            default -> throw new IllegalArgumentException("no GGUF name for tensor " + hfName);
        };
        return "blk." + m.group(1) + "." + part + "." + m.group(3);
    }

    /**
     * Reorders the rows of a q or k projection (weight [heads × headDim, in], or its bias with in = 1) from Hugging
     * Face's rotary layout to llama.cpp's for the {@code llama} architecture. Hugging Face rotates the pairs
     * (i, i + headDim/2) of each head (rotate_half); llama.cpp's llama graph rotates adjacent pairs (2i, 2i + 1).
     * Row h·headDim + 2i + j of the result is row h·headDim + j·headDim/2 + i of the input (j = 0, 1), which is
     * what llama.cpp's convert_hf_to_gguf.py does by reshaping to (heads, 2, headDim/2, in) and swapping axes 1 and 2.
     */
    public static float[] permuteForLlamaRope(float[] w, int heads, int headDim, int in) {
        if (w.length != (long) heads * headDim * in) {
            throw new IllegalArgumentException("q/k tensor of " + w.length + " values is not " + heads + " heads × " + headDim + " × " + in);
        }
        float[] out = new float[w.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int dst = h * headDim + 2 * i + j;
                    int src = h * headDim + j * half + i;
                    System.arraycopy(w, src * in, out, dst * in, in);
                }
            }
        }
        return out;
    }
}

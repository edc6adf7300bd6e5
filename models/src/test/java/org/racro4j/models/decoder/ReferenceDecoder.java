package org.racro4j.models.decoder;

import java.util.Map;

import org.racro4j.core.Tensor;
import org.racro4j.models.Float64Weights;

/**
 * A float64, loop-by-loop Qwen2/Llama forward pass written from the model definition (not from racro4j's
 * ops), used as the independent reference for the decoder's logits. Its weights are copies, so a test may nudge
 * one (through {@link #weight}) to take finite differences.
 */
public final class ReferenceDecoder {
    private final DecoderConfig c;
    private final Float64Weights w;

    public ReferenceDecoder(DecoderConfig c, Map<String, Tensor> stateDict) {
        this.c = c;
        this.w = new Float64Weights(stateDict);
    }

    /** The float64 copy of a weight, flattened row-major; changing it changes what this reference computes. */
    public double[] weight(String name) {
        return w.get(name);
    }

    /** The embedding row of one token id (a copy). */
    public double[] embedding(int id) {
        int d = c.hiddenSize();
        return java.util.Arrays.copyOfRange(w.get("model.embed_tokens.weight"), id * d, (id + 1) * d);
    }

    /** Logits [T][V] of one unpadded sequence. */
    public double[][] logits(int[] ids) {
        double[][] h = new double[ids.length][];
        for (int i = 0; i < ids.length; i++) h[i] = embedding(ids[i]);
        return logitsOfEmbeddings(h);
    }

    /** Logits [T][V] of one unpadded sequence given as input embeddings [T][D] (e.g. image tokens, then text). */
    public double[][] logitsOfEmbeddings(double[][] input) {
        int t = input.length;
        int d = c.hiddenSize();
        double[] emb = w.get("model.embed_tokens.weight");
        double[][] h = new double[t][];
        for (int i = 0; i < t; i++) h[i] = input[i].clone();
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] x = rmsNorm(h, w.get(p + "input_layernorm.weight"));
            double[][] a = attention(x, p + "self_attn.");
            for (int i = 0; i < t; i++) for (int j = 0; j < d; j++) h[i][j] += a[i][j];
            x = rmsNorm(h, w.get(p + "post_attention_layernorm.weight"));
            double[][] gate = linear(x, w.get(p + "mlp.gate_proj.weight"), null, c.intermediateSize());
            double[][] up = linear(x, w.get(p + "mlp.up_proj.weight"), null, c.intermediateSize());
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < c.intermediateSize(); j++) {
                    double g = gate[i][j];
                    gate[i][j] = g / (1 + Math.exp(-g)) * up[i][j];
                }
            }
            double[][] down = linear(gate, w.get(p + "mlp.down_proj.weight"), null, d);
            for (int i = 0; i < t; i++) for (int j = 0; j < d; j++) h[i][j] += down[i][j];
        }
        h = rmsNorm(h, w.get("model.norm.weight"));
        double[] head = c.tieWordEmbeddings() ? emb : w.get("lm_head.weight");
        return linear(h, head, null, c.vocabSize());
    }

    private double[][] attention(double[][] x, String p) {
        int t = x.length;
        int hd = c.headDim();
        int hq = c.numHeads();
        int hkv = c.numKvHeads();
        double[][] q = linear(x, w.get(p + "q_proj.weight"), w.orNull(p + "q_proj.bias"), hq * hd);
        double[][] k = linear(x, w.get(p + "k_proj.weight"), w.orNull(p + "k_proj.bias"), hkv * hd);
        double[][] v = linear(x, w.get(p + "v_proj.weight"), w.orNull(p + "v_proj.bias"), hkv * hd);
        for (int i = 0; i < t; i++) {
            for (int h = 0; h < hq; h++) rotate(q[i], h * hd, i);
            for (int h = 0; h < hkv; h++) rotate(k[i], h * hd, i);
        }
        double[][] out = new double[t][hq * hd];
        for (int h = 0; h < hq; h++) {
            int g = h / (hq / hkv);
            for (int i = 0; i < t; i++) {
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    for (int e = 0; e < hd; e++) dot += q[i][h * hd + e] * k[j][g * hd + e];
                    s[j] = dot / Math.sqrt(hd);
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) sum += Math.exp(s[j] - max);
                for (int j = 0; j <= i; j++) {
                    double pj = Math.exp(s[j] - max) / sum;
                    for (int e = 0; e < hd; e++) out[i][h * hd + e] += pj * v[j][g * hd + e];
                }
            }
        }
        return linear(out, w.get(p + "o_proj.weight"), null, c.hiddenSize());
    }

    /** Rotate-half RoPE of one head at position pos: pairs (i, i + hd/2) rotated by pos * theta^(-2i/hd). */
    private void rotate(double[] x, int off, int pos) {
        int half = c.headDim() / 2;
        for (int i = 0; i < half; i++) {
            double angle = pos / Math.pow(c.ropeTheta(), 2.0 * i / c.headDim());
            double a = x[off + i];
            double b = x[off + i + half];
            x[off + i] = a * Math.cos(angle) - b * Math.sin(angle);
            x[off + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
    }

    private double[][] rmsNorm(double[][] x, double[] weight) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double ss = 0;
            for (double v : x[i]) ss += v * v;
            double inv = 1 / Math.sqrt(ss / x[i].length + c.rmsNormEps());
            y[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) y[i][j] = x[i][j] * inv * weight[j];
        }
        return y;
    }

    /** x [T][in] times W^T with W [out][in] (row-major), plus bias. */
    private static double[][] linear(double[][] x, double[] weight, double[] bias, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int j = 0; j < in; j++) s += x[i][j] * weight[o * in + j];
                y[i][o] = s;
            }
        }
        return y;
    }
}

package org.racro4j.models.vision;

import java.util.Map;

import org.racro4j.core.Tensor;
import org.racro4j.models.Float64Weights;

/**
 * A float64, loop-by-loop ViT encoder and LLaVA projector written from their definitions (not from racro4j's ops),
 * the independent reference for {@link VisionEncoder}, {@link Projector} and {@link Captioner#embedImages}:
 * <pre>
 *   h = patches · W_patch^T + b_patch + E_pos[i]                       (a stride-p convolution as a matmul)
 *   per block: h += out(attn(ln1(h))), h += fc2(gelu(fc1(ln2(h))))   (pre-norm, bidirectional attention)
 *   features = ln_post(h);   projected = linear_2(gelu(linear_1(features)))
 * </pre>
 * LayerNorm: (x - mean) / sqrt(biased variance + eps) · w + b. Attention: heads are contiguous slices of hd = D / H
 * dims, scores q·k / sqrt(hd), softmax over all patches. GELU is the exact x·Φ(x) with Φ from {@link #erf}.
 */
final class ReferenceVision {
    private final VisionConfig c;
    private final Float64Weights w;

    /** @param stateDict a captioner's (names under "vision_tower." and "multi_modal_projector.") */
    ReferenceVision(VisionConfig c, Map<String, Tensor> stateDict) {
        this.c = c;
        this.w = new Float64Weights(stateDict);
    }

    private double[] weight(String name) {
        return w.get(name);
    }

    /** Vision features [P][hidden] of one image's patches [P][3·p·p]. */
    double[][] encode(double[][] patches) {
        String e = "vision_tower.embeddings.";
        double[][] h = linear(patches, weight(e + "patch_embedding.weight"), weight(e + "patch_embedding.bias"), c.hiddenSize());
        double[] pos = weight(e + "position_embedding.weight");
        for (int i = 0; i < h.length; i++) for (int j = 0; j < c.hiddenSize(); j++) h[i][j] += pos[i * c.hiddenSize() + j];
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "vision_tower.encoder.layers." + l + ".";
            double[][] a = attention(layerNorm(h, p + "layer_norm1"), p + "self_attn.");
            add(h, a);
            double[][] x = layerNorm(h, p + "layer_norm2");
            double[][] up = linear(x, weight(p + "mlp.fc1.weight"), weight(p + "mlp.fc1.bias"), c.intermediateSize());
            gelu(up);
            add(h, linear(up, weight(p + "mlp.fc2.weight"), weight(p + "mlp.fc2.bias"), c.hiddenSize()));
        }
        return layerNorm(h, "vision_tower.post_layernorm");
    }

    /** Projected image tokens [P][textHidden] of vision features [P][hidden]. */
    double[][] project(double[][] features, int textHidden) {
        String p = "multi_modal_projector.";
        double[][] x = linear(features, weight(p + "linear_1.weight"), weight(p + "linear_1.bias"), textHidden);
        gelu(x);
        return linear(x, weight(p + "linear_2.weight"), weight(p + "linear_2.bias"), textHidden);
    }

    private double[][] attention(double[][] x, String p) {
        int t = x.length;
        int d = c.hiddenSize();
        int hd = d / c.numHeads();
        double[][] q = linear(x, weight(p + "q_proj.weight"), weight(p + "q_proj.bias"), d);
        double[][] k = linear(x, weight(p + "k_proj.weight"), weight(p + "k_proj.bias"), d);
        double[][] v = linear(x, weight(p + "v_proj.weight"), weight(p + "v_proj.bias"), d);
        double[][] out = new double[t][d];
        for (int h = 0; h < c.numHeads(); h++) {
            for (int i = 0; i < t; i++) {
                double[] s = new double[t];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    double dot = 0;
                    for (int e = 0; e < hd; e++) dot += q[i][h * hd + e] * k[j][h * hd + e];
                    s[j] = dot / Math.sqrt(hd);
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < t; j++) sum += Math.exp(s[j] - max);
                for (int j = 0; j < t; j++) {
                    double pj = Math.exp(s[j] - max) / sum;
                    for (int e = 0; e < hd; e++) out[i][h * hd + e] += pj * v[j][h * hd + e];
                }
            }
        }
        return linear(out, weight(p + "out_proj.weight"), weight(p + "out_proj.bias"), d);
    }

    private double[][] layerNorm(double[][] x, String name) {
        double[] g = weight(name + ".weight");
        double[] b = weight(name + ".bias");
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            int n = x[i].length;
            double mean = 0;
            for (double v : x[i]) mean += v;
            mean /= n;
            double var = 0;
            for (double v : x[i]) var += (v - mean) * (v - mean);
            var /= n;
            double inv = 1 / Math.sqrt(var + c.layerNormEps());
            y[i] = new double[n];
            for (int j = 0; j < n; j++) y[i][j] = (x[i][j] - mean) * inv * g[j] + b[j];
        }
        return y;
    }

    private static void add(double[][] h, double[][] delta) {
        for (int i = 0; i < h.length; i++) for (int j = 0; j < h[i].length; j++) h[i][j] += delta[i][j];
    }

    /** x [T][in] times W^T with W [out][in] (row-major), plus bias. */
    private static double[][] linear(double[][] x, double[] weight, double[] bias, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int j = 0; j < in; j++) s += x[i][j] * weight[o * in + j];
                y[i][o] = s;
            }
        }
        return y;
    }

    /** Exact GELU in place: x · (1 + erf(x / sqrt 2)) / 2. */
    private static void gelu(double[][] x) {
        for (double[] row : x) for (int j = 0; j < row.length; j++) row[j] = row[j] * 0.5 * (1 + erf(row[j] / Math.sqrt(2)));
    }

    /**
     * erf to about 1e-14: its Maclaurin series below 2.5 (terms stay under e^6.25, so little is lost to cancellation),
     * above that 1 - erfc(x) with erfc from its continued fraction
     * e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
     */
    static double erf(double x) {
        if (x < 0) return -erf(-x);
        if (x < 2.5) {
            double term = x;   // (-1)^n x^(2n+1) / n!
            double sum = 0;
            for (int n = 0; n < 200 && Math.abs(term) > 1e-18; n++) {
                sum += term / (2 * n + 1);
                term *= -x * x / (n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        double f = x;
        for (int n = 100; n >= 1; n--) f = x + (n / 2.0) / f;
        return 1 - Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
    }
}

package org.racro4j.kernels.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.racro4j.core.Backend;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.kernels.cuda.CudaBackend;

/**
 * Fused attention throughput: the flash-attention forward and backward kernels at long sequences, TFLOP/s counted
 * as FlashAttention does (forward 4 B H T S D, half of it when causal; backward 2.5 times the forward), so that the
 * numbers compare directly with bench/python/attention_peer.py (PyTorch's scaled_dot_product_attention on the same
 * shapes). Timing as {@link GemmBench}: CUDA events, warm-up, median; inputs random BF16, rotated over two sets.
 *
 * <p>One JSON line per shape and pass: bench, impl, pass (fwd or bwd), dtype, batch, heads, kv_heads, seq, head_dim,
 * causal, median_ms, tflops.
 */
public final class AttentionBench {
    /** batch x heads (kv_heads) x seq x head_dim, causal or not. */
    public record Shape(int batch, int heads, int kvHeads, int seq, int headDim, boolean causal) {
        double forwardFlops() {
            return 4.0 * batch * heads * seq * (double) seq * headDim * (causal ? 0.5 : 1.0);
        }
    }

    private AttentionBench() {}

    /** Sequence 4096 with 16k tokens per batch, head dims 128 and 64 (2048 model width), causal and not. */
    public static List<Shape> defaultShapes() {
        List<Shape> s = new ArrayList<>();
        for (int d : new int[] {128, 64}) {
            for (boolean causal : new boolean[] {false, true}) s.add(new Shape(4, 2048 / d, 2048 / d, 4096, d, causal));
        }
        return s;
    }

    public static List<String> run(List<Shape> shapes, DType dt, int iters, boolean backward) {
        Device cuda = Device.of("cuda:0");
        Backend backend = cuda.backend();
        if (!(backend instanceof CudaBackend gpu)) throw new IllegalStateException("cuda:0 is not the CUDA backend: " + backend);
        List<String> lines = new ArrayList<>();
        for (Shape s : shapes) {
            if (!gpu.supportsAttention(dt, s.headDim())) {
                lines.add(String.format(Locale.ROOT, "{\"bench\":\"attention\",\"impl\":\"racro4j\",\"dtype\":\"%s\",\"head_dim\":%d,"
                        + "\"skipped\":\"no fused attention for this dtype and head dim on %s\"}", name(dt), s.headDim(), gpu.describe()));
                continue;
            }
            try (Scope scope = Scope.open()) {
                float scale = (float) (1 / Math.sqrt(s.headDim()));
                Tensor[] q = new Tensor[2], k = new Tensor[2], v = new Tensor[2], out = new Tensor[2], lse = new Tensor[2], dout = new Tensor[2];
                for (int i = 0; i < 2; i++) {
                    q[i] = GemmBench.random(cuda, dt, 10 * i, s.batch(), s.heads(), s.seq(), s.headDim());
                    k[i] = GemmBench.random(cuda, dt, 10 * i + 1, s.batch(), s.kvHeads(), s.seq(), s.headDim());
                    v[i] = GemmBench.random(cuda, dt, 10 * i + 2, s.batch(), s.kvHeads(), s.seq(), s.headDim());
                    dout[i] = GemmBench.random(cuda, dt, 10 * i + 3, s.batch(), s.heads(), s.seq(), s.headDim());
                    out[i] = Tensor.empty(dt, cuda, s.batch(), s.heads(), s.seq(), s.headDim());
                    lse[i] = Tensor.empty(DType.F32, cuda, s.batch(), s.heads(), s.seq());
                }
                int[] next = {0};
                double fwd = GemmBench.medianMsPerCall(gpu, () -> {
                    int i = next[0]++ % 2;
                    gpu.attention(q[i], k[i], v[i], null, s.causal(), scale, out[i], lse[i]);
                }, iters);
                lines.add(line(s, dt, "fwd", fwd, s.forwardFlops()));
                if (backward) {
                    Tensor gq = Tensor.empty(dt, cuda, q[0].shape()), gk = Tensor.empty(dt, cuda, k[0].shape()), gv = Tensor.empty(dt, cuda, v[0].shape());
                    double bwd = GemmBench.medianMsPerCall(gpu, () -> {
                        int i = next[0]++ % 2;
                        gpu.attentionBackward(q[i], k[i], v[i], null, s.causal(), scale, out[i], lse[i], dout[i], gq, gk, gv);
                    }, iters);
                    lines.add(line(s, dt, "bwd", bwd, 2.5 * s.forwardFlops()));
                }
            }
        }
        return lines;
    }

    /** One result line; package-private so that its arithmetic (TFLOP/s) is tested without a GPU. */
    static String line(Shape s, DType dt, String pass, double ms, double flops) {
        return String.format(Locale.ROOT, "{\"bench\":\"attention\",\"impl\":\"racro4j\",\"pass\":\"%s\",\"dtype\":\"%s\",\"batch\":%d,"
                + "\"heads\":%d,\"kv_heads\":%d,\"seq\":%d,\"head_dim\":%d,\"causal\":%b,\"median_ms\":%.4f,\"tflops\":%.1f}", pass, name(dt),
                s.batch(), s.heads(), s.kvHeads(), s.seq(), s.headDim(), s.causal(), ms, flops / (ms * 1e-3) / 1e12);
    }

    private static String name(DType dt) {
        return dt.name().toLowerCase(Locale.ROOT);
    }

    /** {@code AttentionBench [--iters 20] [--dtype bf16|f16] [--no-backward] [--shape BxHxTxD[c]]}: prints the JSON lines. */
    public static void main(String[] args) {
        int iters = 20;
        DType dt = DType.BF16;
        boolean backward = true;
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--dtype" -> dt = DType.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--no-backward" -> backward = false;
                case "--shape" -> {
                    String spec = args[++i].toLowerCase(Locale.ROOT);
                    boolean causal = spec.endsWith("c");
                    String[] p = (causal ? spec.substring(0, spec.length() - 1) : spec).split("x");
                    int h = Integer.parseInt(p[1]);
                    shapes.add(new Shape(Integer.parseInt(p[0]), h, h, Integer.parseInt(p[2]), Integer.parseInt(p[3]), causal));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (shapes.isEmpty()) shapes = defaultShapes();
        for (String line : run(shapes, dt, iters, backward)) System.out.println(line);
    }
}

package org.racro4j.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.bench.MatmulBench;
import org.racro4j.core.Autograd;
import org.racro4j.core.Backend;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.Parallel;
import org.racro4j.core.cpu.VectorApi;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.random.Generator;

/**
 * The engine checking itself on this machine: kernels against float64 references, autograd against finite
 * differences, a small model trained to convergence, memory returned to zero, and the matmul speed.
 */
@Command(name = "selfcheck", mixinStandardHelpOptions = true,
        description = "Check the engine on this machine (kernels vs float64, gradients vs finite differences, "
                + "a small training run, memory release) and measure matmul speed.")
final class SelfCheckCommand implements Callable<Integer> {
    @Option(names = "--bench-size", defaultValue = "1024", description = "Matrix size for the speed measurement (0 skips it). Default: ${DEFAULT-VALUE}.")
    int benchSize;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final List<String> failures = new ArrayList<>();

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Override
    public Integer call() {
        Backend cpu = Device.CPU.backend();
        out().printf("racro4j self-check on cpu: %d thread(s), %s, Java %s%n", Parallel.threads(), VectorApi.describe(),
                Runtime.version());
        long baseline = cpu.memoryStats().bytesInUse();
        try (Scope scope = Scope.open()) {
            checkMatmul();
            checkRows();
            checkAttention();
            checkGradients();
            checkTraining();
        }
        long after = cpu.memoryStats().bytesInUse();
        report(after == baseline, "memory", "bytes in use back to the baseline after the checks (" + (after - baseline) + " B left)");
        if (benchSize > 0) {
            MatmulBench.Result r = MatmulBench.run(benchSize, 3, 9);
            out().printf("[INFO] matmul %dx%d F32: %.1f GFLOP/s on %d thread(s) (median after warm-up)%n",
                    benchSize, benchSize, r.gflops(), r.threads());
        }
        if (!failures.isEmpty()) {
            out().println("FAILED: " + String.join(", ", failures));
            return 1;
        }
        out().println("all checks passed");
        return 0;
    }

    private void report(boolean ok, String name, String detail) {
        out().printf("[%s] %-10s %s%n", ok ? "PASS" : "FAIL", name, detail);
        if (!ok) failures.add(name);
    }

    private static float[] randomArray(Generator g, int n) {
        try (Tensor t = Tensor.randn(g, n)) {
            return t.toFloatArray();
        }
    }

    private static double maxRelErr(float[] got, double[] want) {
        double worst = 0;
        double scale = 1e-6;
        for (double w : want) scale = Math.max(scale, Math.abs(w));
        for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
        return worst;
    }

    private void checkMatmul() {
        Generator g = new Generator(1);
        int m = 257, k = 129, n = 65;
        float[] a = randomArray(g, m * k);
        float[] b = randomArray(g, k * n);
        double[] want = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[p * n + j];
                want[i * n + j] = s;
            }
        }
        // b is handed over transposed (a view) to also exercise the transposed-operand path.
        Tensor bt = Tensor.of(transpose(b, k, n), n, k).t();
        float[] got = Tensor.of(a, m, k).matmul(bt).toFloatArray();
        double err = maxRelErr(got, want);
        report(err < 1e-5, "matmul", String.format("257x129x65 (transposed B) vs float64: max error %.1e of max |value|", err));
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    private void checkRows() {
        Generator g = new Generator(2);
        int rows = 37, cols = 101;
        float[] x = randomArray(g, rows * cols);
        float[] w = randomArray(g, cols);
        double[] soft = new double[x.length];
        double[] norm = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0, mean = 0, var = 0;
            for (int j = 0; j < cols; j++) max = Math.max(max, x[r * cols + j]);
            for (int j = 0; j < cols; j++) sum += Math.exp(x[r * cols + j] - max);
            for (int j = 0; j < cols; j++) mean += x[r * cols + j] / (double) cols;
            for (int j = 0; j < cols; j++) var += Math.pow(x[r * cols + j] - mean, 2) / cols;
            for (int j = 0; j < cols; j++) {
                soft[r * cols + j] = Math.exp(x[r * cols + j] - max) / sum;
                norm[r * cols + j] = (x[r * cols + j] - mean) / Math.sqrt(var + 1e-5) * w[j];
            }
        }
        Tensor xt = Tensor.of(x, rows, cols);
        double e1 = maxRelErr(xt.softmax(-1).toFloatArray(), soft);
        double e2 = maxRelErr(Functional.layerNorm(xt, Tensor.of(w, cols), null, 1e-5f).toFloatArray(), norm);
        report(e1 < 1e-5 && e2 < 1e-5, "rows", String.format("softmax %.1e, layerNorm %.1e max error vs float64 (37x101)", e1, e2));
    }

    private void checkAttention() {
        Generator g = new Generator(3);
        int b = 2, hq = 4, hkv = 2, t = 5, s = 7, d = 8;
        float[] q = randomArray(g, b * hq * t * d);
        float[] k = randomArray(g, b * hkv * s * d);
        float[] v = randomArray(g, b * hkv * s * d);
        double[] want = new double[b * hq * t * d];
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < hq; h++) {
                int kh = h / (hq / hkv);
                for (int i = 0; i < t; i++) {
                    double[] sc = new double[s];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i + s - t; j++) {
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += (double) q[((bi * hq + h) * t + i) * d + c] * k[((bi * hkv + kh) * s + j) * d + c];
                        }
                        sc[j] = dot / Math.sqrt(d);
                        max = Math.max(max, sc[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i + s - t; j++) sum += Math.exp(sc[j] - max);
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = 0; j <= i + s - t; j++) acc += Math.exp(sc[j] - max) / sum * v[((bi * hkv + kh) * s + j) * d + c];
                        want[((bi * hq + h) * t + i) * d + c] = acc;
                    }
                }
            }
        }
        float[] got = Functional.scaledDotProductAttention(Tensor.of(q, b, hq, t, d), Tensor.of(k, b, hkv, s, d),
                Tensor.of(v, b, hkv, s, d), null, true, Float.NaN).toFloatArray();
        double err = maxRelErr(got, want);
        report(err < 1e-5, "attention", String.format("causal grouped-query (4 query heads on 2 kv heads, T=5, S=7) vs float64: %.1e", err));
    }

    /** A two-layer network with attention-style softmax, differentiated by autograd and by central differences. */
    private void checkGradients() {
        Generator g = new Generator(4);
        float[] x = randomArray(g, 3 * 5);
        float[] w1 = randomArray(g, 5 * 6);
        float[] w2 = randomArray(g, 6 * 4);
        Tensor w1t = Tensor.of(w1, 5, 6).requiresGrad(true);
        loss(x, w1t, w2).backward();
        float[] analytic = w1t.grad().toFloatArray();
        double worst = 0;
        float eps = 1e-2f;
        try (Autograd.Mode off = Autograd.noGrad()) {
            for (int i = 0; i < w1.length; i++) {
                float keep = w1[i];
                w1[i] = keep + eps;
                double up = loss(x, Tensor.of(w1, 5, 6), w2).item();
                w1[i] = keep - eps;
                double down = loss(x, Tensor.of(w1, 5, 6), w2).item();
                w1[i] = keep;
                double numeric = (up - down) / (2 * eps);
                worst = Math.max(worst, Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric)));
            }
        }
        report(worst < 1e-2, "gradients", String.format("autograd vs central differences through matmul, gelu, softmax, log: max error %.1e", worst));
    }

    private static Tensor loss(float[] x, Tensor w1, float[] w2) {
        Tensor h = Tensor.of(x, 3, 5).matmul(w1).gelu();
        return h.matmul(Tensor.of(w2, 6, 4)).softmax(-1).add(0.1f).log().mean();
    }

    /** Two interleaved spirals: not linearly separable, so the loss only falls if training really works. */
    private void checkTraining() {
        int n = 400;
        float[] xs = new float[n * 2];
        long[] ys = new long[n];
        for (int i = 0; i < n; i++) {
            int cls = i % 2;
            double r = (i / 2) / (double) (n / 2) * 3 + 0.3;
            double a = r * 2.5 + cls * Math.PI;
            xs[2 * i] = (float) (r * Math.cos(a) / 3);
            xs[2 * i + 1] = (float) (r * Math.sin(a) / 3);
            ys[i] = cls;
        }
        Generator g = new Generator(5);
        Linear l1 = new Linear(2, 64, true, g);
        Linear l2 = new Linear(64, 64, true, g);
        Linear l3 = new Linear(64, 2, true, g);
        List<Tensor> params = new ArrayList<>(l1.parameters());
        params.addAll(l2.parameters());
        params.addAll(l3.parameters());
        long start = System.nanoTime();
        float first = 0, last = 0;
        double accuracy;
        try (AdamW opt = new AdamW(params, 1e-2f, 0f)) {
            Tensor x = Tensor.of(xs, n, 2);
            Tensor y = Tensor.ofLongs(ys, n);
            for (int step = 0; step < 400; step++) {
                try (Scope s = Scope.open()) {
                    Tensor logits = l3.forward(l2.forward(l1.forward(x).tanh()).tanh());
                    Tensor loss = Functional.crossEntropy(logits, y, -100);
                    loss.backward();
                    opt.step();
                    opt.zeroGrad();
                    if (step == 0) first = loss.item();
                    last = loss.item();
                }
            }
            try (Autograd.Mode off = Autograd.noGrad()) {
                long[] pred = l3.forward(l2.forward(l1.forward(x).tanh()).tanh()).argmax(-1, false).toLongArray();
                int correct = 0;
                for (int i = 0; i < n; i++) if (pred[i] == ys[i]) correct++;
                accuracy = correct / (double) n;
            }
        } finally {
            l1.close();
            l2.close();
            l3.close();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        report(accuracy > 0.95 && last < first / 4, "training", String.format(
                "3-layer MLP on two spirals, 400 AdamW steps: loss %.3f -> %.3f, accuracy %.1f%% (%.1f s)", first, last, accuracy * 100, secs));
    }
}

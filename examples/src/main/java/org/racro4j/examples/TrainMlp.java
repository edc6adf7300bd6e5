package org.racro4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Functional;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.random.Generator;

/**
 * Trains a small MLP to tell the two arms of a noisy spiral apart, then saves its weights as safetensors (the
 * format PyTorch and Hugging Face read) and checks that reading the file back gives the same numbers.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.racro4j.examples.TrainMlp mlp.safetensors
 * </pre>
 *
 * The same program in PyTorch would read almost line for line alike: {@code nn.Linear}, {@code AdamW},
 * {@code cross_entropy}, {@code loss.backward()}, {@code optimizer.step()}.
 */
public final class TrainMlp {
    static final int POINTS_PER_ARM = 200;
    static final int STEPS = 300;
    static final int PRINT_EVERY = 50;

    private TrainMlp() {}

    /** Two inputs (x, y), two hidden layers of 32 with tanh, two outputs (one logit per arm). */
    static final class Mlp extends Module {
        final Linear hidden1;
        final Linear hidden2;
        final Linear out;

        Mlp(Generator gen) {
            // registerModule names the layers, so the state dict (and the safetensors file) has the names
            // "hidden1.weight", "hidden1.bias", ... exactly as a PyTorch module with these attributes would.
            hidden1 = registerModule("hidden1", new Linear(2, 32, true, gen));
            hidden2 = registerModule("hidden2", new Linear(32, 32, true, gen));
            out = registerModule("out", new Linear(32, 2, true, gen));
        }

        Tensor forward(Tensor x) {
            return out.forward(hidden2.forward(hidden1.forward(x).tanh()).tanh());
        }
    }

    /** Points [n, 2] and their arm (0 or 1) as int64 class ids [n], as cross entropy wants them. */
    record Spiral(Tensor points, Tensor labels) {}

    /**
     * Two interleaved arms: point i of arm c lies at radius r = i / n and angle 3 pi r + c pi, plus Gaussian noise.
     * A straight line cannot separate them, so the hidden layers have something to learn.
     */
    static Spiral spiral(Generator gen) {
        int n = POINTS_PER_ARM;
        float[] noise;
        try (Scope s = Scope.open()) {   // the noise tensor is only needed as an array
            noise = Tensor.randn(gen, 2 * n, 2).mul(0.04f).toFloatArray();
        }
        float[] xy = new float[2 * n * 2];
        long[] arm = new long[2 * n];
        for (int c = 0; c < 2; c++) {
            for (int i = 0; i < n; i++) {
                int row = c * n + i;
                double r = (double) i / n;
                double angle = 3 * Math.PI * r + c * Math.PI;
                xy[2 * row] = (float) (r * Math.cos(angle)) + noise[2 * row];
                xy[2 * row + 1] = (float) (r * Math.sin(angle)) + noise[2 * row + 1];
                arm[row] = c;
            }
        }
        return new Spiral(Tensor.of(xy, 2 * n, 2), Tensor.ofLongs(arm, 2 * n));
    }

    /** Trains, prints the loss every {@link #PRINT_EVERY} steps, saves and checks the file; returns the losses printed. */
    static List<Float> run(Path weightsFile) throws IOException {
        Generator gen = new Generator(42);   // one seed: the data, the initial weights and so the whole run repeat exactly
        Spiral data = spiral(gen);
        List<Float> printed = new ArrayList<>();
        try (Mlp model = new Mlp(gen);
             AdamW optimizer = new AdamW(model.parameters(), 0.01f, 0.0001f)) {
            for (int step = 0; step <= STEPS; step++) {
                // Everything created inside the scope (activations, the loss, temporaries) is freed when it closes;
                // the parameters, their gradients and the optimizer state belong to the model and the optimizer.
                try (Scope s = Scope.open()) {
                    Tensor logits = model.forward(data.points());
                    Tensor loss = Functional.crossEntropy(logits, data.labels(), -100);
                    if (step % PRINT_EVERY == 0) {
                        printed.add(loss.item());
                        System.out.printf("step %3d  loss %.4f  accuracy %.3f%n", step, loss.item(), accuracy(logits, data.labels()));
                    }
                    if (step == STEPS) break;   // the last pass only measures
                    optimizer.zeroGrad();
                    loss.backward();
                    optimizer.step();
                }
            }
            save(model, weightsFile);
        } finally {
            data.points().close();
            data.labels().close();
        }
        return printed;
    }

    /** The share of points whose larger logit is their own arm's. */
    static float accuracy(Tensor logits, Tensor labels) {
        try (Autograd.Mode off = Autograd.noGrad()) {
            return logits.argmax(-1, false).eq(labels).to(DType.F32).mean().item();
        }
    }

    /** Writes the state dict as safetensors, reads it back and checks every tensor is bit for bit what was saved. */
    static void save(Module model, Path file) throws IOException {
        Map<String, Tensor> weights = model.stateDict();
        Safetensors.write(file, weights, Map.of("example", "TrainMlp"));
        System.out.println("saved " + weights.keySet() + " to " + file);

        Map<String, Tensor> readBack = Safetensors.read(file);
        try {
            if (!readBack.keySet().equals(weights.keySet())) {
                throw new IllegalStateException("the file holds " + readBack.keySet() + ", not " + weights.keySet());
            }
            for (var e : weights.entrySet()) {
                Tensor back = readBack.get(e.getKey());
                if (!Arrays.equals(back.shape(), e.getValue().shape())
                        || !Arrays.equals(back.toFloatArray(), e.getValue().toFloatArray())) {
                    throw new IllegalStateException(e.getKey() + " differs after the round trip through " + file);
                }
            }
        } finally {
            readBack.values().forEach(Tensor::close);
        }
        System.out.println("read back: every tensor matches");
    }

    /** @param args the safetensors file to write (default {@code mlp.safetensors}) */
    public static void main(String[] args) throws IOException {
        run(Path.of(args.length > 0 ? args[0] : "mlp.safetensors"));
    }
}

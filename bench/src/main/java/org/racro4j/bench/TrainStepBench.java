package org.racro4j.bench;

import java.util.Arrays;
import java.util.Locale;

import org.racro4j.core.Backend;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.Parallel;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;

/**
 * One training step of a Qwen2-shaped decoder: forward over [batch, seq] random tokens, next-token
 * cross-entropy, backward, AdamW. Reports the median over timed steps after warm-up; each step gets a
 * different batch (rotated among a few) so nothing is cached between steps.
 *
 * <p>Peak memory is the backend's own count ({@link org.racro4j.core.MemoryStats#peakBytesInUse()}: exact bytes of
 * live tensor storage, not the JVM heap), from just before the model is built to the end of the last step, less what
 * was already in use then: parameters, gradients, AdamW moments and the largest step's activations.
 */
public final class TrainStepBench {
    private TrainStepBench() {}

    public record Result(DecoderShape shape, int seq, int batch, String device, double msPerStep, double tokensPerSecond, long parameters,
                         long peakBytes) {
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"bench\":\"train_step\",\"impl\":\"racro4j\",\"device\":\"%s\",\"layers\":%d,\"dim\":%d,\"heads\":%d,\"kv_heads\":%d,"
                            + "\"vocab\":%d,\"seq\":%d,\"batch\":%d,\"params\":%d,\"ms_per_step\":%.2f,\"tokens_per_s\":%.1f,\"peak_bytes\":%d,"
                            + "\"threads\":%d}",
                    device, shape.layers(), shape.dim(), shape.heads(), shape.kvHeads(), shape.vocab(), seq, batch, parameters,
                    msPerStep, tokensPerSecond, peakBytes, Parallel.threads());
        }
    }

    public static Result run(DecoderShape shape, int seq, int batch, Device device, int warmup, int steps) {
        Generator g = new Generator(1);
        Backend backend = device.backend();
        long before = backend.memoryStats().bytesInUse();
        backend.resetPeakMemory();
        try (CausalLM model = CausalLM.create(shape.config(seq), 1, DType.F32, device);
             AdamW opt = AdamW.forTransformer(model.parameters(), 1e-4f, 0.01f, 0.9f, 0.95f, 1e-8f)) {
            Tensor[] batches = new Tensor[3];
            for (int i = 0; i < batches.length; i++) {
                long[] ids = new long[batch * seq];
                for (int j = 0; j < ids.length; j++) ids[j] = g.nextInt(shape.vocab());
                batches[i] = Scope.escape(Tensor.ofLongs(ids, batch, seq).to(device));
            }
            double[] ms = new double[steps];
            for (int s = 0; s < warmup + steps; s++) {
                long t0 = System.nanoTime();
                try (Scope scope = Scope.open()) {
                    Tensor ids = batches[s % batches.length];
                    Tensor logits = model.forward(ids, null, null);
                    Tensor loss = Functional.crossEntropy(logits.narrow(1, 0, seq - 1), ids.narrow(1, 1, seq - 1), -100);
                    loss.backward();
                    opt.step();
                    opt.zeroGrad();
                    device.backend().synchronize();
                }
                if (s >= warmup) ms[s - warmup] = (System.nanoTime() - t0) / 1e6;
            }
            for (Tensor b : batches) b.close();
            Arrays.sort(ms);
            double median = ms[steps / 2];
            long peak = backend.memoryStats().peakBytesInUse() - before;
            return new Result(shape, seq, batch, device.toString(), median, batch * seq / (median / 1000), model.parameterCount(), peak);
        }
    }
}

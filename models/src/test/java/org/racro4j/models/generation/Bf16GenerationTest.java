package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.MemoryStats;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.CpuBackend;
import org.racro4j.core.cpu.CpuStorage;
import org.racro4j.core.io.Safetensors;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.TestModels;

/**
 * A frozen BF16 model on the CPU: saved in BF16, loaded as BF16 (2 bytes per weight), it generates greedily what the
 * same weights rounded to BF16 and loaded as F32 generate (up to the rounding of BF16 activations), and a generate
 * call neither allocates backend storage anywhere near a float copy of the weights nor has the kernels widen the
 * weights to float arrays per step (CpuBackend#halfElementsWidened): matrix products read BF16 weights in place.
 */
class Bf16GenerationTest {
    /** Qwen2-shaped, tied head; the vocabulary is large next to the rest so the embedding dominates the weights. */
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.QWEN2, 8009, 96, 160, 2, 4, 2, 24, 128, 10000.0, 1e-6, true, true, 0, List.of(1));

    /**
     * How far below F32's best token the BF16 choice may be, in log-prob. BF16 activations round every intermediate
     * to 8 significant bits; on this random model (O(1) weights, sharp logits) that moved log-probs by up to 0.19
     * and let the BF16 model pick a token 0.18 below F32's best. A misread weight makes the choice arbitrary: a
     * random token sits several nats below the best.
     */
    static final float NEAR_TIE = 0.5f;
    /** Log-prob agreement between the BF16 model and the F32 model on the same context, per token (see NEAR_TIE)... */
    static final float LOGP_TOL = 0.5f;
    /** ... and on average over all generated tokens. */
    static final float MEAN_LOGP_TOL = 0.15f;

    @TempDir
    Path tmp;

    private static List<int[]> prompts() {
        List<int[]> prompts = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            int[] p = new int[5 + 4 * r];
            for (int i = 0; i < p.length; i++) p[i] = 2 + (r * 131 + i * 37) % (CONFIG.vocabSize() - 2);
            prompts.add(p);
        }
        return prompts;
    }

    /** A random model with every weight rounded to BF16, saved in BF16 to dir; returns the F32 copy of it. */
    private static CausalLM writeBf16Checkpoint(Path dir) throws IOException {
        CausalLM f32 = TestModels.randomModel(CONFIG, 5);
        try (CausalLM bf16 = CausalLM.create(CONFIG, 0, DType.BF16, Device.CPU);
             Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Map<String, Tensor> from = f32.stateDict();
            for (var e : bf16.stateDict().entrySet()) {
                Tensor rounded = from.get(e.getKey()).to(DType.BF16);
                e.getValue().copyFrom(rounded);
                from.get(e.getKey()).copyFrom(rounded.to(DType.F32)); // the F32 model holds exactly the BF16 values
            }
            bf16.save(dir, Map.of());
        }
        return f32;
    }

    /** Log-probabilities [T, V] of the F32 model at every position of one sequence (a plain forward, no cache). */
    private static float[] logProbs(CausalLM model, int[] seq) {
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            long[] ids = new long[seq.length];
            for (int i = 0; i < seq.length; i++) ids[i] = seq[i];
            return model.forward(Tensor.ofLongs(ids, 1, seq.length), null, null).logSoftmax(-1).toFloatArray();
        }
    }

    @Test
    void aBf16CheckpointGeneratesWhatItsF32RoundingGenerates() throws IOException {
        Path dir = tmp.resolve("bf16");
        List<int[]> prompts = prompts();
        int steps = 16;
        SamplingConfig greedy = SamplingConfig.greedy(steps, Set.of());
        try (CausalLM f32 = writeBf16Checkpoint(dir)) {
            List<Generated> reference = TextGeneration.generate(f32, prompts, greedy);
            try (Safetensors.Reader r = Safetensors.open(dir.resolve("model.safetensors"))) {
                assertEquals(DType.BF16, r.entry("model.embed_tokens.weight").dtype(), "save writes the stored dtype");
            }
            assertEquals("bfloat16", new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile())
                    .get("torch_dtype").asText(), "config.json names the stored dtype");
            try (CausalLM bf16 = CausalLM.load(dir, DType.BF16, Device.CPU)) {
                for (Tensor w : bf16.stateDict().values()) assertEquals(DType.BF16, w.dtype(), "loaded weights stay BF16");
                List<Generated> got = TextGeneration.generate(bf16, prompts, greedy);
                int v = CONFIG.vocabSize();
                int agreeing = 0;
                double errSum = 0;
                for (int r = 0; r < prompts.size(); r++) {
                    // The F32 model teacher-forced over the BF16 model's sequence: at every step, given the same
                    // context, the BF16 choice must be the F32 model's best token or within NEAR_TIE of it, and the
                    // BF16 log-prob must match the F32 one (BF16 activations round every intermediate to 8 bits).
                    int[] prompt = prompts.get(r);
                    int[] tokens = got.get(r).tokens();
                    int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + steps);
                    System.arraycopy(tokens, 0, seq, prompt.length, steps);
                    float[] lp = logProbs(f32, seq);
                    boolean diverged = false;
                    for (int i = 0; i < steps; i++) {
                        int at = (prompt.length - 1 + i) * v;
                        int best = 0;
                        float second = Float.NEGATIVE_INFINITY;
                        for (int t = 1; t < v; t++) {
                            if (lp[at + t] > lp[at + best]) {
                                second = lp[at + best];
                                best = t;
                            } else {
                                second = Math.max(second, lp[at + t]);
                            }
                        }
                        float chosen = lp[at + tokens[i]];
                        String where = "row " + r + " step " + i;
                        assertTrue(chosen >= lp[at + best] - NEAR_TIE, where + ": BF16 chose token " + tokens[i] + " (F32 log-prob "
                                + chosen + "), F32's best is " + best + " (" + lp[at + best] + ")");
                        assertEquals(chosen, got.get(r).logProbs()[i], LOGP_TOL, where + ": log-prob of the chosen token");
                        errSum += Math.abs(chosen - got.get(r).logProbs()[i]);
                        // Until the sequences part, the F32 generation saw this same context: it chose `best`, and the
                        // BF16 model may only have chosen otherwise where F32's own margin was within NEAR_TIE.
                        if (!diverged && reference.get(r).tokens()[i] != tokens[i]) {
                            assertTrue(lp[at + best] - second < NEAR_TIE, where + ": the generations part where F32's margin is "
                                    + (lp[at + best] - second));
                            diverged = true;
                        }
                        if (!diverged) agreeing++;
                    }
                }
                double meanErr = errSum / (prompts.size() * steps);
                assertTrue(meanErr < MEAN_LOGP_TOL, "mean log-prob error " + meanErr);
                // Most steps agree outright: the random model's logits are sharp (near ties are rare).
                assertTrue(agreeing >= prompts.size() * steps * 2 / 3, agreeing + " of " + prompts.size() * steps
                        + " greedy tokens equal to the F32 generation before any divergence");
            }
        }
    }

    @Test
    void aFrozenBf16CheckpointIsMappedNotReadAndGeneratesTheSame() throws IOException {
        Path dir = tmp.resolve("frozen");
        writeBf16Checkpoint(dir).close();
        List<int[]> prompts = prompts();
        SamplingConfig greedy = SamplingConfig.greedy(12, Set.of());
        SamplingConfig sampled = new SamplingConfig(12, 1f, 0, 1f, 99, Set.of());
        try (CausalLM read = CausalLM.load(dir, DType.BF16, Device.CPU)) {
            List<Generated> wantGreedy = TextGeneration.generate(read, prompts, greedy);
            List<Generated> wantSampled = TextGeneration.generate(read, prompts, sampled);
            var backend = Device.CPU.backend();
            long allocationsBefore = backend.memoryStats().allocations();
            try (CausalLM mapped = CausalLM.loadFrozen(dir, Device.CPU)) {
                // not one weight array taken: every weight reads the file's mapping
                assertEquals(allocationsBefore, backend.memoryStats().allocations(), "allocations while loading a frozen checkpoint");
                for (var e : mapped.stateDict().entrySet()) {
                    assertEquals(DType.BF16, e.getValue().dtype(), e.getKey());
                    assertTrue(((CpuStorage) e.getValue().storage()).isMapped(), e.getKey() + " is mapped");
                }
                List<Generated> gotGreedy = TextGeneration.generate(mapped, prompts, greedy);
                List<Generated> gotSampled = TextGeneration.generate(mapped, prompts, sampled);
                for (int i = 0; i < prompts.size(); i++) {
                    assertArrayEquals(wantGreedy.get(i).tokens(), gotGreedy.get(i).tokens(), "greedy row " + i);
                    assertArrayEquals(wantSampled.get(i).tokens(), gotSampled.get(i).tokens(), "sampled row " + i);
                    assertArrayEquals(wantSampled.get(i).logProbs(), gotSampled.get(i).logProbs(), 0f, "log-probs row " + i);
                }
            }
        }
    }

    @Test
    void generatingWithBf16WeightsMakesNoFloatCopyOfThem() throws IOException {
        Path dir = tmp.resolve("bf16");
        writeBf16Checkpoint(dir).close();
        List<int[]> prompts = prompts();
        SamplingConfig greedy = SamplingConfig.greedy(24, Set.of());
        try (CausalLM bf16 = CausalLM.load(dir, DType.BF16, Device.CPU)) {
            long weightBytes = 0;
            for (Tensor w : bf16.stateDict().values()) weightBytes += w.numel() * w.dtype().byteSize();
            TextGeneration.generate(bf16, prompts, greedy); // warm-up: the JIT, the pools
            var backend = Device.CPU.backend();
            backend.resetPeakMemory();
            MemoryStats before = backend.memoryStats();
            long widenedBefore = CpuBackend.INSTANCE.halfElementsWidened();
            List<Generated> out = TextGeneration.generate(bf16, prompts, greedy);
            long widened = CpuBackend.INSTANCE.halfElementsWidened() - widenedBefore;
            MemoryStats after = backend.memoryStats();
            assertEquals(24, out.get(0).tokens().length);
            // Backend storage: on top of the weights in use, the cache and activations (mostly the logits and their
            // softmax, a few B x V floats per step) stay under weightBytes, where a float copy of the weights would
            // take 2 x weightBytes and one of the embedding alone 1.7 x weightBytes.
            long extra = after.peakBytesInUse() - before.bytesInUse();
            assertTrue(extra < weightBytes,
                    "backend peak rose " + extra + " bytes over " + before.bytesInUse() + " in use, weights " + weightBytes);
            // BF16 storages the kernels converted to float arrays whole (the activations, the logits, each layer's
            // small cache when a new key goes in): per step well under the weights' element count (weightBytes / 2),
            // where converting the weights per product would widen all of them every step.
            long perStep = widened / 24;
            assertTrue(perStep < weightBytes / 2 / 4, "generate widened " + perStep + " BF16 elements to float per step; the"
                    + " weights have " + weightBytes / 2);
        }
    }
}

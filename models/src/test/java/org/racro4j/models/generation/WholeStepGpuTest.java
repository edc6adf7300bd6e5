package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.racro4j.core.Autograd;
import org.racro4j.core.Backend;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.MemoryStats;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.random.Generator;
import org.racro4j.kernels.cuda.GpuTestRule;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;

/**
 * Whole steps on the GPU: batched decoding replayed as a CUDA graph gives the tokens (and log-probabilities) eager
 * decoding gives with the same kernels (the device-cursor step launched op by op), and
 * after warm-up neither a decode step nor a training step (forward, backward, AdamW over a stack of decoder layers)
 * asks the device for memory: the allocator's count of driver allocations stays put. Skipped without a GPU, failed
 * where the machine has one and the backend cannot open it ({@link GpuTestRule}).
 */
@Tag("gpu")
class WholeStepGpuTest {
    /** Qwen2-shaped, small: head dim 64 (the fused kernels' size), 7 query heads per key/value head as Qwen2-0.5B. */
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.QWEN2, 1000, 448, 1024, 3, 7, 1, 64, 256, 1_000_000.0, 1e-6, true, true, 0, List.of(1));

    private static BackendProvider.Availability availability;
    private static Device cuda;

    @BeforeAll
    static void probe() {
        availability = GpuTestRule.cudaAvailability();
        if (availability.available()) cuda = Device.of("cuda:0");
    }

    @BeforeEach
    void needsAGpu() {
        assumeTrue(GpuTestRule.canRun(availability), "CUDA GPU test skipped: " + availability.description());
    }

    private static List<int[]> prompts(int batch, long seed) {
        Generator g = new Generator(seed);
        List<int[]> out = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            int[] p = new int[5 + g.nextInt(20)];   // different lengths: left padding
            for (int i = 0; i < p.length; i++) p[i] = 2 + g.nextInt(CONFIG.vocabSize() - 2);
            out.add(p);
        }
        return out;
    }

    private static List<Generated> generate(CausalLM model, List<int[]> prompts, boolean graphs) {
        String old = System.getProperty(TextGeneration.PROP_DECODE_GRAPHS);
        System.setProperty(TextGeneration.PROP_DECODE_GRAPHS, Boolean.toString(graphs));
        try {
            return TextGeneration.generate(model, prompts, SamplingConfig.greedy(24, Set.of()));
        } finally {
            if (old == null) System.clearProperty(TextGeneration.PROP_DECODE_GRAPHS);
            else System.setProperty(TextGeneration.PROP_DECODE_GRAPHS, old);
        }
    }

    @Test
    void graphDecodingGivesTheTokensOfEagerDecoding() {
        assertTrue(cuda.backend() instanceof org.racro4j.core.GraphCapture);
        for (DType dt : new DType[] {DType.BF16, DType.F32}) {
            try (CausalLM model = CausalLM.create(CONFIG, 3, dt, cuda)) {
                List<int[]> prompts = prompts(6, 11);
                List<Generated> eager = generate(model, prompts, false);
                List<Generated> graphed = generate(model, prompts, true);
                for (int r = 0; r < prompts.size(); r++) {
                    assertArrayEquals(eager.get(r).tokens(), graphed.get(r).tokens(), dt + " row " + r);
                    for (int i = 0; i < eager.get(r).logProbs().length; i++) {
                        assertEquals(eager.get(r).logProbs()[i], graphed.get(r).logProbs()[i], 1e-3, dt + " row " + r + " token " + i);
                    }
                }
            }
        }
    }

    @Test
    void afterWarmUpDecodingAsksTheDeviceForNoMemory() {
        Backend be = cuda.backend();
        try (CausalLM model = CausalLM.create(CONFIG, 4, DType.BF16, cuda)) {
            List<int[]> prompts = prompts(64, 12);
            generate(model, prompts, true);
            generate(model, prompts, true);
            MemoryStats before = be.memoryStats();
            generate(model, prompts, true);
            MemoryStats after = be.memoryStats();
            assertEquals(before.allocations(), after.allocations(), "driver allocations during a warm generation");
            assertEquals(before.bytesInUse(), after.bytesInUse(), "nothing left behind");
        }
    }

    @Test
    void afterWarmUpATrainingStepAsksTheDeviceForNoMemoryAndWaitsOnlyForTheLoss() {
        Backend be = cuda.backend();
        org.racro4j.kernels.cuda.CudaBackend cudaBackend = (org.racro4j.kernels.cuda.CudaBackend) be;
        cudaBackend.setDeferIndexChecks(true);
        try (CausalLM model = CausalLM.create(CONFIG, 5, DType.BF16, cuda);
             AdamW opt = new AdamW(Scope.unscoped(model::parameters), 1e-4f, 0.01f)) {
            Generator g = new Generator(9);
            int b = 4, t = 128;
            long[] ids = new long[b * (t + 1)];
            for (int i = 0; i < ids.length; i++) ids[i] = g.nextInt(CONFIG.vocabSize());
            Tensor all = Scope.unscoped(() -> Tensor.ofLongs(ids, b, t + 1).to(cuda));
            long[] allocations = new long[6];
            long[] syncs = new long[6];
            float[] losses = new float[6];
            for (int step = 0; step < 6; step++) {
                long s0 = cudaBackend.hostSyncs();
                try (Scope s = Scope.open()) {
                    opt.zeroGrad();
                    Tensor logits = model.forward(all.narrow(1, 0, t), null, null);
                    Tensor loss = Functional.crossEntropy(logits.reshape(b * t, -1), all.narrow(1, 1, t).reshape(b * t), -100);
                    loss.backward();
                    opt.step();
                    syncs[step] = cudaBackend.hostSyncs() - s0;
                    losses[step] = loss.item();
                }
                allocations[step] = be.memoryStats().allocations();
            }
            for (int step = 3; step < 6; step++) {
                assertEquals(allocations[2], allocations[step], "driver allocations after warm-up, step " + step);
                assertEquals(0, syncs[step], "host waits inside training step " + step + " (the loss is read after it)");
            }
            assertTrue(losses[5] < losses[0], "the loss falls: " + java.util.Arrays.toString(losses));
            all.close();
        } finally {
            cudaBackend.setDeferIndexChecks(Boolean.getBoolean(org.racro4j.kernels.cuda.CudaBackend.PROP_DEFER_INDEX_CHECKS));
        }
    }

    /**
     * The kernels exist for the model's dtype and head dim, so Functional's dispatch takes them in the steps above.
     * This does not watch the model call them (nothing counts launches); it only rules out the steps above passing
     * on the composite paths because the head dim fell outside the kernels' sizes.
     */
    @Test
    void theFusedAndDecodeAttentionKernelsCoverTheModelsHeadDim() {
        try (Autograd.Mode off = Autograd.noGrad()) {
            assertTrue(cuda.backend() instanceof org.racro4j.core.FusedAttention fa && fa.supportsAttention(DType.BF16, CONFIG.headDim()));
            assertTrue(cuda.backend() instanceof org.racro4j.core.DecodeAttentionKernel dk && dk.supportsDecode(DType.BF16, CONFIG.headDim()));
        }
    }
}

package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.racro4j.core.Device;
import org.racro4j.core.MemoryStats;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.TestModels;

/**
 * Generation on the CPU after warm-up takes every storage from the backend's pool: the backend's allocation count
 * does not move over a whole generate call (prefill, dozens of decode steps, sampling), and no storage outlives it.
 */
class DecodeAllocationTest {
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.QWEN2, 77, 40, 56, 2, 4, 2, 10, 160, 10000.0, 1e-6, true, true, 0, List.of(1));
    static CausalLM model;

    @BeforeAll
    static void makeModel() {
        model = TestModels.randomModel(CONFIG, 23);
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @Test
    void aWarmGenerateAllocatesNothingAndLeavesNothing() {
        List<int[]> prompts = prompts(7, 3, 13, 5);
        for (SamplingConfig cfg : new SamplingConfig[] {
                new SamplingConfig(48, 1f, 0, 1f, 5, Set.of()), new SamplingConfig(48, 0.7f, 9, 0.9f, 6, Set.of()),
                SamplingConfig.greedy(48, Set.of())}) {
            for (int warmUp = 0; warmUp < 2; warmUp++) TextGeneration.generate(model, prompts, cfg);
            MemoryStats before = Device.CPU.backend().memoryStats();
            List<Generated> out = TextGeneration.generate(model, prompts, cfg);
            MemoryStats after = Device.CPU.backend().memoryStats();
            assertEquals(48, out.get(0).tokens().length, "every row ran all 47 decode steps");
            assertEquals(before.allocations(), after.allocations(), "storages allocated by a warm generate (" + cfg + ")");
            assertEquals(before.liveStorages(), after.liveStorages(), "storages left alive by generate (" + cfg + ")");
        }
        assertTrue(TextGeneration.deviceCursor(model), "the CPU decodes at the cache's cursor, with fixed shapes");
    }

    /** The same with groups of 8 and decode steps in row parts, on the engine's threads. */
    @Test
    void aWarmGenerateInRowPartsAllocatesNothingAndLeavesNothing() {
        List<int[]> prompts = prompts(4, 5, 11, 7);
        SamplingConfig cfg = new SamplingConfig(40, 1f, 0, 1f, 8, Set.of());
        System.setProperty("racro4j.decode.rowParts", "2");
        try {
            for (int warmUp = 0; warmUp < 2; warmUp++) TextGeneration.generate(model, null, prompts, cfg, 8);
            MemoryStats before = Device.CPU.backend().memoryStats();
            List<Generated> out = TextGeneration.generate(model, null, prompts, cfg, 8);
            MemoryStats after = Device.CPU.backend().memoryStats();
            assertEquals(40, out.size());
            assertEquals(40, out.get(39).tokens().length, "every row ran all 39 decode steps");
            assertEquals(before.allocations(), after.allocations(), "storages allocated by a warm generate in row parts");
            assertEquals(before.liveStorages(), after.liveStorages(), "storages left alive by generate in row parts");
        } finally {
            System.clearProperty("racro4j.decode.rowParts");
        }
    }

    /** Five prompts of length, length + growth, ...: token i of prompt r is 2 + (r a + i b) mod (vocab - 2). */
    private static List<int[]> prompts(int length, int growth, int a, int b) {
        List<int[]> prompts = new ArrayList<>();
        for (int r = 0; r < 5; r++) {
            int[] p = new int[length + growth * r];
            for (int i = 0; i < p.length; i++) p[i] = 2 + (r * a + i * b) % (CONFIG.vocabSize() - 2);
            prompts.add(p);
        }
        return prompts;
    }
}

package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.TestModels;

/**
 * The threading contract (docs/THREADS.md): one model, shared by several threads that each run inference in their own
 * Scope and with their own KV cache, gives every thread exactly the bits it gets alone. The prompts have different
 * lengths so that the threads grow the model's shared rotary tables while others read them.
 */
class ConcurrentInferenceTest {
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.QWEN2, 53, 32, 56, 2, 4, 2, 8, 400, 10000.0, 1e-6, true, true, 0, List.of(1));
    static final int[] LENGTHS = {7, 70, 150, 33, 290, 130};
    static final int ROUNDS = 3;

    @Test
    void forwardOnOneModelFromSeveralThreadsGivesTheSingleThreadedBits() throws Exception {
        float[][] alone = new float[LENGTHS.length][];
        try (CausalLM model = TestModels.randomModel(CONFIG, 5)) {
            for (int i = 0; i < LENGTHS.length; i++) alone[i] = logits(model, prompt(i));
        }
        try (CausalLM shared = TestModels.randomModel(CONFIG, 5)) {  // fresh rotary tables, grown by the threads
            List<float[]> together = inThreads(i -> logits(shared, prompt(i)));
            for (int r = 0; r < ROUNDS; r++) {
                for (int i = 0; i < LENGTHS.length; i++) {
                    assertArrayEquals(alone[i], together.get(r * LENGTHS.length + i), "round " + r + ", prompt " + i);
                }
            }
        }
    }

    @Test
    void generationOnOneModelFromSeveralThreadsGivesTheSingleThreadedTokens() throws Exception {
        SamplingConfig sampling = new SamplingConfig(12, 0.8f, 0, 1f, 99, Set.of());
        int[][] alone = new int[LENGTHS.length][];
        try (CausalLM model = TestModels.randomModel(CONFIG, 6)) {
            for (int i = 0; i < LENGTHS.length; i++) alone[i] = generate(model, prompt(i), sampling);
        }
        try (CausalLM shared = TestModels.randomModel(CONFIG, 6)) {
            List<int[]> together = inThreads(i -> generate(shared, prompt(i), sampling));
            for (int r = 0; r < ROUNDS; r++) {
                for (int i = 0; i < LENGTHS.length; i++) {
                    assertArrayEquals(alone[i], together.get(r * LENGTHS.length + i), "round " + r + ", prompt " + i);
                }
            }
        }
    }

    interface Job<T> {
        T run(int prompt) throws Exception;
    }

    /** ROUNDS x one thread per prompt, all released at once; results in (round, prompt) order. */
    private static <T> List<T> inThreads(Job<T> job) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(LENGTHS.length);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < ROUNDS; r++) {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<T>> round = new ArrayList<>();
                for (int i = 0; i < LENGTHS.length; i++) {
                    int prompt = i;
                    Callable<T> c = () -> {
                        start.await();
                        return job.run(prompt);
                    };
                    round.add(pool.submit(c));
                }
                start.countDown();
                for (Future<T> f : round) f.get();   // rounds one after another, threads within a round together
                futures.addAll(round);
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) out.add(f.get());
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static int[] prompt(int i) {
        Generator g = new Generator(100 + i);
        int[] ids = new int[LENGTHS[i]];
        for (int k = 0; k < ids.length; k++) ids[k] = 2 + g.nextInt(CONFIG.vocabSize() - 2);
        return ids;
    }

    private static float[] logits(CausalLM model, int[] ids) {
        long[] l = new long[ids.length];
        for (int k = 0; k < ids.length; k++) l[k] = ids[k];
        try (Scope scope = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
            return model.forward(Tensor.ofLongs(l, 1, ids.length), null, null).toFloatArray();
        }
    }

    private static int[] generate(CausalLM model, int[] ids, SamplingConfig sampling) {
        try (Scope scope = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
            return TextGeneration.generate(model, List.of(ids), sampling).get(0).tokens();
        }
    }
}

package org.racro4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.cpu.Parallel;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.generation.ContinuousGeneration;
import org.racro4j.models.generation.ContinuousGeneration.Request;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TextGeneration;

/**
 * Rollouts whose lengths spread ({@code --stop-spread A:B}): N requests of promptLen random tokens, request i
 * generating {@link #newTokens} of them, uniform in [A, B] from a fixed seed, computed identically by the peer
 * (bench/python/rollout.py). Run two ways on the same requests, sampling at temperature 1:
 * <ul>
 * <li>plain: the requests in consecutive batches of {@code batch}, each batch generated until its longest request
 *     ({@link TextGeneration}), as a rollout loop without continuous batching does;
 * <li>continuous: {@link ContinuousGeneration} with {@code batch} slots, a request leaving the batch as soon as it has
 *     its tokens and the next one taking its slot.
 * </ul>
 * Both count only useful tokens: each request's own new tokens (not the steps a plain batch runs past a request's
 * end); the time is the whole generation, prefills included. Medians over repeats after warm-up.
 */
public final class SpreadRolloutBench {
    private SpreadRolloutBench() {}

    public record Result(DecoderShape shape, int batch, int requests, int promptLen, int newTokens, int spreadMin, int spreadMax,
                         long usefulTokens, String device, double seconds, double plainSeconds) {
        public double usefulTokensPerSecond() {
            return usefulTokens / seconds;
        }

        public double plainUsefulTokensPerSecond() {
            return usefulTokens / plainSeconds;
        }

        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"bench\":\"rollout\",\"impl\":\"racro4j\",\"device\":\"%s\",\"layers\":%d,\"dim\":%d,\"heads\":%d,\"kv_heads\":%d,"
                            + "\"vocab\":%d,\"batch\":%d,\"prompt_len\":%d,\"new_tokens\":%d,\"stop_spread\":\"%d:%d\",\"requests\":%d,"
                            + "\"useful_tokens\":%d,\"useful_tokens_per_s\":%.1f,\"seconds\":%.3f,\"plain_useful_tokens_per_s\":%.1f,"
                            + "\"plain_seconds\":%.3f,\"continuous_speedup\":%.2f,\"threads\":%d}",
                    device, shape.layers(), shape.dim(), shape.heads(), shape.kvHeads(), shape.vocab(), batch, promptLen, newTokens,
                    spreadMin, spreadMax, requests, usefulTokens, usefulTokensPerSecond(), seconds, plainUsefulTokensPerSecond(),
                    plainSeconds, plainSeconds / seconds, Parallel.threads());
        }
    }

    /**
     * Request i's number of new tokens: uniform in [min, max] from splitmix64(i), so that the Python peer draws the
     * same numbers without sharing a random generator.
     */
    public static int newTokens(int i, int min, int max) {
        long z = i + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return min + (int) Long.remainderUnsigned(z, max - min + 1);
    }

    public static Result run(DecoderShape shape, int batch, int requests, int promptLen, int newTokens, int spreadMin, int spreadMax,
                             Device device, int warmup, int repeats) {
        if (spreadMin < 1 || spreadMin > spreadMax || spreadMax > newTokens) {
            throw new IllegalArgumentException("rollout: --stop-spread " + spreadMin + ":" + spreadMax
                    + " must satisfy 1 <= A <= B <= --new-tokens (" + newTokens + ")");
        }
        if (requests < 1) throw new IllegalArgumentException("rollout: --requests must be at least 1, got " + requests);
        Generator g = new Generator(2);
        List<Request> reqs = new ArrayList<>();
        long useful = 0;
        for (int i = 0; i < requests; i++) {
            int[] p = new int[promptLen];
            for (int j = 0; j < promptLen; j++) p[j] = g.nextInt(shape.vocab());
            int n = newTokens(i, spreadMin, spreadMax);
            reqs.add(Request.of(p, n));
            useful += n;
        }
        // positions are no cost, so the context leaves the continuous cache room to shift rarely (twice the longest span)
        try (CausalLM model = CausalLM.create(shape.config(2 * (promptLen + newTokens)), 3, DType.F32, device)) {
            double[] cont = new double[repeats];
            double[] plain = new double[repeats];
            for (int r = 0; r < warmup + repeats; r++) {
                SamplingConfig cfg = new SamplingConfig(newTokens, 1f, 0, 1f, r, Set.of());
                long t0 = System.nanoTime();
                long got = count(ContinuousGeneration.generate(model, reqs, cfg, batch));
                device.backend().synchronize();
                double c = (System.nanoTime() - t0) / 1e9;
                long t1 = System.nanoTime();
                long plainGot = plain(model, reqs, batch, cfg);
                device.backend().synchronize();
                double p = (System.nanoTime() - t1) / 1e9;
                if (got != useful || plainGot != useful) {
                    throw new IllegalStateException("rollout: " + useful + " tokens asked, continuous gave " + got + ", plain " + plainGot);
                }
                if (r >= warmup) {
                    cont[r - warmup] = c;
                    plain[r - warmup] = p;
                }
            }
            return new Result(shape, batch, requests, promptLen, newTokens, spreadMin, spreadMax, useful, device.toString(),
                    median(cont), median(plain));
        }
    }

    /** Consecutive batches, each run until its longest request; returns each request's own tokens, counted. */
    private static long plain(CausalLM model, List<Request> reqs, int batch, SamplingConfig cfg) {
        long useful = 0;
        for (int start = 0; start < reqs.size(); start += batch) {
            List<Request> part = reqs.subList(start, Math.min(reqs.size(), start + batch));
            int longest = 0;
            List<int[]> prompts = new ArrayList<>();
            for (Request q : part) {
                longest = Math.max(longest, q.maxNewTokens());
                prompts.add(q.prompt());
            }
            SamplingConfig c = new SamplingConfig(longest, cfg.temperature(), cfg.topK(), cfg.topP(), cfg.seed() + start, Set.of());
            List<Generated> out = TextGeneration.generate(model, prompts, c);
            for (int i = 0; i < part.size(); i++) useful += Math.min(out.get(i).tokens().length, part.get(i).maxNewTokens());
        }
        return useful;
    }

    private static long count(List<Generated> out) {
        long n = 0;
        for (Generated g : out) n += g.tokens().length;
        return n;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}

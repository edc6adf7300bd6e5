package org.racro4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.racro4j.core.Autograd;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.Parallel;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.KvCache;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TextGeneration;

/**
 * Rollout throughput of a Qwen2-shaped decoder with random weights: prefill of [batch, promptLen] tokens, then
 * newTokens decode steps for the whole batch with the KV cache (sampling at temperature 1, no stop tokens so
 * every row runs the full length). Prefill and decode are timed separately; medians over repeats after warm-up.
 *
 * <p>With a group size G above 1 the batch is batch / G prompts with G samples each (GRPO's groups): each prompt is
 * prefilled once and its cache forked, and the same batch is also run the plain way (every prompt repeated G times)
 * in the same repeats, so the JSON line carries both times and their ratios, and the time of the fork alone (the copy
 * of each prompt's cache into its samples' rows, part of the shared prefill's time).
 */
public final class RolloutBench {
    private RolloutBench() {}

    /**
     * Times of one configuration; with a group above 1 also those of the plain path on the same batch ({@code plain*})
     * and of the fork ({@code forkSeconds}), NaN for group 1. Tokens per second count every sequence's prompt and new
     * tokens, shared or not.
     */
    public record Result(DecoderShape shape, int batch, int group, int promptLen, int newTokens, String device,
                         double prefillSeconds, double totalSeconds, double plainPrefillSeconds, double plainTotalSeconds,
                         double forkSeconds) {
        public double prefillTokensPerSecond() {
            return batch * promptLen / prefillSeconds;
        }

        /** Generation = one prefill (which also yields the first token) + newTokens - 1 decode steps. */
        public double decodeTokensPerSecond() {
            return batch * (double) (newTokens - 1) / Math.max(1e-9, totalSeconds - prefillSeconds);
        }

        public String toJson() {
            String json = String.format(Locale.ROOT,
                    "{\"bench\":\"rollout\",\"impl\":\"racro4j\",\"device\":\"%s\",\"layers\":%d,\"dim\":%d,\"heads\":%d,\"kv_heads\":%d,"
                            + "\"vocab\":%d,\"batch\":%d,\"prompt_len\":%d,\"new_tokens\":%d,\"prefill_tokens_per_s\":%.1f,"
                            + "\"decode_tokens_per_s\":%.1f,\"seconds\":%.3f,\"threads\":%d",
                    device, shape.layers(), shape.dim(), shape.heads(), shape.kvHeads(), shape.vocab(), batch, promptLen, newTokens,
                    prefillTokensPerSecond(), decodeTokensPerSecond(), totalSeconds, Parallel.threads());
            if (group > 1) {
                json += String.format(Locale.ROOT, ",\"group\":%d,\"plain_prefill_seconds\":%.4f,\"plain_seconds\":%.3f,"
                                + "\"group_prefill_speedup\":%.2f,\"group_generation_speedup\":%.2f,\"fork_seconds\":%.5f",
                        group, plainPrefillSeconds, plainTotalSeconds, plainPrefillSeconds / prefillSeconds, plainTotalSeconds / totalSeconds,
                        forkSeconds);
            }
            return json + "}";
        }
    }

    public static Result run(DecoderShape shape, int batch, int promptLen, int newTokens, Device device, int warmup, int repeats) {
        return run(shape, batch, 1, promptLen, newTokens, device, warmup, repeats);
    }

    /** batch sequences: batch / group prompts of promptLen random tokens, group samples of each. */
    public static Result run(DecoderShape shape, int batch, int group, int promptLen, int newTokens, Device device, int warmup,
                             int repeats) {
        if (group < 1 || batch % group != 0) {
            throw new IllegalArgumentException("rollout: --group " + group + " must be at least 1 and divide --batch " + batch);
        }
        try (CausalLM model = BenchModel.create(shape, promptLen + newTokens, device)) {
            return run(model, shape, batch, group, promptLen, newTokens, warmup, repeats);
        }
    }

    /**
     * The same timing on a model already built or loaded (any dtype), on its device; shape is what the JSON line
     * reports (its vocab also bounds the random prompt tokens).
     */
    public static Result run(CausalLM model, DecoderShape shape, int batch, int group, int promptLen, int newTokens, int warmup,
                             int repeats) {
        if (group < 1 || batch % group != 0) {
            throw new IllegalArgumentException("rollout: --group " + group + " must be at least 1 and divide --batch " + batch);
        }
        Device device = model.device();
        Generator g = new Generator(2);
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < batch / group; b++) {
            int[] p = new int[promptLen];
            for (int i = 0; i < promptLen; i++) p[i] = g.nextInt(shape.vocab());
            prompts.add(p);
        }
        List<int[]> repeated = new ArrayList<>();
        for (int[] p : prompts) for (int k = 0; k < group; k++) repeated.add(p);
        double[] prefill = new double[repeats];
        double[] total = new double[repeats];
        double[] plainPrefill = new double[repeats];
        double[] plainTotal = new double[repeats];
        double[] fork = new double[repeats];
        for (int r = 0; r < warmup + repeats; r++) {
            SamplingConfig cfg = new SamplingConfig(newTokens, 1f, 0, 1f, r, Set.of());
            double[] forkTime = new double[1];
            double p = timePrefill(model, prompts, group, promptLen, device, forkTime);
            long t0 = System.nanoTime();
            TextGeneration.generate(model, null, prompts, cfg, group);
            device.backend().synchronize();
            double all = (System.nanoTime() - t0) / 1e9;
            double pp = Double.NaN;
            double pall = Double.NaN;
            if (group > 1) {
                pp = timePrefill(model, repeated, 1, promptLen, device, new double[1]);
                long t1 = System.nanoTime();
                TextGeneration.generate(model, repeated, cfg);
                device.backend().synchronize();
                pall = (System.nanoTime() - t1) / 1e9;
            }
            if (r >= warmup) {
                prefill[r - warmup] = p;
                total[r - warmup] = all;
                plainPrefill[r - warmup] = pp;
                plainTotal[r - warmup] = pall;
                fork[r - warmup] = group > 1 ? forkTime[0] : Double.NaN;
            }
        }
        return new Result(shape, batch, group, promptLen, newTokens, device.toString(), median(prefill), median(total),
                median(plainPrefill), median(plainTotal), median(fork));
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /**
     * The prefill of the prompts, forked into group copies of the cache when group is above 1, and the last logits; the
     * fork's own time goes to forkSeconds[0].
     */
    private static double timePrefill(CausalLM model, List<int[]> prompts, int group, int promptLen, Device device, double[] forkSeconds) {
        int b = prompts.size();
        long[] ids = new long[b * promptLen];
        for (int r = 0; r < b; r++) for (int i = 0; i < promptLen; i++) ids[r * promptLen + i] = prompts.get(r)[i];
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open(); KvCache cache = model.newCache(b, promptLen)) {
            Tensor x = Tensor.ofLongs(ids, b, promptLen).to(device);
            long t0 = System.nanoTime();
            Tensor h = model.hidden(model.embed(x), null, cache);
            cache.advance(promptLen);
            Tensor last = h.narrow(1, promptLen - 1, 1);
            if (group > 1) {
                device.backend().synchronize();
                long f0 = System.nanoTime();
                try (KvCache forked = cache.repeatRows(group)) {
                    device.backend().synchronize();
                    forkSeconds[0] = (System.nanoTime() - f0) / 1e9;
                    long[] rows = new long[b * group];
                    for (int r = 0; r < rows.length; r++) rows[r] = r / group;
                    last = last.indexSelect(0, Tensor.ofLongs(rows, rows.length).to(device));
                    model.logits(last).toFloatArray();
                }
            } else {
                model.logits(last).toFloatArray();
            }
            device.backend().synchronize();
            return (System.nanoTime() - t0) / 1e9;
        }
    }
}

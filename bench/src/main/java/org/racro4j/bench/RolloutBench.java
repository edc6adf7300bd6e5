package org.racro4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.KvCache;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TextGeneration;

/**
 * Rollout throughput of a Qwen2-shaped decoder with random weights: prefill of [batch, promptLen] tokens, then
 * newTokens decode steps for the whole batch with the KV cache (sampling at temperature 1, no stop tokens so
 * every row runs the full length). Prefill and decode are timed separately; medians over repeats after warm-up.
 */
public final class RolloutBench {
    private RolloutBench() {}

    public record Result(DecoderShape shape, int batch, int promptLen, int newTokens, String device, double prefillTokensPerSecond,
                         double decodeTokensPerSecond, double totalSeconds) {
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"bench\":\"rollout\",\"impl\":\"racro4j\",\"device\":\"%s\",\"layers\":%d,\"dim\":%d,\"heads\":%d,\"kv_heads\":%d,"
                            + "\"vocab\":%d,\"batch\":%d,\"prompt_len\":%d,\"new_tokens\":%d,\"prefill_tokens_per_s\":%.1f,"
                            + "\"decode_tokens_per_s\":%.1f,\"seconds\":%.3f}",
                    device, shape.layers(), shape.dim(), shape.heads(), shape.kvHeads(), shape.vocab(), batch, promptLen, newTokens,
                    prefillTokensPerSecond, decodeTokensPerSecond, totalSeconds);
        }
    }

    public static Result run(DecoderShape shape, int batch, int promptLen, int newTokens, Device device, int warmup, int repeats) {
        Generator g = new Generator(2);
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] p = new int[promptLen];
            for (int i = 0; i < promptLen; i++) p[i] = g.nextInt(shape.vocab());
            prompts.add(p);
        }
        try (CausalLM model = CausalLM.create(shape.config(promptLen + newTokens), 3, DType.F32, device)) {
            double[] prefill = new double[repeats];
            double[] total = new double[repeats];
            for (int r = 0; r < warmup + repeats; r++) {
                double p = timePrefill(model, prompts, promptLen, device);
                long t0 = System.nanoTime();
                TextGeneration.generate(model, prompts, new SamplingConfig(newTokens, 1f, 0, 1f, r, Set.of()));
                device.backend().synchronize();
                double all = (System.nanoTime() - t0) / 1e9;
                if (r >= warmup) {
                    prefill[r - warmup] = p;
                    total[r - warmup] = all;
                }
            }
            Arrays.sort(prefill);
            Arrays.sort(total);
            double prefillSec = prefill[repeats / 2];
            double totalSec = total[repeats / 2];
            // Generation = one prefill (which also yields the first token) + newTokens - 1 decode steps.
            double decodeSec = Math.max(1e-9, totalSec - prefillSec);
            return new Result(shape, batch, promptLen, newTokens, device.toString(), batch * promptLen / prefillSec,
                    batch * (double) (newTokens - 1) / decodeSec, totalSec);
        }
    }

    private static double timePrefill(CausalLM model, List<int[]> prompts, int promptLen, Device device) {
        int b = prompts.size();
        long[] ids = new long[b * promptLen];
        for (int r = 0; r < b; r++) for (int i = 0; i < promptLen; i++) ids[r * promptLen + i] = prompts.get(r)[i];
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open(); KvCache cache = model.newCache(b, promptLen)) {
            Tensor x = Tensor.ofLongs(ids, b, promptLen).to(device);
            long t0 = System.nanoTime();
            Tensor h = model.hidden(model.embed(x), null, cache);
            model.logits(h.narrow(1, promptLen - 1, 1)).toFloatArray();
            device.backend().synchronize();
            return (System.nanoTime() - t0) / 1e9;
        }
    }
}

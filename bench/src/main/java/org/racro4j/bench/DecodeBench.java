package org.racro4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TextGeneration;

/**
 * Batched decoding throughput of a Qwen2-0.5B-shaped model (random weights: hidden 896, MLP 4864, 24 layers, 14
 * heads, 2 KV heads, head dim 64, vocab 151936, tied embeddings), with decode steps replayed as a CUDA graph and,
 * for comparison, eager (one launch per op). Decode time = generation of {@code newTokens} tokens minus generation of
 * one (the prefill and the first token), medians over repeats after a warm-up; tokens/s counts every row's tokens.
 * Sampling at temperature 1, no stop tokens (every row runs the full length), as bench/python/rollout.py does.
 *
 * <p>The PyTorch peer: {@code bench/python/rollout.py --layers 24 --dim 896 --heads 14 --kv-heads 2 --vocab 151936
 * --intermediate 4864 --dtype bf16 --device cuda --batch 64 --prompt-len P --new-tokens N}.
 */
public final class DecodeBench {
    /** Qwen2-0.5B's shape for a context of maxPositions. */
    public static DecoderConfig qwen2_0_5b(int maxPositions) {
        return new DecoderConfig(DecoderConfig.QWEN2, 151936, 896, 4864, 24, 14, 2, 64, maxPositions, 1_000_000.0, 1e-6, true, true, 0,
                List.of());
    }

    public record Result(String mode, String device, String dtype, int batch, int promptLen, int newTokens, double decodeSeconds,
                         double decodeTokensPerSecond) {
        public String toJson() {
            return String.format(Locale.ROOT, "{\"bench\":\"decode\",\"impl\":\"racro4j\",\"mode\":\"%s\",\"device\":\"%s\",\"model\":"
                    + "\"qwen2-0.5b-shaped\",\"dtype\":\"%s\",\"batch\":%d,\"prompt_len\":%d,\"new_tokens\":%d,\"decode_seconds\":%.4f,"
                    + "\"ms_per_step\":%.3f,\"decode_tokens_per_s\":%.1f}", mode, device, dtype, batch, promptLen, newTokens, decodeSeconds,
                    1000 * decodeSeconds / Math.max(1, newTokens - 1), decodeTokensPerSecond);
        }
    }

    private DecodeBench() {}

    /** Runs graph and/or eager decoding on device; each mode: one warm-up, then {@code repeats} timed pairs. */
    public static List<Result> run(Device device, DType dtype, int batch, int promptLen, int newTokens, int repeats, List<String> modes) {
        if (newTokens < 2) throw new IllegalArgumentException("decode bench: new tokens must be at least 2, got " + newTokens);
        Generator g = new Generator(7);
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] p = new int[promptLen];
            for (int i = 0; i < promptLen; i++) p[i] = g.nextInt(151936);
            prompts.add(p);
        }
        List<Result> out = new ArrayList<>();
        String old = System.getProperty(TextGeneration.PROP_DECODE_GRAPHS);
        try (CausalLM model = CausalLM.create(qwen2_0_5b(promptLen + newTokens), 3, dtype, device)) {
            for (String mode : modes) {
                System.setProperty(TextGeneration.PROP_DECODE_GRAPHS, Boolean.toString(mode.equals("graph")));
                generate(model, prompts, newTokens, 0);
                double[] decode = new double[repeats];
                for (int r = 0; r < repeats; r++) {
                    double all = generate(model, prompts, newTokens, r + 1);
                    double first = generate(model, prompts, 1, r + 1);
                    decode[r] = Math.max(1e-9, all - first);
                }
                Arrays.sort(decode);
                double sec = decode[repeats / 2];
                out.add(new Result(mode, device.toString(), dtype.name().toLowerCase(Locale.ROOT), batch, promptLen, newTokens, sec,
                        batch * (double) (newTokens - 1) / sec));
            }
        } finally {
            if (old == null) System.clearProperty(TextGeneration.PROP_DECODE_GRAPHS);
            else System.setProperty(TextGeneration.PROP_DECODE_GRAPHS, old);
        }
        return out;
    }

    /** Seconds to generate newTokens tokens for every prompt (the results reach the host, so the work is done). */
    private static double generate(CausalLM model, List<int[]> prompts, int newTokens, long seed) {
        long t0 = System.nanoTime();
        TextGeneration.generate(model, prompts, new SamplingConfig(newTokens, 1f, 0, 1f, seed, Set.of()));
        return (System.nanoTime() - t0) / 1e9;
    }

    /** {@code DecodeBench [--device cuda] [--dtype bf16] [--batch 64] [--prompt-len 128] [--new-tokens 128] [--repeats 3] [--modes graph,eager]}. */
    public static void main(String[] args) {
        String device = "cuda";
        DType dt = DType.BF16;
        int batch = 64, promptLen = 128, newTokens = 128, repeats = 3;
        List<String> modes = List.of("graph", "eager");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> device = args[++i];
                case "--dtype" -> dt = DType.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--prompt-len" -> promptLen = Integer.parseInt(args[++i]);
                case "--new-tokens" -> newTokens = Integer.parseInt(args[++i]);
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--modes" -> modes = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        for (Result r : run(Device.of(device), dt, batch, promptLen, newTokens, repeats, modes)) System.out.println(r.toJson());
    }
}

package org.racro4j.training.hf;

import java.util.Arrays;
import java.util.Set;

import org.racro4j.core.Autograd;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;

/**
 * The slow, obvious way to read a decoder, for tests to compare the engine's generation and scoring with: a full
 * forward over the whole sequence for every token (no KV cache, no batch, no padding), log-softmax in float64.
 */
public final class ReferenceDecoding {
    private ReferenceDecoding() {}

    /** Greedy tokens after {@code prompt}, at most {@code max}, up to (not including) the first of {@code stops}. */
    public static int[] greedy(CausalLM lm, int[] prompt, Set<Integer> stops, int max) {
        int[] seq = prompt;
        for (int step = 0; step < max; step++) {
            float[] last = lastLogits(lm, seq);
            int next = 0;
            for (int i = 1; i < last.length; i++) if (last[i] > last[next]) next = i;
            if (stops.contains(next)) break;
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = next;
        }
        return Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    /**
     * Greedy tokens after the embeddings {@code prefix} [1, P, D] (a captioner's image tokens) and {@code prompt}, at
     * most {@code max}, up to (not including) the first of {@code stops}.
     */
    public static int[] greedyAfter(CausalLM lm, Tensor prefix, int[] prompt, Set<Integer> stops, int max) {
        int[] seq = prompt;
        int v = lm.config().vocabSize();
        for (int step = 0; step < max; step++) {
            float[] all;
            long[] ids = Arrays.stream(seq).asLongStream().toArray();
            try (Autograd.Mode off = Autograd.noGrad()) {
                Tensor embeds = Tensor.cat(java.util.List.of(prefix, lm.embed(Tensor.ofLongs(ids, 1, seq.length))), 1);
                all = lm.logits(lm.hidden(embeds, null, null)).toFloatArray();
            }
            int rows = prefix.size(1) + seq.length;
            int next = 0;
            for (int i = 1; i < v; i++) if (all[(rows - 1) * v + i] > all[(rows - 1) * v + next]) next = i;
            if (stops.contains(next)) break;
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = next;
        }
        return Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    /** log P(target | prompt), summed over the target's tokens. */
    public static double logProbability(CausalLM lm, int[] prompt, int[] target) {
        int[] all = Arrays.copyOf(prompt, prompt.length + target.length);
        System.arraycopy(target, 0, all, prompt.length, target.length);
        float[] logits = logits(lm, all);
        int v = lm.config().vocabSize();
        double sum = 0;
        for (int j = 0; j < target.length; j++) {
            int row = prompt.length - 1 + j;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < v; c++) max = Math.max(max, logits[row * v + c]);
            double z = 0;
            for (int c = 0; c < v; c++) z += Math.exp(logits[row * v + c] - max);
            sum += logits[row * v + target[j]] - max - Math.log(z);
        }
        return sum;
    }

    private static float[] lastLogits(CausalLM lm, int[] seq) {
        int v = lm.config().vocabSize();
        return Arrays.copyOfRange(logits(lm, seq), (seq.length - 1) * v, seq.length * v);
    }

    private static float[] logits(CausalLM lm, int[] seq) {
        long[] ids = Arrays.stream(seq).asLongStream().toArray();
        try (Autograd.Mode off = Autograd.noGrad()) {
            return lm.forward(Tensor.ofLongs(ids, 1, seq.length), null, null).toFloatArray();
        }
    }
}

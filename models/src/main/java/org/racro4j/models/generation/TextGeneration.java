package org.racro4j.models.generation;

import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.DecodeAttentionKernel;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.GraphCapture;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.TransposedWeights;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.KvCache;

/**
 * Batched generation with a KV cache. Prompts of different lengths are left-padded (pads masked out of
 * attention); because rotary embeddings only see position differences, a padded row computes what it would
 * compute alone. One prefill over all prompt tokens, then one decode step per new token for the whole batch.
 * An optional prefix of embeddings per row (image tokens) goes before the prompt, after the padding.
 *
 * <p>Groups: G samples of one prompt (GRPO's group) share their whole prompt, so with a group size G each prompt is
 * prefilled once and its KV cache rows are then copied G times ({@link KvCache#repeatRows}); the samples differ from
 * the first sampled token on. The result is that of generating the list with every prompt repeated G times, bit for
 * bit on the CPU wherever the prefill's matrix products take the same kernels for B and B x G rows: the CPU GEMM
 * chooses among kernels by the number of rows only for products of at most 128 rows, which a prefill of B prompts of
 * T tokens (B x T rows) exceeds in practice. GroupGenerationTest and CaptionRolloutsTest check the equality.
 */
public final class TextGeneration {
    private TextGeneration() {}

    public static List<Generated> generate(CausalLM model, List<int[]> prompts, SamplingConfig cfg) {
        return generate(model, null, prompts, cfg, 1);
    }

    /**
     * @param prefix  null, or [B, P, D] embeddings placed before each row's prompt (e.g. projected image patches)
     * @param prompts token ids per row (non-empty unless a prefix is given)
     */
    public static List<Generated> generate(CausalLM model, Tensor prefix, List<int[]> prompts, SamplingConfig cfg) {
        return generate(model, prefix, prompts, cfg, 1);
    }

    /**
     * {@code groupSize} samples of every prompt, prefilled once per prompt: B x groupSize results, prompt i's samples
     * at i x groupSize ... i x groupSize + groupSize - 1, the same as {@link #generate(CausalLM, Tensor, List,
     * SamplingConfig)} of the list with every prompt (and prefix row) repeated groupSize times in place.
     */
    public static List<Generated> generate(CausalLM model, Tensor prefix, List<int[]> prompts, SamplingConfig cfg, int groupSize) {
        if (groupSize < 1) throw new IllegalArgumentException("generate: group size must be at least 1, got " + groupSize);
        int unique = prompts.size();
        int b = unique * groupSize;
        if (b == 0) return List.of();
        int p = prefix == null ? 0 : prefix.size(1);
        if (prefix != null && prefix.size(0) != unique) {
            throw new IllegalArgumentException("generate: prefix has " + prefix.size(0) + " rows for " + unique + " prompts");
        }
        int longest = 0;
        for (int[] pr : prompts) longest = Math.max(longest, pr.length);
        int t0 = p + longest;
        if (t0 == 0) throw new IllegalArgumentException("generate: empty prompt and no prefix");
        int maxPos = model.config().maxPositions();
        if (t0 > maxPos) {
            throw new IllegalArgumentException("generate: the prompt has " + t0 + " tokens, more than the model's context of "
                    + maxPos + " (max_position_embeddings)");
        }
        int capacity = (int) Math.min((long) t0 + cfg.maxNewTokens(), maxPos);
        // the first new token comes from the prompt's logits, each later one needs a position: at most this many fit,
        // whatever was asked for, so the buffers are sized by what the context can hold
        int room = Math.min(cfg.maxNewTokens(), capacity - t0 + 1);
        int[][] tokens = new int[b][room];
        float[][] logps = new float[b][room];
        int[] produced = new int[b];
        boolean[] stopped = new boolean[b];
        Generator gen = new Generator(cfg.seed());
        Device device = model.device();
        KvCache cache = model.newCache(unique, capacity);
        try (Autograd.Mode off = Autograd.noGrad()) {
            Tensor next;
            try (Scope s = Scope.open()) {
                Tensor embeds = prefillEmbeddings(model, prefix, prompts, longest);
                // Each row is [pads][prefix][prompt]: everything after the row's padding may be attended.
                float[] mask = new float[unique * t0];
                for (int r = 0; r < unique; r++) {
                    for (int i = longest - prompts.get(r).length; i < t0; i++) mask[r * t0 + i] = 1f;
                }
                cache.markKeys(Tensor.of(mask, unique, t0).to(device));
                Tensor h = model.hidden(embeds, cache.keyMask(t0), cache);
                cache.advance(t0);
                Tensor last = h.narrow(1, t0 - 1, 1).reshape(unique, -1);
                if (groupSize > 1) {
                    KvCache forked = cache.repeatRows(groupSize);
                    cache.close();
                    cache = forked;
                    // the head runs on all b rows, as it would without groups (same rows, same kernels)
                    last = last.indexSelect(0, repeatIndex(unique, groupSize, device));
                }
                next = s.keep(sample(model.logits(last), 0, cfg, gen, tokens, logps, produced, stopped));
            }
            // Decode steps multiply a few rows by every weight: row-major copies pay there, made after the prefill, whose
            // products have rows enough for the stored layout.
            try (TransposedWeights rowMajor = cfg.maxNewTokens() > 1 ? rowMajorWeights(model) : null) {
                if (deviceCursor(model)) {
                    next = decodeAtDeviceCursor(model, cache, capacity, next, graphs(device), cfg, gen, tokens, logps, produced, stopped);
                } else {
                    for (int step = 1; step < cfg.maxNewTokens() && cache.length() < capacity && !allStopped(stopped); step++) {
                        try (Scope s = Scope.open()) {
                            cache.markKeys(Tensor.ones(DType.F32, device, b, 1));
                            int len = cache.length() + 1;
                            Tensor h = model.hidden(model.embed(next.reshape(b, 1)), cache.keyMask(len), cache);
                            cache.advance(1);
                            next.close();
                            next = s.keep(sample(model.logits(h.reshape(b, -1)), step, cfg, gen, tokens, logps, produced, stopped));
                        }
                    }
                }
            }
            next.close();
        } finally {
            cache.close();
        }
        List<Generated> out = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            out.add(new Generated(java.util.Arrays.copyOf(tokens[r], produced[r]), java.util.Arrays.copyOf(logps[r], produced[r]), stopped[r]));
        }
        return out;
    }

    /**
     * The decode steps at the cache's device cursor (CausalLM.decodeStep): the step reads its token ids from a static
     * device buffer and the position and lengths on the device, so it needs no host transfer. With {@code capture},
     * the first step runs eagerly (loading kernels, checking them, warming the allocator), the second is captured
     * as a graph, and every step replays it as one launch; without, every step runs eagerly (the same kernels, so
     * the same results). Sampling (a couple of launches) stays outside, because its seed offset changes. Returns
     * the last sampled ids.
     */
    private static Tensor decodeAtDeviceCursor(CausalLM model, KvCache cache, int capacity, Tensor next, boolean capture,
                                               SamplingConfig cfg, Generator gen, int[][] tokens, float[][] logps, int[] produced,
                                               boolean[] stopped) {
        int b = next.size(0);
        Device device = model.device();
        model.reservePositions(capacity);
        cache.startDeviceCursor();
        Tensor ids = Scope.unscoped(() -> Tensor.zeros(DType.I64, device, b, 1));
        GraphCapture.Graph graph = null;
        Tensor[] captured = new Tensor[1];
        try {
            for (int step = 1; step < cfg.maxNewTokens() && cache.length() < capacity && !allStopped(stopped); step++) {
                try (Scope s = Scope.open()) {
                    ids.copyFrom(next.reshape(b, 1));   // the view goes with s; outside a scope it kept next's storage alive
                    next.close();
                    Tensor logits;
                    if (step == 1 || !capture) {
                        logits = model.decodeStep(ids, cache);
                    } else {
                        if (graph == null) {
                            graph = ((GraphCapture) device.backend()).capture(() -> {
                                try (Scope c = Scope.open()) {
                                    captured[0] = Scope.escape(c.keep(model.decodeStep(ids, cache)));
                                }
                            });
                        }
                        graph.replay();
                        logits = captured[0];
                    }
                    cache.advance(1);
                    next = s.keep(sample(logits, step, cfg, gen, tokens, logps, produced, stopped));
                }
            }
            return next;
        } finally {
            if (graph != null) graph.close();
            if (captured[0] != null) captured[0].close();
            ids.close();
        }
    }

    /** -D property: false makes CPU generation read the weights as stored ([out, in]) instead of row-major copies. */
    public static final String PROP_ROW_MAJOR_WEIGHTS = "racro4j.decode.rowMajorWeights";

    /**
     * Row-major weight copies for this generation where they pay: on the CPU, for F32 models whose linear weights take at
     * most an eighth of the heap (the copy doubles them while the call runs). Null elsewhere: GPU matrix kernels read a
     * transposed weight as fast, and a half-precision CPU model is kept in its stored dtype, with no float copy.
     */
    static TransposedWeights rowMajorWeights(CausalLM model) {
        boolean pays = !"false".equalsIgnoreCase(System.getProperty(PROP_ROW_MAJOR_WEIGHTS))
                && model.device().equals(Device.CPU) && model.dtype() == DType.F32
                && model.linearWeightBytes() <= Runtime.getRuntime().maxMemory() / 8;
        return pays ? model.transposedWeights() : null;
    }

    /** -D property: false keeps decoding eager (one launch per op) on backends that capture graphs. */
    public static final String PROP_DECODE_GRAPHS = "racro4j.decode.graphs";

    /** Whether decode steps run as a captured graph on this device. */
    public static boolean graphs(Device device) {
        return !"false".equalsIgnoreCase(System.getProperty(PROP_DECODE_GRAPHS)) && device.backend() instanceof GraphCapture;
    }

    /**
     * Whether decoding keeps the cache cursor on the device: where the backend has a decode-attention kernel for the
     * model's dtype (a GPU; the CPU for F32), which reads only each row's valid keys. Every step then has the same
     * shapes, so a GPU can replay it as a graph and the CPU takes all its storage from its pool (DecodeAllocationTest).
     * Elsewhere (BF16 on the CPU) the composite would attend the whole capacity every step, so decoding there keeps
     * the host cursor and attends the keys so far.
     */
    static boolean deviceCursor(CausalLM model) {
        return model.device().backend() instanceof DecodeAttentionKernel dk && dk.supportsDecode(model.dtype(), model.config().headDim());
    }

    /** [0, 0, ..., 1, 1, ...]: each of n rows copies times, as an I64 index on the device. */
    private static Tensor repeatIndex(int n, int copies, Device device) {
        long[] rows = new long[n * copies];
        for (int r = 0; r < rows.length; r++) rows[r] = r / copies;
        return Tensor.ofLongs(rows, rows.length).to(device);
    }

    private static Tensor prefillEmbeddings(CausalLM model, Tensor prefix, List<int[]> prompts, int longest) {
        int b = prompts.size();
        long[] ids = new long[b * longest];
        for (int r = 0; r < b; r++) {
            int[] pr = prompts.get(r);
            int pad = longest - pr.length;
            for (int i = 0; i < pr.length; i++) ids[r * longest + pad + i] = pr[i];
        }
        Tensor embeds = longest == 0 ? null : model.embed(Tensor.ofLongs(ids, b, longest).to(model.device()));
        if (prefix == null) return embeds;
        List<Tensor> rows = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            int pad = longest - prompts.get(r).length;
            List<Tensor> parts = new ArrayList<>(3);
            if (pad > 0) parts.add(embeds.narrow(0, r, 1).narrow(1, 0, pad));
            parts.add(prefix.narrow(0, r, 1).to(embeds == null ? prefix.dtype() : embeds.dtype()));
            if (pad < longest) parts.add(embeds.narrow(0, r, 1).narrow(1, pad, longest - pad));
            rows.add(Tensor.cat(parts, 1));
        }
        return Tensor.cat(rows, 0);
    }

    /**
     * Draws the next token of every row and records it (and its log-probability) for rows still running. {@code step}
     * is 0 for the token the prefill predicts, then the decode step.
     *
     * <p>Non-finite logits are caught here at no extra cost: the log-probability of the drawn token, which is computed
     * anyway, is log softmax over the whole row, so a NaN anywhere in the row, a +infinity, or a row of -infinity all
     * make it NaN (or -infinity). Without this check such a row still yields a token (argmax of NaNs is token 0,
     * which a byte-level tokenizer prints as a NUL byte) and the result looks like text.
     */
    private static Tensor sample(Tensor logits, int step, SamplingConfig cfg, Generator gen, int[][] tokens, float[][] logps,
                                 int[] produced, boolean[] stopped) {
        int b = logits.size(0);
        Tensor lf = logits.to(DType.F32).contiguous();
        Tensor ids = Tensor.empty(DType.I64, lf.device(), b);
        long offset = gen.reserve(b);
        lf.backend().sampleTokens(lf, cfg.temperature(), cfg.topK(), cfg.topP(), gen.seed(), offset, ids);
        float[] lp = sampledLogProbs(lf, cfg, ids);
        long[] chosen = ids.toLongArray();
        for (int r = 0; r < b; r++) {
            if (stopped[r] || produced[r] >= tokens[r].length) continue;
            if (!Float.isFinite(lp[r])) throw nonFinite(step, r, b, lp[r]);
            int tok = (int) chosen[r];
            tokens[r][produced[r]] = tok;
            logps[r][produced[r]] = lp[r];
            produced[r]++;
            if (cfg.stopTokens().contains(tok)) stopped[r] = true;
        }
        return ids;
    }

    /**
     * The log-probability of each row's sampled token, log softmax(logits / T) at the drawn id (T = 1 when greedy), as
     * sampling defines it. x / 1 is x exactly, so temperature 1 skips that pass over [B, V].
     *
     * <p>Taken as 0 - cross-entropy against the ids, without writing the [B, V] log-softmax to read one entry per row.
     * The CPU backend computes both ops' log-sum-exp one way (CpuRows); log-softmax returns x[id] - lse and
     * cross-entropy lse - x[id], IEEE subtraction rounds a - b to exactly -(b - a), and 0 - y negates y and turns a -0
     * into log-softmax's +0: the same bits. (softmax.cu and cross_entropy.cu take the same online steps; not run on
     * a GPU.)
     */
    static float[] sampledLogProbs(Tensor logits, SamplingConfig cfg, Tensor ids) {
        float temp = cfg.temperature() > 0 ? cfg.temperature() : 1f;
        Tensor scaled = temp == 1f ? logits : logits.div(temp);
        float[] lp = Functional.crossEntropy(scaled, ids, -1, Functional.Reduction.NONE).toFloatArray();
        for (int r = 0; r < lp.length; r++) lp[r] = 0f - lp[r];
        return lp;
    }

    private static NonFiniteException nonFinite(int step, int row, int rows, float logProb) {
        String where = step == 0 ? "the prefill (new token 1)" : "decode step " + step + " (new token " + (step + 1) + ")";
        return new NonFiniteException("generate: non-finite logits at " + where + " in row " + row + " of " + rows
                + " (the sampled token's log-probability is " + logProb + "): the model's weights or inputs hold NaN or infinity",
                row);
    }

    private static boolean allStopped(boolean[] stopped) {
        for (boolean s : stopped) if (!s) return false;
        return true;
    }
}

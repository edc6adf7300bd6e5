package org.racro4j.models.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.TransposedWeights;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.KvCache;

/**
 * Generation with continuous batching: at most {@code slots} sequences are in flight, and a sequence that ends
 * (stop token or its own length) leaves the batch at once, so the next waiting request takes its slot. Rollouts of
 * very different lengths then no longer run at the pace of the longest.
 *
 * <p>Design. All rows share one cache clock (the cache length), as in {@link TextGeneration}. A request of T
 * tokens (prefix plus prompt) is admitted at clock L by prefilling it in a small cache of its own whose rotary
 * positions start at L - T ({@link KvCache#setPositionOffset}), and copying that row into a free row of the shared
 * cache at entries L - T .. L - 1 with everything before masked out ({@link KvCache#placeRow}); rotary embeddings
 * only see position differences, so the row computes what it would compute alone. Several waiting requests are
 * admitted with one prefill (left-padded to the longest of them). Live rows are kept packed in the first rows of
 * the cache: when one ends, the last live row is copied into its place ({@link KvCache#moveRow}) and the decode
 * steps run on the live rows only ({@link KvCache#setActiveRows}): no step computes a finished row. When the clock
 * reaches the capacity, the cache drops the entries before the oldest live row ({@link KvCache#shiftLeft}) and
 * keeps a rotary offset, so queries are still rotated at their absolute positions. A waiting request longer than
 * the clock waits until the clock has grown to its length (or the batch is empty and the clock restarts).
 *
 * <p>Sampling does not depend on which slot a sequence gets or when it runs: sample g of the request with stream i
 * (by default its index in the list) draws its token j from the Philox stream (seed, offset (i x G + g) x 2^32 + j)
 * (one uniform per token: {@code Backend.sampleTokens} with one offset per row), so the tokens are the same for any
 * slot count, and for any order of requests that keep their streams. They differ from {@link TextGeneration}'s samples
 * for the same seed, which draws row r's token from one offset per step; greedy decoding gives the same tokens as
 * {@link TextGeneration} of each request alone. Log-probabilities equal those of a request run alone up to float
 * rounding, not bit for bit: a row's softmax and weighted sum over its keys run over every entry since the oldest
 * live row started (the masked ones weigh exactly 0), so its terms are grouped into partial sums differently than
 * alone, and the CPU matrix product chooses its kernel by the number of rows in flight.
 *
 * <p>Where it stops: this is the host-cursor path (the CPU's): one forward per step over the live rows, and the
 * sampled ids read back to the host every step (a backend without its own per-row-offset sampling samples row by
 * row: a launch per row on a GPU). The device-cursor path with a captured decode graph (GPUs with a
 * decode-attention kernel) needs a fixed batch and keeps using {@link TextGeneration}; this class runs on any
 * device, but always on the host cursor, and was measured and tested on the CPU only. Group admission
 * ({@code groupSize} G) prefills a request once and forks it into G rows, which enter together when G slots are
 * free. Requests may carry a prefix of embeddings [P, D] (image tokens) each, so RL rollouts can pass what they pass
 * to {@link TextGeneration} through {@link Request#list}.
 *
 * <p>Costs: a finished row's removal copies one row of the cache (all layers, the entries so far); a shift copies
 * the kept entries of the live rows; both are small next to the decode steps (measured on one thread: 59 row moves
 * took 0.3 ms of a 235 ms rollout of 64 requests in 16 slots on a 2-layer dim-128 model). Each step attends every
 * live row over the entries since the oldest live row started (masked before a row's own start), and requests are
 * prefilled as slots free up, often one at a time, where a plain batch prefills all its prompts in one larger
 * product.
 */
public final class ContinuousGeneration {
    private ContinuousGeneration() {}

    /**
     * One generation request.
     *
     * @param prompt       token ids (may be empty when a prefix is given)
     * @param prefix       null, or [P, D] embeddings placed before the prompt (e.g. projected image patches)
     * @param maxNewTokens at most this many new tokens; negative means the sampling config's
     * @param stopTokens   null, or the tokens that end this request (instead of the sampling config's)
     * @param stream       which random stream its samples are drawn from; negative means its index in the list.
     *                     A request keeps its samples wherever it stands in a list that gives it the same stream.
     */
    public record Request(int[] prompt, Tensor prefix, int maxNewTokens, Set<Integer> stopTokens, int stream) {
        public Request {
            if (prompt == null) throw new IllegalArgumentException("Request: prompt is null (use an empty array with a prefix)");
            prompt = prompt.clone();
            if (stopTokens != null) stopTokens = Set.copyOf(stopTokens);
        }

        /** A prompt that stops where the sampling config says. */
        public static Request of(int[] prompt) {
            return new Request(prompt, null, -1, null, -1);
        }

        /** A prompt with its own limit on new tokens. */
        public static Request of(int[] prompt, int maxNewTokens) {
            return new Request(prompt, null, maxNewTokens, null, -1);
        }

        /**
         * One request per prompt, with row i of {@code prefix} ([B, P, D], or null) before prompt i: the arguments of
         * {@link TextGeneration#generate(CausalLM, Tensor, List, SamplingConfig, int)} (as RL rollouts pass them).
         */
        public static List<Request> list(Tensor prefix, List<int[]> prompts) {
            if (prefix != null && prefix.size(0) != prompts.size()) {
                throw new IllegalArgumentException("Request.list: prefix has " + prefix.size(0) + " rows for " + prompts.size() + " prompts");
            }
            List<Request> out = new ArrayList<>(prompts.size());
            for (int i = 0; i < prompts.size(); i++) {
                Tensor row = prefix == null ? null : prefix.narrow(0, i, 1).reshape(prefix.size(1), prefix.size(2));
                out.add(new Request(prompts.get(i), row, -1, null, -1));
            }
            return out;
        }

        /** This request drawing from random stream {@code id}. */
        public Request withStream(int id) {
            return new Request(prompt, prefix, maxNewTokens, stopTokens, id);
        }

        int prefixLength() {
            return prefix == null ? 0 : prefix.size(0);
        }

        /** Prefix plus prompt: the positions the request's own tokens take. */
        int length() {
            return prefixLength() + prompt.length;
        }
    }

    /** Continues every request, at most {@code slots} at a time: one result per request, in request order. */
    public static List<Generated> generate(CausalLM model, List<Request> requests, SamplingConfig cfg, int slots) {
        return generate(model, requests, cfg, slots, 1, 0);
    }

    /**
     * {@code groupSize} samples of every request (sample g of request i at i x groupSize + g), each request
     * prefilled once, at most {@code slots} rows in flight.
     *
     * @param capacity entries of the shared cache (0 = twice the longest request's prompt plus new tokens, at most
     *                 the model's context); at least the longest request's prompt plus new tokens minus one
     */
    public static List<Generated> generate(CausalLM model, List<Request> requests, SamplingConfig cfg, int slots, int groupSize,
                                           int capacity) {
        if (slots < 1) throw new IllegalArgumentException("continuous generation: slots must be at least 1, got " + slots);
        if (groupSize < 1) throw new IllegalArgumentException("continuous generation: group size must be at least 1, got " + groupSize);
        if (slots < groupSize) {
            throw new IllegalArgumentException("continuous generation: " + slots + " slots cannot hold a group of " + groupSize);
        }
        if (capacity < 0) throw new IllegalArgumentException("continuous generation: capacity must be >= 0 (0 = default), got " + capacity);
        Scheduler s = new Scheduler(model, requests, cfg, slots, groupSize, capacity);
        try (Autograd.Mode off = Autograd.noGrad(); TransposedWeights rowMajor = TextGeneration.rowMajorWeights(model)) {
            s.run();
        } finally {
            s.close();
        }
        return s.results();
    }

    /** The state of one run: the shared cache, the live rows and what every sample has produced so far. */
    private static final class Scheduler implements AutoCloseable {
        private final CausalLM model;
        private final List<Request> requests;
        private final SamplingConfig cfg;
        private final int groupSize;
        private final int capacity;
        private final Device device;
        /** Per sample: the most new tokens it may produce, its tokens and log-probs, how many so far, whether stopped. */
        private final int[] room;
        private final int[][] tokens;
        private final float[][] logps;
        private final int[] produced;
        private final boolean[] stopped;
        /** Longest request length among requests i.. (the queue's tail), for how far a shift may go. */
        private final int[] longestFrom;
        private final KvCache cache;
        /** Live rows 0 .. live - 1: their sample, the entry their own tokens start at, their last sampled token. */
        private final int[] rowSample;
        private final int[] rowStart;
        private final long[] rowNext;
        private int live;
        private int nextRequest;

        Scheduler(CausalLM model, List<Request> requests, SamplingConfig cfg, int slots, int groupSize, int capacity) {
            this.model = model;
            this.requests = List.copyOf(requests);
            this.cfg = cfg;
            this.groupSize = groupSize;
            this.device = model.device();
            int maxPos = model.config().maxPositions();
            int hidden = model.config().hiddenSize();
            int n = this.requests.size();
            room = new int[n * groupSize];
            longestFrom = new int[n + 1];
            int longestSpan = 1;
            for (int i = n - 1; i >= 0; i--) {
                Request r = this.requests.get(i);
                if (r.prefix() != null && (r.prefix().dim() != 2 || r.prefix().size(1) != hidden)) {
                    throw new IllegalArgumentException("continuous generation: request " + i + "'s prefix must be [P, " + hidden
                            + "], got " + Arrays.toString(r.prefix().shape()));
                }
                int t = r.length();
                if (t == 0) throw new IllegalArgumentException("continuous generation: request " + i + " has an empty prompt and no prefix");
                if (t > maxPos) {
                    throw new IllegalArgumentException("continuous generation: request " + i + "'s prompt has " + t
                            + " tokens, more than the model's context of " + maxPos + " (max_position_embeddings)");
                }
                int asked = r.maxNewTokens() >= 0 ? r.maxNewTokens() : cfg.maxNewTokens();
                // the first new token comes from the prompt's logits, each later one needs a position (as in TextGeneration)
                int fits = Math.min(asked, maxPos - t + 1);
                for (int g = 0; g < groupSize; g++) room[i * groupSize + g] = fits;
                longestSpan = Math.max(longestSpan, t + Math.max(fits, 1) - 1);
                longestFrom[i] = Math.max(longestFrom[i + 1], t);
            }
            if (capacity == 0) {
                this.capacity = Math.min(maxPos, 2 * longestSpan);
            } else {
                if (capacity < longestSpan || capacity > maxPos) {
                    throw new IllegalArgumentException("continuous generation: capacity " + capacity + " must be in [" + longestSpan
                            + ", " + maxPos + "]: the longest request needs " + longestSpan + " positions, the model has " + maxPos);
                }
                this.capacity = capacity;
            }
            tokens = new int[room.length][];
            logps = new float[room.length][];
            for (int s = 0; s < room.length; s++) {
                tokens[s] = new int[room[s]];
                logps[s] = new float[room[s]];
            }
            produced = new int[room.length];
            stopped = new boolean[room.length];
            rowSample = new int[slots];
            rowStart = new int[slots];
            rowNext = new long[slots];
            cache = n == 0 ? null : model.newCache(slots, this.capacity);
        }

        void run() {
            while (true) {
                admit();
                if (live == 0) {
                    if (nextRequest == requests.size()) return;
                    continue;   // every admitted row ended at its first token: admit more
                }
                if (cache.length() == capacity) shift();
                decodeStep();
            }
        }

        /** Fills free slots with waiting requests, a group of them per prefill, while any fits. */
        private void admit() {
            while (nextRequest < requests.size()) {
                skipEmptyRequests();
                if (nextRequest == requests.size()) return;
                if (live == 0) {
                    // nothing in flight: restart the clock where every waiting request fits
                    cache.restartAt(longestFrom[nextRequest]);
                }
                int clock = cache.length();
                int first = nextRequest;
                int end = first;
                int longest = 0;
                while (end < requests.size() && (end - first + 1) * groupSize <= cache.batch() - live
                        && requests.get(end).length() <= clock && room[end * groupSize] > 0) {
                    longest = Math.max(longest, requests.get(end).length());
                    end++;
                }
                if (end == first) return;   // no free slot, or the next request waits for the clock to reach its length
                nextRequest = end;
                prefill(first, end, longest);
            }
        }

        /** Requests that may produce no token need no forward: their (empty) results are final. */
        private void skipEmptyRequests() {
            while (nextRequest < requests.size() && room[nextRequest * groupSize] == 0) nextRequest++;
        }

        /** Prefills requests first .. end - 1 (left-padded to {@code longest}) at the clock and admits their samples. */
        private void prefill(int first, int end, int longest) {
            int k = end - first;
            int rows = k * groupSize;
            int clock = cache.length();
            int at = clock - longest;
            try (Scope s = Scope.open(); KvCache own = model.newCache(k, longest)) {
                own.setPositionOffset(cache.positionOffset() + at);
                float[] mask = new float[k * longest];
                for (int r = 0; r < k; r++) {
                    for (int i = longest - requests.get(first + r).length(); i < longest; i++) mask[r * longest + i] = 1f;
                }
                own.markKeys(Tensor.of(mask, k, longest).to(device));
                Tensor h = model.hidden(embeddings(first, end, longest), own.keyMask(longest), own);
                own.advance(longest);
                Tensor last = h.narrow(1, longest - 1, 1).reshape(k, -1);
                if (groupSize > 1) last = last.indexSelect(0, repeatIndex(k, groupSize));
                int[] samples = new int[rows];
                for (int r = 0; r < rows; r++) samples[r] = first * groupSize + r;
                long[] chosen = sample(model.logits(last), samples, 0);
                for (int r = 0; r < rows; r++) {
                    int sample = samples[r];
                    if (finished(sample)) continue;
                    int row = live++;
                    cache.placeRow(row, own, r / groupSize, at);
                    rowSample[row] = sample;
                    rowStart[row] = clock - requests.get(sample / groupSize).length();
                    rowNext[row] = chosen[r];
                }
            }
        }

        /** [k, longest, D]: each row [pads][prefix][prompt]. */
        private Tensor embeddings(int first, int end, int longest) {
            int k = end - first;
            long[] ids = new long[k * longest];
            boolean prefixes = false;
            for (int r = 0; r < k; r++) {
                Request q = requests.get(first + r);
                int pad = longest - q.prompt().length;
                for (int i = 0; i < q.prompt().length; i++) ids[r * longest + pad + i] = q.prompt()[i];
                prefixes |= q.prefix() != null;
            }
            Tensor embeds = model.embed(Tensor.ofLongs(ids, k, longest).to(device));
            if (!prefixes) return embeds;
            List<Tensor> rows = new ArrayList<>(k);
            for (int r = 0; r < k; r++) {
                Request q = requests.get(first + r);
                Tensor row = embeds.narrow(0, r, 1);
                if (q.prefix() == null) {
                    rows.add(row);
                    continue;
                }
                int p = q.prefixLength();
                int pad = longest - q.length();
                List<Tensor> parts = new ArrayList<>(3);
                if (pad > 0) parts.add(row.narrow(1, 0, pad));
                parts.add(q.prefix().to(embeds.dtype()).reshape(1, p, -1));
                if (q.prompt().length > 0) parts.add(row.narrow(1, longest - q.prompt().length, q.prompt().length));
                rows.add(Tensor.cat(parts, 1));
            }
            return Tensor.cat(rows, 0);
        }

        /** One new token for every live row; rows that end leave the batch. */
        private void decodeStep() {
            try (Scope s = Scope.open()) {
                cache.setActiveRows(live);
                cache.markKeys(Tensor.ones(DType.F32, device, live, 1));
                Tensor ids = Tensor.ofLongs(Arrays.copyOf(rowNext, live), live, 1).to(device);
                Tensor h = model.hidden(model.embed(ids), cache.keyMask(cache.length() + 1), cache);
                cache.advance(1);
                int[] samples = Arrays.copyOf(rowSample, live);
                long[] chosen = sample(model.logits(h.reshape(live, -1)), samples, 1);
                for (int r = 0; r < samples.length; r++) rowNext[r] = chosen[r];
            }
            // drop ended rows from the end down, so a row moved into a freed place has been looked at already
            for (int r = live - 1; r >= 0; r--) {
                if (!finished(rowSample[r])) continue;
                int last = live - 1;
                if (r != last) {
                    cache.moveRow(last, r);
                    rowSample[r] = rowSample[last];
                    rowStart[r] = rowStart[last];
                    rowNext[r] = rowNext[last];
                }
                live--;
            }
        }

        /**
         * Drops the entries before the oldest live row's start (keeping the clock at least as long as the longest
         * waiting request where possible, so it need not wait for the clock to grow back).
         */
        private void shift() {
            int oldest = Integer.MAX_VALUE;
            for (int r = 0; r < live; r++) oldest = Math.min(oldest, rowStart[r]);
            int by = Math.max(1, Math.min(oldest, cache.length() - longestFrom[nextRequest]));
            cache.setActiveRows(live);
            cache.shiftLeft(by);
            for (int r = 0; r < live; r++) rowStart[r] -= by;
        }

        private boolean finished(int sample) {
            return stopped[sample] || produced[sample] >= room[sample];
        }

        /**
         * Draws the next token of the given samples from logits [n, V] and records it with its log-probability;
         * sample s's token j from the Philox stream (seed, s x 2^32 + j). {@code step} only names where for errors
         * (0 = the prefill).
         */
        private long[] sample(Tensor logits, int[] samples, int step) {
            int n = samples.length;
            Tensor lf = logits.to(DType.F32).contiguous();
            Tensor ids = Tensor.empty(DType.I64, lf.device(), n);
            long[] offsets = new long[n];
            for (int r = 0; r < n; r++) offsets[r] = (stream(samples[r]) << 32) | produced[samples[r]];
            lf.backend().sampleTokens(lf, cfg.temperature(), cfg.topK(), cfg.topP(), cfg.seed(), offsets, ids);
            float[] lp = TextGeneration.sampledLogProbs(lf, cfg, ids);
            long[] chosen = ids.toLongArray();
            for (int r = 0; r < n; r++) {
                int s = samples[r];
                if (!Float.isFinite(lp[r])) throw nonFinite(step, s, lp[r]);
                int tok = (int) chosen[r];
                tokens[s][produced[s]] = tok;
                logps[s][produced[s]] = lp[r];
                produced[s]++;
                Set<Integer> stops = requests.get(s / groupSize).stopTokens();
                if ((stops != null ? stops : cfg.stopTokens()).contains(tok)) stopped[s] = true;
            }
            return chosen;
        }

        /** The random stream of a sample: its request's stream (or index) times the group size, plus its place in the group. */
        private long stream(int sample) {
            int request = sample / groupSize;
            int id = requests.get(request).stream();
            return (long) (id >= 0 ? id : request) * groupSize + sample % groupSize;
        }

        private NonFiniteException nonFinite(int step, int sample, float logProb) {
            String where = step == 0 ? "the prefill (new token 1)" : "new token " + (produced[sample] + 1);
            return new NonFiniteException("continuous generation: non-finite logits at " + where + " of sample " + sample
                    + " (the sampled token's log-probability is " + logProb + "): the model's weights or inputs hold NaN or infinity",
                    sample);
        }

        private Tensor repeatIndex(int n, int copies) {
            long[] rows = new long[n * copies];
            for (int r = 0; r < rows.length; r++) rows[r] = r / copies;
            return Tensor.ofLongs(rows, rows.length).to(device);
        }

        List<Generated> results() {
            List<Generated> out = new ArrayList<>(room.length);
            for (int s = 0; s < room.length; s++) {
                out.add(new Generated(Arrays.copyOf(tokens[s], produced[s]), Arrays.copyOf(logps[s], produced[s]), stopped[s]));
            }
            return out;
        }

        @Override
        public void close() {
            if (cache != null) cache.close();
        }
    }
}

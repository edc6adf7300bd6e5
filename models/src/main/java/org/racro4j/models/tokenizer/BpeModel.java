package org.racro4j.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of a byte-level tokenizer: a piece of text becomes its UTF-8 bytes, each byte becomes the token
 * of its byte-level character, and adjacent tokens are merged by merge rank until no listed merge applies.
 *
 * <p>The merge order is Hugging Face's ({@code Word::merge_all}): always the pair with the lowest rank, the
 * leftmost one among equals. Short pieces (nearly all words) rescan an array of pair ranks; long ones (a URL,
 * base64, a run of digits or symbols) use a heap of candidate pairs, so they cost O(n log n) rather than O(n²).
 * Both give the same result. Results for pieces shorter than {@link #CACHE_MAX_LENGTH} are cached, since
 * natural text repeats its words.
 */
final class BpeModel {
    /** Hugging Face caches pieces below 256 bytes; chars are close enough and cheaper to check. */
    static final int CACHE_MAX_LENGTH = 256;
    /** Entries kept; past it new pieces are encoded but not cached (as Hugging Face does with its cache). */
    static final int CACHE_CAPACITY = 100_000;
    /** Up to this many symbols the rank array is rescanned; above it the heap is used. */
    static final int SCAN_LIMIT = 64;

    private final Map<String, Integer> vocab;
    private final MergeTable merges;
    /** The token id of each byte's byte-level character, -1 when the vocabulary lacks it. */
    private final int[] byteIds = new int[256];
    private final Integer unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab        token (byte-level form) → id
     * @param merges       (left id, right id) → (rank, merged id)
     * @param unkId        the id for a byte whose character is not in the vocabulary, or null to drop such bytes
     *                     (what Hugging Face does without an unk_token; the reader refuses such vocabularies, so
     *                     for a loaded file null means that every byte has its token)
     * @param fuseUnk      consecutive unknown bytes give one unk id
     * @param ignoreMerges a piece that is itself a token is that token, whatever the merges would make of it
     */
    BpeModel(Map<String, Integer> vocab, MergeTable merges, Integer unkId, boolean fuseUnk, boolean ignoreMerges) {
        this.vocab = vocab;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.charOf(b)));
            byteIds[b] = id == null ? -1 : id;
        }
    }

    /** Appends the ids of one pre-tokenized piece. */
    void encode(String piece, IntList out) {
        if (piece.isEmpty()) {
            return;
        }
        boolean cacheable = piece.length() < CACHE_MAX_LENGTH;
        if (cacheable) {
            int[] hit = cache.get(piece);
            if (hit != null) {
                out.addAll(hit);
                return;
            }
        }
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        int[] ids = null;
        if (ignoreMerges) {
            Integer whole = vocab.get(ByteLevel.encode(bytes));
            if (whole != null) {
                ids = new int[] {whole};
            }
        }
        if (ids == null) {
            int[] symbols = byteSymbols(bytes);
            ids = symbols.length <= SCAN_LIMIT ? mergeByScan(symbols) : mergeByHeap(symbols);
        }
        if (cacheable && cache.size() < CACHE_CAPACITY) {
            cache.put(piece, ids);
        }
        out.addAll(ids);
    }

    /** The token of each byte; bytes without one become unk (fused if asked) or are dropped. */
    int[] byteSymbols(byte[] bytes) {
        int n = 0;
        int[] symbols = new int[bytes.length];
        boolean lastWasUnk = false;
        for (byte b : bytes) {
            int id = byteIds[b & 0xFF];
            if (id >= 0) {
                symbols[n++] = id;
                lastWasUnk = false;
            } else if (unkId != null) {
                if (!(fuseUnk && lastWasUnk)) {
                    symbols[n++] = unkId;
                }
                lastWasUnk = true;
            }
        }
        return n == symbols.length ? symbols : Arrays.copyOf(symbols, n);
    }

    /** Merging for short pieces: {@code rank[i]} is the rank of the pair (i, i+1), rescanned for the minimum. */
    int[] mergeByScan(int[] input) {
        int[] symbols = input.clone();
        int n = symbols.length;
        long[] pair = new long[Math.max(0, n - 1)];
        for (int i = 0; i + 1 < n; i++) {
            pair[i] = merges.get(symbols[i], symbols[i + 1]);
        }
        while (n > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                if (pair[i] >= 0 && MergeTable.rank(pair[i]) < bestRank) {   // strict: the leftmost of equals
                    bestRank = MergeTable.rank(pair[i]);
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            symbols[best] = MergeTable.mergedId(pair[best]);
            // Drop symbol best+1 and the pair it started; the pairs on both sides of the new symbol change.
            System.arraycopy(symbols, best + 2, symbols, best + 1, n - best - 2);
            System.arraycopy(pair, best + 1, pair, best, n - best - 2);
            n--;
            if (best > 0) {
                pair[best - 1] = merges.get(symbols[best - 1], symbols[best]);
            }
            if (best + 1 < n) {
                pair[best] = merges.get(symbols[best], symbols[best + 1]);
            }
        }
        return Arrays.copyOf(symbols, n);
    }

    /**
     * Merging for long pieces: symbols form a linked list over the array, candidates wait in a heap ordered by
     * (rank, position). A candidate is stale once either of its symbols has changed; the pair at its position
     * then merges with another rank or not at all, which is how it is recognised.
     */
    int[] mergeByHeap(int[] input) {
        int[] symbols = input.clone();
        int n = symbols.length;
        if (n < 2) {
            return symbols;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, merges.get(symbols[i], symbols[i + 1]), i);
        }
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            if (dead[pos] || right < 0) {
                continue;
            }
            long merge = merges.get(symbols[pos], symbols[right]);
            if (merge < 0 || MergeTable.rank(merge) != rank) {
                continue;
            }
            symbols[pos] = MergeTable.mergedId(merge);
            dead[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) {
                prev[next[pos]] = pos;
                offer(queue, merges.get(symbols[pos], symbols[next[pos]]), pos);
            }
            if (prev[pos] >= 0) {
                offer(queue, merges.get(symbols[prev[pos]], symbols[pos]), prev[pos]);
            }
        }
        IntList result = new IntList();
        for (int i = 0; i >= 0; i = next[i]) {   // symbol 0 is never merged away: merges keep the left position
            result.add(symbols[i]);
        }
        return result.toArray();
    }

    private static void offer(PriorityQueue<Long> queue, long merge, int position) {
        if (merge >= 0) {
            queue.add(((long) MergeTable.rank(merge) << 32) | position);
        }
    }
}

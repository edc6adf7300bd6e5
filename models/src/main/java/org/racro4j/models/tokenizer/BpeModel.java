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
 * leftmost one among equals. A heap of candidate pairs keeps this O(n log n) in the piece length, so a long piece
 * without spaces (a URL, base64) costs no more than it must. Results for pieces shorter than
 * {@link #CACHE_MAX_LENGTH} are cached, since natural text repeats its words.
 */
final class BpeModel {
    /** A merge: its rank (position in the merges list) and the id of the merged token. */
    record Merge(int rank, int newId) {}

    /** Hugging Face caches pieces below 256 bytes; chars are close enough and cheaper to check. */
    static final int CACHE_MAX_LENGTH = 256;
    /** Entries kept; past it new pieces are encoded but not cached (as Hugging Face does with its cache). */
    static final int CACHE_CAPACITY = 100_000;

    private final Map<String, Integer> vocab;
    private final Map<Long, Merge> merges;
    /** The token id of each byte's byte-level character, -1 when the vocabulary lacks it. */
    private final int[] byteIds = new int[256];
    private final Integer unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab        token (byte-level form) → id
     * @param merges       {@link #pairKey} of the two token ids → merge
     * @param unkId        the id for a byte whose character is not in the vocabulary, or null to drop such bytes
     *                     (what Hugging Face does without an unk_token)
     * @param fuseUnk      consecutive unknown bytes give one unk id
     * @param ignoreMerges a piece that is itself a token is that token, whatever the merges would make of it
     */
    BpeModel(Map<String, Integer> vocab, Map<Long, Merge> merges, Integer unkId, boolean fuseUnk, boolean ignoreMerges) {
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

    static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
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
            ids = merge(bytes);
        }
        if (cacheable && cache.size() < CACHE_CAPACITY) {
            cache.put(piece, ids);
        }
        out.addAll(ids);
    }

    /** Byte tokens, then merges by rank until none applies. */
    int[] merge(byte[] bytes) {
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
        if (n < 2) {
            return Arrays.copyOf(symbols, n);
        }

        // Symbols form a linked list over the array; a merged-away symbol is marked dead.
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        // Candidates ordered by (rank, position): rank in the high bits, position in the low.
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            Merge m = merges.get(pairKey(symbols[i], symbols[i + 1]));
            if (m != null) {
                queue.add(candidate(m.rank(), i));
            }
        }
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            if (dead[pos] || right < 0) {
                continue;
            }
            // A candidate is stale once either symbol has changed; the pair then maps to another merge or none.
            Merge m = merges.get(pairKey(symbols[pos], symbols[right]));
            if (m == null || m.rank() != rank) {
                continue;
            }
            symbols[pos] = m.newId();
            dead[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) {
                prev[next[pos]] = pos;
            }
            if (prev[pos] >= 0) {
                Merge left = merges.get(pairKey(symbols[prev[pos]], symbols[pos]));
                if (left != null) {
                    queue.add(candidate(left.rank(), prev[pos]));
                }
            }
            if (next[pos] >= 0) {
                Merge after = merges.get(pairKey(symbols[pos], symbols[next[pos]]));
                if (after != null) {
                    queue.add(candidate(after.rank(), pos));
                }
            }
        }
        IntList result = new IntList();
        for (int i = 0; i >= 0; i = next[i]) {
            result.add(symbols[i]);
        }
        return result.toArray();
    }

    private static long candidate(int rank, int position) {
        return ((long) rank << 32) | position;
    }
}

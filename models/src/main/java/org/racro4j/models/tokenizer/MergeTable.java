package org.racro4j.models.tokenizer;

import java.util.Arrays;

/**
 * The BPE merges as a primitive hash table: (left id, right id) → (rank, merged id). It is looked up for every
 * adjacent pair of every new word, so it avoids the boxing a {@code HashMap<Long, ...>} would do per lookup
 * (fastutil's {@code Long2LongOpenHashMap} would serve too; it is not in the offline build's repository).
 * Open addressing with linear probing, at most half full.
 */
final class MergeTable {
    private static final long EMPTY = -1;   // keys are two non-negative ints, so never negative

    private final long[] keys;
    private final long[] values;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        mask = capacity - 1;
        Arrays.fill(keys, EMPTY);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | right;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    /** Adds or replaces the merge of this pair (a later listing of the same pair replaces the earlier one). */
    void put(int left, int right, int rank, int mergedId) {
        if (size * 2 >= keys.length) {
            throw new IllegalStateException("MergeTable sized for fewer merges than were put");
        }
        long key = key(left, right);
        int i = slot(key);
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        if (keys[i] == EMPTY) {
            keys[i] = key;
            size++;
        }
        values[i] = ((long) rank << 32) | mergedId;
    }

    /** The merge of this pair as {@code rank << 32 | mergedId}, or -1 when the pair does not merge. */
    long get(int left, int right) {
        long key = key(left, right);
        int i = slot(key);
        while (true) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    static int rank(long merge) {
        return (int) (merge >>> 32);
    }

    static int mergedId(long merge) {
        return (int) merge;
    }
}

package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Batches against brute force: the stream of items a run sees, read one position at a time (batch size 1), must be
 * the concatenation of the batches, cover every item exactly once per epoch, and shuffle each epoch afresh.
 */
class BatchesTest {
    private static final List<Integer> ITEMS = List.of(10, 11, 12, 13, 14, 15, 16);   // 7 items: batches straddle epochs

    /** The item at stream position {@code pos}, read through a batch of one. */
    private static int at(long pos, long seed) {
        return Batches.batch(ITEMS, 1, pos, seed).get(0);
    }

    @Test
    void batchesAreConsecutiveSlicesOfOneStream() {
        for (int batch : new int[] {3, 5, 7, 11}) {
            for (long step = 0; step < 9; step++) {
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < batch; i++) expected.add(at(step * batch + i, 99));
                assertEquals(expected, Batches.batch(ITEMS, batch, step, 99), "batch " + batch + " step " + step);
            }
        }
    }

    @Test
    void everyEpochShowsEveryItemOnceInAFreshOrder() {
        List<List<Integer>> epochs = new ArrayList<>();
        for (int e = 0; e < 6; e++) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < ITEMS.size(); i++) order.add(at((long) e * ITEMS.size() + i, 5));
            assertEquals(ITEMS, order.stream().sorted().toList(), "epoch " + e + ": " + order);
            epochs.add(order);
        }
        assertTrue(epochs.stream().distinct().count() >= 5, "epochs are reshuffled: " + epochs);
        assertNotEquals(Batches.batch(ITEMS, 7, 0, 5), Batches.batch(ITEMS, 7, 0, 6), "another seed, another order");
    }

    /** Over many seeds, each of the 6 orders of 3 items comes up about equally often (chi-square, 5 degrees of freedom). */
    @Test
    void shufflesAreUniform() {
        List<String> three = List.of("a", "b", "c");
        Map<List<String>, Integer> counts = new HashMap<>();
        int seeds = 6000;
        for (long seed = 0; seed < seeds; seed++) counts.merge(Batches.batch(three, 3, 0, seed), 1, Integer::sum);
        assertEquals(6, counts.size(), counts.toString());
        double chi2 = 0;
        for (int c : counts.values()) chi2 += (c - seeds / 6.0) * (c - seeds / 6.0) / (seeds / 6.0);
        assertTrue(chi2 < 20.5, "chi-square " + chi2 + " (p < 0.001 above 20.5): " + counts);
    }

    @Test
    void stepSeedsDifferByStageAndStep() {
        assertNotEquals(Batches.stepSeed(7, "rl", 3), Batches.stepSeed(7, "rl", 4));
        assertNotEquals(Batches.stepSeed(7, "rl", 3), Batches.stepSeed(7, "reasoner_sft", 3));
        assertNotEquals(Batches.stepSeed(7, "rl", 3), Batches.stepSeed(8, "rl", 3));
        assertEquals(Batches.stepSeed(7, "rl", 3), Batches.stepSeed(7, "rl", 3));
    }
}

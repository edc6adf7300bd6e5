package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Splitting by held-out keys: no training item has a held-out key, every category of the mix keeps held-out items
 * (where skipping the training keys empties the small ones), about one key in n is held out, and the choice depends on
 * the seed and on nothing else.
 */
class HeldOutKeysTest {
    private static final TaskMix MIX = TaskMix.parse("clock_later=1,knight_moves=1,grid_steps=1,maze_steps=1,arrow_turn=1,chart_sum=1");

    @Test
    void trainingNeverHasAHeldOutKeyAndEveryCategoryKeepsHeldOutItems() {
        for (long seed : new long[] {1, 2, 17}) {
            TaskGenerator gen = new TaskGenerator(new TaskGeneratorConfig(seed, 48, MIX));
            HeldOutKeys held = new HeldOutKeys(seed, 5);
            List<TaskItem> train = gen.generateWhere(Split.TRAIN, 3000, t -> !held.isHeldOut(t), "train");
            List<TaskItem> test = gen.generateWhere(Split.TEST, 600, held::isHeldOut, "test");
            Set<String> trainKeys = new HashSet<>();
            train.forEach(t -> trainKeys.add(t.contentKey()));
            for (TaskItem t : test) assertFalse(trainKeys.contains(t.contentKey()), "seed " + seed + ": " + t.id() + " is a training key");
            Map<String, Integer> perCategory = new HashMap<>();
            test.forEach(t -> perCategory.merge(t.category(), 1, Integer::sum));
            for (TaskCategory c : MIX.weights().keySet()) {
                // the mix's share is 100 of 600; a category with few keys may hold out a few more or fewer of them
                assertTrue(perCategory.getOrDefault(c.id(), 0) >= 40, "seed " + seed + ": " + c.id() + " has " + perCategory.get(c.id()));
            }
            // the disjoint split by draws loses the small categories, which is why this exists
            Map<String, Integer> disjoint = new HashMap<>();
            gen.generateDisjoint(Split.TEST, 600, gen.generate(Split.TRAIN, 3000)).forEach(t -> disjoint.merge(t.category(), 1, Integer::sum));
            assertTrue(disjoint.getOrDefault("clock_later", 0) < 10, "clock_later by draws: " + disjoint.get("clock_later"));
        }
    }

    @Test
    void aboutOneKeyInNIsHeldOutAndTheSeedChoosesWhich() {
        List<TaskItem> items = new TaskGenerator(new TaskGeneratorConfig(3, 48, MIX)).generate(Split.TRAIN, 4000);
        Set<String> keys = new HashSet<>();
        items.forEach(t -> keys.add(t.contentKey()));
        HeldOutKeys a = new HeldOutKeys(3, 5);
        HeldOutKeys b = new HeldOutKeys(4, 5);
        int heldA = 0;
        int differ = 0;
        Map<String, Boolean> first = new HashMap<>();
        for (TaskItem t : items) {
            Boolean before = first.putIfAbsent(t.contentKey(), a.isHeldOut(t));
            if (before != null) assertEquals(before, a.isHeldOut(t), "a key's fate is the key's");
        }
        for (var e : first.entrySet()) if (e.getValue()) heldA++;
        for (TaskItem t : items) if (a.isHeldOut(t) != b.isHeldOut(t)) differ++;
        double share = heldA / (double) keys.size();
        assertTrue(share > 0.15 && share < 0.25, "share of keys held out " + share + " of " + keys.size());
        assertTrue(differ > items.size() / 10, "another seed holds out other keys: " + differ);
        assertThrows(IllegalArgumentException.class, () -> new HeldOutKeys(1, 1));
    }
}

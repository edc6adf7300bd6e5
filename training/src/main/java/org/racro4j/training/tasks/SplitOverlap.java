package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Text-level overlap between splits. Two items overlap when their {@link TaskItem#contentKey()} (question
 * and gold description) are equal: a reasoner that memorised one would answer the other. Images are not
 * part of the key: two overlapping items may differ in jitter, and still count as the same item.
 */
public final class SplitOverlap {

    private SplitOverlap() {
    }

    public static Set<String> keysOf(Collection<TaskItem> items) {
        Set<String> keys = new HashSet<>();
        for (TaskItem item : items) {
            keys.add(item.contentKey());
        }
        return keys;
    }

    /** The items whose key is not in {@code excludedKeys}, in their original order. */
    public static List<TaskItem> without(List<TaskItem> items, Set<String> excludedKeys) {
        List<TaskItem> kept = new ArrayList<>();
        for (TaskItem item : items) {
            if (!excludedKeys.contains(item.contentKey())) {
                kept.add(item);
            }
        }
        return kept;
    }

    /** How many of {@code items} have a key that occurs in {@code others}. */
    public static int countOverlapping(Collection<TaskItem> items, Collection<TaskItem> others) {
        Set<String> otherKeys = keysOf(others);
        int overlapping = 0;
        for (TaskItem item : items) {
            if (otherKeys.contains(item.contentKey())) {
                overlapping++;
            }
        }
        return overlapping;
    }
}

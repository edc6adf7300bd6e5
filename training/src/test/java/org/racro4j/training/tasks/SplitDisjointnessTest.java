package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SplitDisjointnessTest {

    @Test
    void splitsDrawFromDifferentSeedStreams() {
        TaskGenerator generator = new TaskGenerator(11);
        Set<Long> trainSeeds = new HashSet<>();
        for (TaskItem item : generator.generate(Split.TRAIN, 2000)) {
            trainSeeds.add(item.seed());
        }
        for (TaskItem item : generator.generate(Split.TEST, 2000)) {
            assertFalse(trainSeeds.contains(item.seed()), "seed shared between train and test: " + item.id());
        }
    }

    @Test
    void independentSamplesOverlapInTextSoTheFilterIsNeeded() {
        TaskGenerator generator = new TaskGenerator(11);
        List<TaskItem> train = generator.generate(Split.TRAIN, 2000);
        List<TaskItem> rawTest = generator.generate(Split.TEST, 500);
        assertTrue(SplitOverlap.countOverlapping(rawTest, train) > 0,
                "expected clock items to repeat across independent samples");
    }

    @Test
    void disjointTestSplitSharesNoKeyWithTrain() {
        TaskGenerator generator = new TaskGenerator(11);
        List<TaskItem> train = generator.generate(Split.TRAIN, 2000);
        List<TaskItem> test = generator.generateDisjoint(Split.TEST, 500, train);
        assertEquals(500, test.size());
        assertEquals(0, SplitOverlap.countOverlapping(test, train));
        Set<String> trainKeys = SplitOverlap.keysOf(train);
        for (TaskItem item : test) {
            assertFalse(trainKeys.contains(item.contentKey()), item.id());
            // items keep the id of their index, and are exactly the unfiltered items at those indices
            long index = Long.parseLong(item.id().substring("test-".length()));
            assertEquals(item.contentKey(), generator.item(Split.TEST, index).contentKey());
        }
        // deterministic
        List<TaskItem> again = generator.generateDisjoint(Split.TEST, 500, train);
        for (int i = 0; i < test.size(); i++) {
            assertEquals(test.get(i).id(), again.get(i).id());
        }
    }

    @Test
    void withoutRemovesExactlyTheOverlappingItems() {
        TaskGenerator generator = new TaskGenerator(12);
        List<TaskItem> train = generator.generate(Split.TRAIN, 1000);
        List<TaskItem> test = generator.generate(Split.TEST, 300);
        List<TaskItem> kept = SplitOverlap.without(test, SplitOverlap.keysOf(train));
        assertEquals(test.size() - SplitOverlap.countOverlapping(test, train), kept.size());
        assertEquals(0, SplitOverlap.countOverlapping(kept, train));
    }

    @Test
    void exhaustedKeySpaceFailsInsteadOfLoopingForever() {
        // clock_hour has 12 texts; a large training set covers them all
        TaskGenerator generator = new TaskGenerator(
                TaskGeneratorConfig.defaults(13).withMix(TaskMix.only(TaskCategory.CLOCK_HOUR)));
        List<TaskItem> train = generator.generate(Split.TRAIN, 500);
        assertEquals(12, SplitOverlap.keysOf(train).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> generator.generateDisjoint(Split.TEST, 5, train));
        assertTrue(e.getMessage().contains("too few distinct questions"), e.getMessage());
    }
}

package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskGeneratorDeterminismTest {

    static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    static void assertSameItem(TaskItem expected, TaskItem actual) {
        assertEquals(expected.id(), actual.id());
        assertEquals(expected.family(), actual.family());
        assertEquals(expected.category(), actual.category());
        assertEquals(expected.question(), actual.question());
        assertEquals(expected.answer(), actual.answer());
        assertEquals(expected.answerType(), actual.answerType());
        assertEquals(expected.goldDescription(), actual.goldDescription());
        assertEquals(expected.facts(), actual.facts());
        assertEquals(expected.neededFacts(), actual.neededFacts());
        assertEquals(expected.seed(), actual.seed());
        assertArrayEquals(pixels(expected.image()), pixels(actual.image()), "images differ for " + expected.id());
    }

    @Test
    void sameSeedGivesIdenticalItemsFromIndependentGenerators() {
        List<TaskItem> first = new TaskGenerator(42).generate(Split.TRAIN, 300);
        List<TaskItem> second = new TaskGenerator(42).generate(Split.TRAIN, 300);
        for (int i = 0; i < first.size(); i++) {
            assertSameItem(first.get(i), second.get(i));
        }
    }

    @Test
    void anItemDoesNotDependOnWhichItemsWereMadeBefore() {
        TaskGenerator generator = new TaskGenerator(7);
        List<TaskItem> batch = generator.generate(Split.TEST, 50);
        TaskGenerator fresh = new TaskGenerator(7);
        for (int i = 49; i >= 0; i -= 7) {
            assertSameItem(batch.get(i), fresh.item(Split.TEST, i));
        }
    }

    @Test
    void differentSeedsGiveDifferentItems() {
        List<TaskItem> a = new TaskGenerator(1).generate(Split.TRAIN, 100);
        List<TaskItem> b = new TaskGenerator(2).generate(Split.TRAIN, 100);
        int sameText = 0;
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).contentKey().equals(b.get(i).contentKey())) {
                sameText++;
            }
        }
        assertTrue(sameText < 10, "too many identical items across seeds: " + sameText);
    }

    @Test
    void differentIndicesGiveDifferentItems() {
        TaskGenerator generator = new TaskGenerator(3);
        Set<Long> seeds = new HashSet<>();
        Set<String> distinct = new HashSet<>();
        int count = 400;
        for (int i = 0; i < count; i++) {
            TaskItem item = generator.item(Split.TRAIN, i);
            assertTrue(seeds.add(item.seed()), "seed repeated at index " + i);
            distinct.add(item.contentKey() + "|" + Arrays.hashCode(pixels(item.image())));
        }
        // Tiny key spaces (12 clock_hour texts) can repeat an item by chance; jitter makes it rare.
        assertTrue(distinct.size() >= count - 8, "only " + distinct.size() + " distinct items of " + count);

        // Consecutive shapes items in particular must differ.
        TaskGenerator shapes = new TaskGenerator(TaskGeneratorConfig.defaults(3).withMix(TaskMix.byFamily(
                java.util.Map.of(TaskFamily.SHAPES, 1.0))));
        for (int i = 0; i < 50; i++) {
            TaskItem a = shapes.item(Split.TRAIN, i);
            TaskItem b = shapes.item(Split.TRAIN, i + 1);
            assertFalse(Arrays.equals(pixels(a.image()), pixels(b.image())), "identical images at " + i);
        }
    }

    @Test
    void imagesHaveTheConfiguredSizeAndType() {
        for (int size : new int[] {32, 48, 96}) {
            TaskGenerator generator = new TaskGenerator(TaskGeneratorConfig.defaults(5).withImageSize(size));
            for (TaskItem item : generator.generate(Split.TRAIN, 40)) {
                assertEquals(size, item.image().getWidth());
                assertEquals(size, item.image().getHeight());
                assertEquals(BufferedImage.TYPE_INT_RGB, item.image().getType());
            }
        }
    }

    @Test
    void idsNameSplitAndIndex() {
        TaskGenerator generator = new TaskGenerator(9);
        assertEquals("validation-17", generator.item(Split.VALIDATION, 17).id());
        assertNotEquals(generator.item(Split.TRAIN, 17).seed(), generator.item(Split.TEST, 17).seed());
    }
}

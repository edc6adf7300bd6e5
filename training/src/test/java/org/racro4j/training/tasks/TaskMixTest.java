package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskMixTest {

    private static Map<TaskCategory, Integer> histogram(TaskMix mix, int count) {
        TaskGenerator generator = new TaskGenerator(TaskGeneratorConfig.defaults(77).withMix(mix));
        Map<TaskCategory, Integer> counts = new EnumMap<>(TaskCategory.class);
        for (TaskItem item : generator.generate(Split.TRAIN, count)) {
            TaskCategory category = TaskCategory.fromId(item.category());
            assertEquals(category.family().id(), item.family());
            counts.merge(category, 1, Integer::sum);
        }
        return counts;
    }

    /** Each category's frequency within 4.5 standard deviations of its weight. */
    private static void assertFollowsWeights(TaskMix mix, int count) {
        Map<TaskCategory, Integer> counts = histogram(mix, count);
        for (TaskCategory category : TaskCategory.values()) {
            double p = mix.probability(category);
            int observed = counts.getOrDefault(category, 0);
            if (p == 0) {
                assertEquals(0, observed, category + " has weight 0");
                continue;
            }
            double sigma = Math.sqrt(count * p * (1 - p));
            assertTrue(Math.abs(observed - count * p) < 4.5 * sigma,
                    category + ": " + observed + " of " + count + ", expected about " + count * p);
        }
    }

    @Test
    void uniformMixGivesEveryCategoryEqually() {
        assertFollowsWeights(TaskMix.uniform(), 6000);
    }

    @Test
    void unevenWeightsAreFollowed() {
        assertFollowsWeights(TaskMix.parse("count_color=3,clock_hour=1,grid_steps=2,chart_sum=4"), 6000);
    }

    @Test
    void familyWeightsAreSpreadOverTheirCategories() {
        TaskMix mix = TaskMix.byFamily(Map.of(TaskFamily.SHAPES, 2.0, TaskFamily.CLOCK, 2.0));
        assertEquals(1.0 / 12, mix.probability(TaskCategory.SPATIAL), 1e-12);
        assertEquals(0.25, mix.probability(TaskCategory.CLOCK_LATER), 1e-12);
        assertEquals(0, mix.probability(TaskCategory.GRID_STEPS));
        assertFollowsWeights(mix, 4000);
        assertEquals(mix, TaskMix.parse("shapes=2, clock=2"));
    }

    @Test
    void badMixesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_colour=1"));
        assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_color"));
        assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_color=-1"));
        assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_color=0"));
        assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_color=NaN"));
    }

    /** A mix is read as written: a name given twice, an empty entry or a weight Java would also read ("2d") is refused. */
    @Test
    void aMixNamesEachCategoryOnceWithPlainNumbers() {
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_color=1,count_color=2"));
        assertEquals("count_color is named twice in \"count_color=1,count_color=2\"", twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("clock=1, clock=1"));
        assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_color=1,"));
        assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_color=2d"));
        assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_color=1=2"));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("count_colour=1"));
        assertTrue(unknown.getMessage().startsWith("unknown task category or family 'count_colour'; categories: count_color, "), unknown.getMessage());
        assertTrue(unknown.getMessage().endsWith("; families: shapes, bar_chart, clock, grid_path, maze, knight, arrow"), unknown.getMessage());
        // a family and one of its own categories are different names: their weights add up, as documented
        assertEquals(1.0 / 6 + 1, TaskMix.parse("shapes=1,count_color=1").weights().get(TaskCategory.COUNT_COLOR), 1e-12);
        assertEquals(TaskMix.parse("count_color=0.5, clock_hour=1e1"), TaskMix.parse("count_color=.5,clock_hour=10"));
    }

    @Test
    void categoryAtCoversTheUnitInterval() {
        TaskMix mix = TaskMix.only(TaskCategory.CHART_VALUE, TaskCategory.GRID_STEPS);
        assertEquals(TaskCategory.CHART_VALUE, mix.categoryAt(0.0));
        assertEquals(TaskCategory.CHART_VALUE, mix.categoryAt(0.4999));
        assertEquals(TaskCategory.GRID_STEPS, mix.categoryAt(0.5));
        assertEquals(TaskCategory.GRID_STEPS, mix.categoryAt(Math.nextDown(1.0)));
        assertEquals(List.of(TaskCategory.CLOCK_HOUR, TaskCategory.CLOCK_LATER), TaskCategory.of(TaskFamily.CLOCK));
    }
}

package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * Generates the built-in visual tasks procedurally: shapes scenes, bar charts, clocks, grid paths,
 * mazes, knight moves and arrows.
 *
 * <p><b>Determinism.</b> {@code item(split, index)} depends only on (config seed, image size, mix, split,
 * index): the item's own generator is a {@link SplittableRandom} seeded with a seed derived from those, so
 * items can be made in any order, in parallel, or again later, and come out pixel- and text-identical.
 *
 * <p><b>Split disjointness.</b> Each split draws its item seeds from its own stream (a fixed salt per
 * split), so the splits are independent samples. Independent samples still repeat items wherever the space
 * of texts is small (there are only 12 clock_hour items), so {@link #generateDisjoint} additionally skips
 * every item whose (question, gold description) key occurs in a given set of items. Its guarantee: no
 * returned item has the same question and the same gold description as any item of that set. What it does
 * not guarantee: that the images differ from train images of other keys, that items within one split are
 * distinct, or that the category mix is kept: a category whose whole key space is covered by the training
 * items (clock_hour after a few hundred training items) disappears from the filtered split.
 */
public final class TaskGenerator {

    /** How many consecutive indices {@link #generateDisjoint} may skip per returned item before giving up. */
    static final int MAX_SKIPS_PER_ITEM = 100;

    private final TaskGeneratorConfig config;
    private final Map<TaskFamily, FamilyTasks> families = new EnumMap<>(TaskFamily.class);

    public TaskGenerator(TaskGeneratorConfig config) {
        this.config = config;
        families.put(TaskFamily.SHAPES, new ShapeSceneTasks());
        families.put(TaskFamily.BAR_CHART, new BarChartTasks());
        families.put(TaskFamily.CLOCK, new ClockTasks());
        families.put(TaskFamily.GRID_PATH, new GridPathTasks());
        families.put(TaskFamily.MAZE, new MazeTasks());
        families.put(TaskFamily.KNIGHT, new KnightTasks());
        families.put(TaskFamily.ARROW, new ArrowTasks());
    }

    public TaskGenerator(long seed) {
        this(TaskGeneratorConfig.defaults(seed));
    }

    public TaskGeneratorConfig config() {
        return config;
    }

    /** The item at {@code index} of {@code split}; its id is e.g. "train-42". */
    public TaskItem item(Split split, long index) {
        if (index < 0) {
            throw new IllegalArgumentException("index must be >= 0: " + index);
        }
        long seed = Seeds.itemSeed(Seeds.splitSeed(config.seed(), split), index);
        SplittableRandom random = new SplittableRandom(seed);
        TaskCategory category = config.mix().categoryAt(random.nextDouble());
        TaskContent content = families.get(category.family()).generate(category, random, config.imageSize());
        TaskQuestion question = content.question();
        return new TaskItem(split.id() + "-" + index, category.family().id(), category.id(), content.image(),
                question.text(), question.answer(), question.answerType(), List.of(),
                String.join(" ", content.facts()), content.facts(), question.neededFacts(), seed);
    }

    /** Items 0..count-1 of {@code split}. */
    public List<TaskItem> generate(Split split, int count) {
        List<TaskItem> items = new ArrayList<>(count);
        for (int index = 0; index < count; index++) {
            items.add(item(split, index));
        }
        return items;
    }

    /**
     * {@code count} items of {@code split} none of which shares its (question, gold description) key with
     * any of {@code excluded} (typically the training items): indices 0, 1, 2, … are generated in order
     * and overlapping ones skipped, so the result is deterministic and each item keeps the id of its index.
     *
     * @throws IllegalArgumentException if the mix's key space is nearly exhausted by {@code excluded}, so that
     *                                  {@code count} items are not found within {@code 100·count} indices (a request
     *                                  for more items than the mix can give: a user error, reported in one line)
     */
    public List<TaskItem> generateDisjoint(Split split, int count, Collection<TaskItem> excluded) {
        return generateExcluding(split, count, SplitOverlap.keysOf(excluded));
    }

    /** As {@link #generateDisjoint}, with the excluded keys ({@link TaskItem#contentKey()}) given directly. */
    public List<TaskItem> generateExcluding(Split split, int count, Set<String> excludedKeys) {
        return generateWhere(split, count, item -> !excludedKeys.contains(item.contentKey()), "outside the excluded set");
    }

    /**
     * {@code count} items of {@code split} that {@code keep} accepts: indices 0, 1, 2, … in order, the others skipped,
     * each item keeping the id of its index.
     *
     * @param what what the kept items are, for the error when too few are found
     * @throws IllegalArgumentException if {@code count} items are not found within {@code 100·count} indices
     */
    public List<TaskItem> generateWhere(Split split, int count, Predicate<TaskItem> keep, String what) {
        List<TaskItem> items = new ArrayList<>(count);
        long limit = (long) MAX_SKIPS_PER_ITEM * Math.max(count, 1);
        for (long index = 0; items.size() < count; index++) {
            if (index >= limit) {
                throw new IllegalArgumentException("found only " + items.size() + " of " + count + " " + split.id()
                        + " items " + what + " within " + limit + " indices: the task mix has too few distinct"
                        + " questions; ask for fewer items or a broader mix");
            }
            TaskItem item = item(split, index);
            if (keep.test(item)) {
                items.add(item);
            }
        }
        return items;
    }
}

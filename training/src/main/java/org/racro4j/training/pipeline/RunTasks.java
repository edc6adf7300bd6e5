package org.racro4j.training.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

import org.racro4j.training.tasks.HeldOutKeys;
import org.racro4j.training.tasks.JsonlTasks;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskGeneratorConfig;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.tasks.TaskMix;

/**
 * The task items of a run, made from its config exactly as the pipeline makes them. Kept in one place so that
 * `racro4j eval` regenerates the very held-out split a run was evaluated on (items depend only on seed, image
 * size, mix, split and index; the test split skips items that share their text with a training item).
 */
public record RunTasks(List<TaskItem> train, List<TaskItem> test) {

    /** The run's training items and its {@code tasks.test_items} held-out items. */
    public static RunTasks of(RunConfig cfg) {
        return of(cfg, cfg.tasks().testItems());
    }

    /**
     * The run's training items and {@code testItems} held-out items. Held-out items come in a fixed order, so
     * fewer than the run used are a prefix of its test split, and more extend it with further unseen items.
     */
    public static RunTasks of(RunConfig cfg, int testItems) {
        if (testItems < 1) throw new IllegalArgumentException("the number of test items must be >= 1, got " + testItems);
        if (cfg.tasks().fromJsonl()) {
            return new RunTasks(jsonl(Path.of(cfg.tasks().trainJsonl()), cfg.tasks().trainItems(), cfg),
                    jsonl(Path.of(cfg.tasks().testJsonl()), testItems, cfg));
        }
        TaskGenerator gen = new TaskGenerator(new TaskGeneratorConfig(cfg.seed(), cfg.tasks().imageSize(), mix(cfg)));
        List<TaskItem> train = gen.generate(Split.TRAIN, cfg.tasks().trainItems());
        return new RunTasks(train, gen.generateDisjoint(Split.TEST, testItems, train));
    }

    /**
     * The run's items split by question ({@link HeldOutKeys}): training items whose keys are not held out, and
     * {@code tasks.test_items} held-out items whose keys are, one key in {@code oneIn} held out.
     */
    public static RunTasks heldOutKeys(RunConfig cfg, int oneIn) {
        TaskGenerator gen = new TaskGenerator(new TaskGeneratorConfig(cfg.seed(), cfg.tasks().imageSize(), mix(cfg)));
        HeldOutKeys held = new HeldOutKeys(cfg.seed(), oneIn);
        return new RunTasks(gen.generateWhere(Split.TRAIN, cfg.tasks().trainItems(), t -> !held.isHeldOut(t), "with keys not held out"),
                gen.generateWhere(Split.TEST, cfg.tasks().testItems(), held::isHeldOut, "with held-out keys"));
    }

    /** The first {@code max} items of a dataset's JSONL file (strict: a bad line is an error naming file and line). */
    private static List<TaskItem> jsonl(Path file, int max, RunConfig cfg) {
        List<TaskItem> items;
        try {
            items = JsonlTasks.load(file, JsonlTasks.Mode.STRICT, cfg.tasks().imageSize()).items();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        if (items.isEmpty()) throw new IllegalArgumentException(file + ": no items");
        return List.copyOf(items.subList(0, Math.min(max, items.size())));
    }

    static TaskMix mix(RunConfig cfg) {
        return cfg.tasks().taskMix();
    }
}

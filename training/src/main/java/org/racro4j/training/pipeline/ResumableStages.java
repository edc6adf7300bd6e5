package org.racro4j.training.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The stages of one run folder as --resume sees them. A stage runs unless stages.json marks it done and the model
 * that proves it finished is in models/ (a mark without its model runs the stage again); a stage that runs is timed
 * into the caller's seconds and marked done after its work, which saves that model, has returned.
 *
 * <p>Two stages of a folder may run at the same time (see {@link SideBySide}): the marks, the seconds and the
 * {@code onMark} callback are updated under this object's lock.
 */
final class ResumableStages {
    /** A stage's work: train, then save the model that proves it finished. */
    interface Work {
        void run() throws IOException;
    }

    private final Path file;
    private final List<String> done;
    private final ModelStore models;
    private final Map<String, Double> seconds;
    private final Consumer<String> say;
    private final Consumer<String> onMark;

    private ResumableStages(Path file, List<String> done, ModelStore models, Map<String, Double> seconds, Consumer<String> say,
                            Consumer<String> onMark) {
        this.file = file;
        this.done = done;
        this.models = models;
        this.seconds = seconds;
        this.say = say;
        this.onMark = onMark;
    }

    /**
     * The stages of {@code folder} among {@code names} that are marked done (its stages.json); each stage run from here
     * on records its seconds into {@code seconds}, says "done earlier" through {@code say} when it is skipped, and
     * calls {@code onMark} with its name once it is marked done.
     */
    static ResumableStages read(Path folder, List<String> names, ModelStore models, Map<String, Double> seconds, Consumer<String> say,
                                Consumer<String> onMark) throws IOException {
        Path file = folder.resolve("stages.json");
        return new ResumableStages(file, StageMarks.read(file, names), models, seconds, say, onMark);
    }

    /** The stages marked done, in the order they were. */
    synchronized List<String> done() {
        return List.copyOf(done);
    }

    synchronized boolean isMarked(String stage) {
        return done.contains(stage);
    }

    /** Whether {@code stage} finished earlier: it is marked done and its {@code model} is there. */
    synchronized boolean finishedEarlier(String stage, String model) {
        return done.contains(stage) && models.has(model);
    }

    /** Whether {@code stage} finished earlier, which it then says: the stage is to be skipped. */
    boolean skip(String stage, String model) {
        if (!finishedEarlier(stage, model)) return false;
        say.accept(stage + ": done earlier (models/" + model + ")");
        return true;
    }

    /** Runs {@code work} as {@code stage}, timed and then marked done; unless it finished earlier, which it says. */
    void run(String stage, String model, Work work) throws IOException {
        if (skip(stage, model)) return;
        long start = System.nanoTime();
        work.run();
        finish(stage, start);
    }

    /**
     * A stage that began at {@code startNanos} (System.nanoTime) has ended: its seconds, then its mark. For a stage
     * that does not fit {@link #run}: an evaluation, which nothing skips, or a stage that ends inside another one.
     */
    synchronized void finish(String stage, long startNanos) throws IOException {
        seconds.put(stage, (System.nanoTime() - startNanos) / 1e9);
        mark(stage);
    }

    /** Marks {@code stage} done in stages.json (once) and tells {@code onMark}. */
    synchronized void mark(String stage) throws IOException {
        StageMarks.add(file, done, stage);
        onMark.accept(stage);
    }
}

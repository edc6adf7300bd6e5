package org.racro4j.training.pipeline;

import java.io.IOException;
import java.util.Map;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.training.run.Checkpoints;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.run.Progress;

/**
 * Runs a stage's steps with metrics, a progress bar, and checkpoints (model, optimizer moments and step count)
 * every {@code checkpointEvery} steps. On resume it reloads the stage's newest readable checkpoint (a damaged newest
 * one is skipped with a warning) and continues with the next step; because batches and seeds are functions of the
 * step number, the continuation is the same computation an uninterrupted run does. Only once the checkpoint has
 * loaded are the stage's metrics past it dropped, so a resume that fails leaves metrics.jsonl as it was. Stages may
 * run at the same time on one runner: if one fails, {@link #abort} makes the others stop at their next step (each
 * keeps its last checkpoint).
 */
public final class StageRunner {
    private final MetricsLog metrics;
    private final Checkpoints checkpoints;
    private final int logEvery;
    private final int checkpointEvery;
    private final Consumer<String> warn;
    private volatile String abortedBecause;

    /** {@code warn} receives one line for each damaged checkpoint skipped. */
    public StageRunner(MetricsLog metrics, Checkpoints checkpoints, int logEvery, int checkpointEvery, Consumer<String> warn) {
        this.metrics = metrics;
        this.checkpoints = checkpoints;
        this.logEvery = logEvery;
        this.checkpointEvery = checkpointEvery;
        this.warn = warn;
    }

    /** Thrown by a test hook to simulate a run killed after a given step, and by stages stopped by {@link #abort}. */
    public static final class Interrupted extends RuntimeException {
        public Interrupted(String message) {
            super(message);
        }
    }

    /** For tests: the stage named here stops (as if the run were killed) right after completing this step. */
    static volatile String stopStage;
    static volatile long stopStep = -1;

    /** Stops every stage of this runner at its next step boundary, saying why. */
    public void abort(String reason) {
        abortedBecause = reason;
    }

    /**
     * Runs the stage to its end, from its checkpoint if it has one. {@code alongside}: other stages run at the same
     * time, so progress is printed as lines (two bars cannot redraw one terminal line).
     */
    public void run(Stage stage, boolean alongside) throws IOException {
        long restored = checkpoints.restore(stage.name(), c -> restore(stage, c), warn);
        metrics.dropAfter(stage.name(), restored);
        int start = (int) restored + 1;
        try (Progress progress = new Progress(stage.name(), stage.steps(), !alongside)) {
            progress.step(start, start > 0 ? "resumed" : null);
            for (int s = start; s < stage.steps(); s++) {
                String abort = abortedBecause;
                if (abort != null) throw new Interrupted(stage.name() + " stopped before step " + s + ": " + abort);
                Map<String, Object> m = stage.step(s);
                if (s % logEvery == 0 || s == stage.steps() - 1) metrics.log(stage.name(), s, m);
                boolean last = s == stage.steps() - 1;
                if ((s + 1) % checkpointEvery == 0 || last) save(stage, s);
                progress.step(1, stage.summary(m));
                if (stage.name().equals(stopStage) && s == stopStep) {
                    throw new Interrupted("stopped after " + stage.name() + " step " + s + " (test hook)");
                }
            }
        }
    }

    private static void restore(Stage stage, Checkpoints.Loaded c) throws IOException {
        JsonNode steps = c.state().get("optimizer_steps");
        if (steps == null || !steps.isIntegralNumber() || steps.asLong() < 0) {
            throw new IOException(c.dir().resolve("state.json") + ": \"optimizer_steps\" must be a whole number >= 0, got " + steps);
        }
        stage.model().loadStateDict(c.model(), true);
        stage.optimizer().loadStateDict(c.optimizer(), steps.asLong());
    }

    private void save(Stage stage, int step) throws IOException {
        ObjectNode state = new ObjectMapper().createObjectNode();
        state.put("optimizer_steps", stage.optimizer().stepCount());
        state.put("data_position", "batches are a function of the step number; the next step is " + (step + 1));
        checkpoints.save(stage.name(), step, stage.model().stateDict(), stage.optimizer().stateDict(), state);
    }

    static void resetTestHook() {
        stopStage = null;
        stopStep = -1;
    }
}

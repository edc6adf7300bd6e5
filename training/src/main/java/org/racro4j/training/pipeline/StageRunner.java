package org.racro4j.training.pipeline;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.Tensor;
import org.racro4j.training.run.Checkpoints;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.run.Progress;

/**
 * Runs a stage's steps with metrics, a progress bar, and checkpoints (model, optimizer moments and step count)
 * every {@code checkpointEvery} steps. On resume it reloads the stage's latest checkpoint and continues with the
 * next step; because batches and seeds are functions of the step number, the continuation is the same
 * computation an uninterrupted run does.
 */
public final class StageRunner {
    private final MetricsLog metrics;
    private final Checkpoints checkpoints;
    private final int logEvery;
    private final int checkpointEvery;

    public StageRunner(MetricsLog metrics, Checkpoints checkpoints, int logEvery, int checkpointEvery) {
        this.metrics = metrics;
        this.checkpoints = checkpoints;
        this.logEvery = logEvery;
        this.checkpointEvery = checkpointEvery;
    }

    /** Thrown by a test hook to simulate a run killed after a given step. */
    public static final class Interrupted extends RuntimeException {
        public Interrupted(String message) {
            super(message);
        }
    }

    /** For tests: stop (as if killed) right after this global count of completed steps; -1 = never. */
    static volatile long stopAfterSteps = -1;
    private static long completedSteps;

    public void run(Stage stage) throws IOException {
        int start = 0;
        Optional<Checkpoints.Loaded> ck = checkpoints.latest();
        if (ck.isPresent() && ck.get().stage().equals(stage.name())) {
            Checkpoints.Loaded c = ck.get();
            Map<String, Tensor> model = c.model();
            Map<String, Tensor> opt = c.optimizer();
            try {
                stage.model().loadStateDict(model, true);
                stage.optimizer().loadStateDict(opt, c.state().path("optimizer_steps").asLong());
            } finally {
                model.values().forEach(Tensor::close);
                opt.values().forEach(Tensor::close);
            }
            start = (int) c.step() + 1;
        }
        try (Progress progress = new Progress(stage.name(), stage.steps())) {
            progress.step(start, start > 0 ? "resumed" : null);
            for (int s = start; s < stage.steps(); s++) {
                Map<String, Object> m = stage.step(s);
                if (s % logEvery == 0 || s == stage.steps() - 1) metrics.log(stage.name(), s, m);
                boolean last = s == stage.steps() - 1;
                if ((s + 1) % checkpointEvery == 0 || last) save(stage, s);
                progress.step(1, stage.summary(m));
                completedSteps++;
                if (stopAfterSteps >= 0 && completedSteps >= stopAfterSteps) {
                    throw new Interrupted("stopped after " + completedSteps + " steps (test hook)");
                }
            }
        }
    }

    private void save(Stage stage, int step) throws IOException {
        ObjectNode state = new ObjectMapper().createObjectNode();
        state.put("optimizer_steps", stage.optimizer().stepCount());
        state.put("data_position", "batches are a function of the step number; the next step is " + (step + 1));
        checkpoints.save(stage.name(), step, stage.model().stateDict(), stage.optimizer().stateDict(), state);
    }

    static void resetTestHook() {
        stopAfterSteps = -1;
        completedSteps = 0;
    }
}

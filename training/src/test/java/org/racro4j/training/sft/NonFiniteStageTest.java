package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Module;
import org.racro4j.core.optim.AdamW;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.training.pipeline.NonFiniteSteps;
import org.racro4j.training.pipeline.Stage;
import org.racro4j.training.pipeline.StageRunner;
import org.racro4j.training.run.Checkpoints;
import org.racro4j.training.run.MetricsLog;

/**
 * A stage run by the StageRunner whose inputs turn NaN from step 3 on (a broken data source: the embeddings put before
 * each context are NaN). Steps 3 to 6 are skipped and logged with {@code skipped_nonfinite}, step 7 (the fifth in a
 * row) stops the run with the stage's message, and the last checkpoint written (step 5, every 2 steps) holds the
 * weights and optimizer state of the last good step, 2: finite, and equal to the model's.
 */
class NonFiniteStageTest {
    private static final int VOCAB = 37;

    @TempDir
    Path run;

    /** Supervised steps of a tiny decoder on a fixed batch, after a one-position prefix that is NaN from step 3 on. */
    static final class BrokenInputStage implements Stage {
        final CausalLM lm = TinyModels.decoder(VOCAB, true, 40, 81);
        final AdamW opt = AdamW.forTransformer(lm.parameters(), 1e-2f, 0.01f, 0.9f, 0.95f, 1e-8f);
        final NonFiniteSteps nonFinite = new NonFiniteSteps(name());
        final List<int[]> contexts;
        final List<int[]> targets;

        BrokenInputStage() {
            SplittableRandom r = new SplittableRandom(82);
            contexts = List.of(TinyModels.ids(r, 4, 3, VOCAB), TinyModels.ids(r, 6, 3, VOCAB));
            targets = List.of(TinyModels.ids(r, 3, 3, VOCAB), TinyModels.ids(r, 2, 3, VOCAB));
        }

        @Override
        public String name() {
            return "broken_input";
        }

        @Override
        public int steps() {
            return 10;
        }

        @Override
        public Module model() {
            return lm;
        }

        @Override
        public AdamW optimizer() {
            return opt;
        }

        @Override
        public Map<String, Object> step(int step) {
            return SftSteps.step(nonFinite, step, () -> {
                Tensor prefix;
                try (Autograd.Mode off = Autograd.noGrad()) {
                    prefix = lm.embed(Tensor.ofLongs(new long[] {5, 6}, 2, 1));
                    if (step >= 3) prefix = prefix.mul(Float.NaN);
                }
                return TeacherForcing.score(lm, prefix, contexts, targets, 1f, false);
            }, lm.parameters(), opt, 1e-2f, System.nanoTime());
        }
    }

    @Test
    void theStageStopsAtTheFifthSkippedStepAndItsLastCheckpointHoldsTheLastGoodStep() throws IOException {
        BrokenInputStage stage = new BrokenInputStage();
        Checkpoints checkpoints = new Checkpoints(run);
        Path metrics = run.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(metrics)) {
            StageRunner runner = new StageRunner(log, checkpoints, 1, 2, w -> {});
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> runner.run(stage, false));
            assertEquals("broken_input step 7: stopped after 5 steps in a row whose every update was skipped because the loss or gradient "
                    + "norm was not finite (last: the loss is NaN (the log-probability of target token 0 of row 0 is NaN)); the "
                    + "checkpoints written before are kept and hold the weights of the last good step; check the learning rate and look "
                    + "for NaN or infinite weights or inputs", e.getMessage());
        }
        List<JsonNode> lines = MetricsLog.read(metrics);
        assertEquals(7, lines.size(), "steps 0 to 6 were logged; step 7 failed");
        for (JsonNode l : lines) assertEquals(l.path("step").asInt() >= 3 ? 1 : 0, l.path("skipped_nonfinite").asInt(), l.toString());

        Checkpoints.Loaded last = checkpoints.latest(stage.name()).orElseThrow();
        assertEquals(5, last.step());
        assertEquals(3, last.state().path("optimizer_steps").asLong(), "steps 0, 1 and 2 updated the model");
        Map<String, Tensor> saved = last.model();
        try (Scope s = Scope.open()) {
            for (var p : stage.lm.stateDict().entrySet()) {
                float[] w = saved.get(p.getKey()).toFloatArray();
                for (float x : w) assertTrue(Float.isFinite(x), p.getKey());
                assertArrayEquals(p.getValue().toFloatArray(), w, 0f, p.getKey());
            }
        } finally {
            saved.values().forEach(Tensor::close);
        }
        stage.lm.close();
    }
}

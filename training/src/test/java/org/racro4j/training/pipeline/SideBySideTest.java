package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.nn.Module;
import org.racro4j.core.optim.AdamW;
import org.racro4j.training.run.Checkpoints;
import org.racro4j.training.run.MetricsLog;

class SideBySideTest {
    @TempDir
    Path tmp;

    /**
     * The first part runs a stage that only ends when stopped; the second fails (a full disk). The first stops at its
     * next step, and what comes back is the second's failure, as it was thrown, not the first's being stopped.
     */
    @Test
    void theFailureThatStoppedBothIsTheOneRethrown() throws IOException {
        CountDownLatch started = new CountDownLatch(1);
        Stage endless = new Stage() {
            public String name() {
                return "endless";
            }

            public int steps() {
                return Integer.MAX_VALUE;
            }

            public Module model() {
                throw new AssertionError("no checkpoint is taken");
            }

            public AdamW optimizer() {
                throw new AssertionError("no checkpoint is taken");
            }

            public Map<String, Object> step(int step) {
                started.countDown();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Map.of();
            }
        };
        IOException diskFull = new IOException("cannot write checkpoints/rl-000004.tmp/model.safetensors: No space left on device");
        try (MetricsLog metrics = new MetricsLog(tmp.resolve("metrics.jsonl"))) {
            StageRunner runner = new StageRunner(metrics, new Checkpoints(tmp), Integer.MAX_VALUE, Integer.MAX_VALUE, w -> {});
            IOException e = assertThrows(IOException.class, () -> SideBySide.run(true, runner, () -> runner.run(endless, true), () -> {
                try {
                    started.await();
                } catch (InterruptedException interrupted) {
                    throw new AssertionError(interrupted);
                }
                throw diskFull;
            }));
            assertSame(diskFull, e);
            assertEquals(1, e.getSuppressed().length);
            assertTrue(e.getSuppressed()[0] instanceof StageRunner.Interrupted, e.getSuppressed()[0].toString());
        }
    }
}

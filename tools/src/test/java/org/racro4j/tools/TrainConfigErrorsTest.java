package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config whose settings cannot work together is refused by `train` as one line with exit code 2 before the run
 * folder exists: the patch size that does not divide the image size used to fail in the captioner's stage, after the
 * folder, its config.yaml and the reasoner's first steps.
 */
class TrainConfigErrorsTest {
    @TempDir
    Path tmp;

    private void refused(String yaml, String message) throws IOException {
        Path cfg = tmp.resolve("c.yaml");
        Files.writeString(cfg, yaml);
        Path out = tmp.resolve("run");
        CommandLineTest.Run r = CommandLineTest.run("train", "--config", cfg.toString(), "--out", out.toString());
        assertEquals(2, r.exit(), r.err());
        assertEquals("racro4j train: " + cfg + ": " + message + System.lineSeparator(), r.err());
        assertFalse(Files.exists(out), "no run folder");
    }

    @Test
    void impossibleConfigsAreRefusedBeforeTheRunFolderExists() throws IOException {
        refused("captioner:\n  vision: {patch_size: 10}\n", "captioner.vision.patch_size (10) must divide tasks.image_size (48)");
        refused("rl: {steps: 3, steps: 7}\n", "duplicate key rl.steps (line 1)");
        refused("rl:\n  steps: 8.5\n", "rl.steps must be a whole number, got 8.5");
        refused("tasks:\n  mix: \"count_color=1,count_color=2\"\n", "tasks.mix: count_color is named twice in \"count_color=1,count_color=2\"");
    }
}

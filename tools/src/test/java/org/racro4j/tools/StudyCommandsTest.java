package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The studies' command lines refuse what they cannot do with one line, before the study folder is touched: an unknown
 * reward design, a settings file with --resume (the study's own is used), nothing to resume.
 */
class StudyCommandsTest {
    @TempDir
    Path tmp;

    private static void oneLineError(CommandLineTest.Run r, String expected) {
        assertTrue(r.exit() != 0, "exit code " + r.exit());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains(expected), err);
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void anUnknownDesignIsRefusedNamingTheDesigns() {
        Path out = tmp.resolve("study");
        oneLineError(CommandLineTest.run("study", "rewards", "--out", out.toString(), "--designs", "mixture,guessing"),
                "no design named 'guessing'; the designs are only_accuracy, vanilla, mixture, caption_utility, perception_verified, evidence_utility");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void resumeTakesNoSettingsFileAndNeedsAStudy() throws Exception {
        Path yaml = Files.writeString(tmp.resolve("x.yaml"), "seed: 3\n");
        for (String study : new String[] {"prco", "rewards"}) {
            oneLineError(CommandLineTest.run("study", study, "--out", tmp.resolve("s").toString(), "--resume", "--config", yaml.toString()),
                    "--resume uses the study's own config.yaml; drop --config");
            oneLineError(CommandLineTest.run("study", study, "--out", tmp.resolve("none").toString(), "--resume"), "nothing to resume");
        }
    }
}

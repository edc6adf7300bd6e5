package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path tmp;

    private IOException error(String yaml) throws IOException {
        Path f = tmp.resolve("c.yaml");
        Files.writeString(f, yaml);
        return assertThrows(IOException.class, () -> ConfigLoader.load(f));
    }

    @Test
    void defaultsAreTheDemoAndAFileOverridesOnlyWhatItNames() throws IOException {
        RunConfig d = ConfigLoader.load(null);
        assertEquals("racro", d.rl().algorithm());
        assertEquals(8, d.rl().groupSize());
        Path f = tmp.resolve("c.yaml");
        Files.writeString(f, "rl:\n  steps: 7\n  rewards: {caption_utility: 1.0, format: 0.5}\nswap_reasoner: null\n");
        RunConfig c = ConfigLoader.load(f);
        assertEquals(7, c.rl().steps());
        assertEquals(d.rl().promptsPerStep(), c.rl().promptsPerStep(), "untouched keys keep their defaults");
        assertEquals(0.5, c.rl().rewards().get("format"));
        assertEquals(2, c.rl().rewards().size(), "a reward map is replaced, not merged");
        assertNull(c.swapReasoner());
        // the resolved config written into a run folder reads back to the same values
        Path saved = tmp.resolve("saved.yaml");
        Files.writeString(saved, ConfigLoader.toYaml(c));
        assertEquals(c.toString(), ConfigLoader.load(saved).toString());
    }

    @Test
    void unknownKeysAreNamedWithTheKnownOnes() throws IOException {
        IOException e = error("rl:\n  stepz: 10\n");
        assertTrue(e.getMessage().contains("unknown key 'rl.stepz'") && e.getMessage().contains("steps"), e.getMessage());
        IOException top = error("learning_rate: 3\n");
        assertTrue(top.getMessage().contains("unknown key 'learning_rate'"), top.getMessage());
    }

    /** A key that was renamed is one line naming its new name, not the unknown-key list. */
    @Test
    void aRenamedKeyNamesItsNewName() throws IOException {
        String[][] oldKeys = {{"reader_samples: 2", "rl.reader_samples was renamed rl.answer_samples"},
                {"reader_temperature: 1.0", "rl.reader_temperature was renamed rl.answer_temperature"},
                {"reader_reward: sampled", "rl.reader_reward was renamed rl.reasoner_reward"}};
        for (String[] r : oldKeys) assertEquals(tmp.resolve("c.yaml") + ": " + r[1], error("rl:\n  " + r[0] + "\n").getMessage());
        RunConfig renamed = ConfigLoader.load(write("rl: {answer_samples: 2, answer_temperature: 1.0, reasoner_reward: sampled}\n"));
        assertEquals(2, renamed.rl().answerSamples());
        assertEquals(1f, renamed.rl().answerTemperature());
        assertEquals(false, renamed.rl().expectedReasonerReward());
    }

    private Path write(String yaml) throws IOException {
        Path f = tmp.resolve("ok.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void wrongTypesNameTheKey() throws IOException {
        IOException e = error("rl:\n  steps: ten\n");
        assertTrue(e.getMessage().contains("rl.steps"), e.getMessage());
        IOException m = error("tasks: 12\n");
        assertTrue(m.getMessage().contains("'tasks' must be a mapping"), m.getMessage());
    }

    @Test
    void impossibleValuesSayWhatIsAllowed() throws IOException {
        assertTrue(error("rl:\n  group_size: 1\n").getMessage().contains("rl.group_size must be >= 2"));
        assertTrue(error("rl:\n  algorithm: ppo\n").getMessage().contains("rl.algorithm must be one of racro, prco, outcome_grpo"));
        assertTrue(error("rl:\n  rewards: {speed: 1.0}\n").getMessage().contains("rl.rewards.speed is not a reward"));
        assertTrue(error("reasoner:\n  model: {hidden: 30, heads: 4}\n").getMessage().contains("must split into heads"));
        assertTrue(error("rl:\n  aggregation: median\n").getMessage().contains("rl.aggregation must be"));
        assertTrue(error("captioner:\n  focused_description_fraction: 1.5\n").getMessage().contains("focused_description_fraction must be in [0, 1]"));
        assertTrue(error("captioner:\n  generic_views: [full, no_size]\n").getMessage().contains("unknown description view 'no_size'"));
        assertTrue(error("captioner:\n  generic_views: []\n").getMessage().contains("generic_views must name at least one view"));
    }

    @Test
    void malformedYamlIsReportedWithTheFile() throws IOException {
        IOException e = error("rl: [unclosed\n");
        assertTrue(e.getMessage().contains("c.yaml") && e.getMessage().contains("not valid YAML"), e.getMessage());
    }
}

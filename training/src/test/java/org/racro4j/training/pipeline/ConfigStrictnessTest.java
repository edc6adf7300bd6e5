package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A run config is read strictly: a value of the wrong type, a duplicated key or mix entry, and a setting that cannot
 * work with the others are each one line naming the file and the key, thrown by {@link ConfigLoader#load} before a
 * run folder exists. Every case is a value the loader used to bend into something else (8.5 steps became 8, the
 * second of two keys won) or let through until a stage failed minutes into the run.
 */
class ConfigStrictnessTest {
    @TempDir
    Path tmp;

    private String error(String yaml) throws IOException {
        Path f = tmp.resolve("c.yaml");
        Files.writeString(f, yaml);
        IOException e = assertThrows(IOException.class, () -> ConfigLoader.load(f), yaml);
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        String prefix = f + ": ";
        assertEquals(prefix, m.substring(0, Math.min(m.length(), prefix.length())), "names the file: " + m);
        return m.substring(prefix.length());
    }

    static Stream<Arguments> wrongTypes() {
        return Stream.of(
                Arguments.of("rl:\n  steps: 8.5\n", "rl.steps must be a whole number, got 8.5"),
                Arguments.of("seed: 7.0\n", "seed must be a whole number, got 7.0"),
                Arguments.of("rl:\n  steps: '10'\n", "rl.steps must be a whole number, got the string \"10\""),
                Arguments.of("tasks:\n  image_size: 3000000000\n", "tasks.image_size must be a whole number from -2147483648 to 2147483647, got 3000000000"),
                Arguments.of("rl:\n  lr: '1e-4'\n", "rl.lr must be a number, got the string \"1e-4\""),
                Arguments.of("rl:\n  std_normalize: 'true'\n", "rl.std_normalize must be true or false, got the string \"true\""),
                Arguments.of("rl:\n  std_normalize: 1\n", "rl.std_normalize must be true or false, got 1"),
                Arguments.of("device: 0\n", "device must be a string, got 0"),
                Arguments.of("tasks:\n  mix: 3\n", "tasks.mix must be a string, got 3"),
                Arguments.of("captioner:\n  generic_views: full\n", "captioner.generic_views must be a list, got the string \"full\""),
                Arguments.of("captioner:\n  generic_views: [full, 3]\n", "captioner.generic_views[1] must be a string, got 3"),
                Arguments.of("rl:\n  rewards: {caption_utility: 'one'}\n", "rl.rewards.caption_utility must be a number, got the string \"one\""),
                Arguments.of("rl:\n  rewards: {caption_utility: true}\n", "rl.rewards.caption_utility must be a number, got true"),
                Arguments.of("rl:\n  aggregation: null\n", "rl.aggregation must have a value (null is only for swap_reasoner, for a reasoner's model, sft, pretrained and prompt, for the captioner's model, pretrained and prompt, and for tasks' JSONL files)"),
                Arguments.of("device: null\n", "device must have a value (null is only for swap_reasoner, for a reasoner's model, sft, pretrained and prompt, for the captioner's model, pretrained and prompt, and for tasks' JSONL files)"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("wrongTypes")
    void aValueOfTheWrongTypeIsAnErrorNamingTheKey(String yaml, String message) throws IOException {
        assertEquals(message, error(yaml));
    }

    static Stream<Arguments> duplicates() {
        return Stream.of(
                Arguments.of("rl: {steps: 3, steps: 7}\n", "duplicate key rl.steps (line 1)"),
                Arguments.of("rl:\n  steps: 3\n  lr: 0.001\n  steps: 7\n", "duplicate key rl.steps (line 4)"),
                Arguments.of("seed: 1\ntasks: {train_items: 10}\nseed: 2\n", "duplicate key seed (line 3)"),
                Arguments.of("rl:\n  steps: 3\nrl:\n  lr: 0.001\n", "duplicate key rl (line 3)"),
                Arguments.of("rl:\n  rewards: {caption_utility: 1.0, caption_utility: 0.5}\n", "duplicate key rl.rewards.caption_utility (line 2)"),
                // a second document used to be dropped without a word: seed 2 was never read
                Arguments.of("seed: 1\n---\nseed: 2\n", "more than one YAML document (the second at line 3); a config is one mapping of keys"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("duplicates")
    void aDuplicatedKeyIsAnErrorNotTheLastValue(String yaml, String message) throws IOException {
        assertEquals(message, error(yaml));
    }

    @Test
    void theTaskMixNamesEachEntryOnceAndOnlyKnownCategories() throws IOException {
        assertEquals("tasks.mix: count_color is named twice in \"count_color=1,count_color=2\"",
                error("tasks:\n  mix: \"count_color=1,count_color=2\"\n"));
        assertEquals("tasks.mix: unknown task category or family 'count_colour'; categories: count_color, count_shape, compare_counts, "
                        + "attribute, spatial, arithmetic, chart_value, chart_compare, chart_sum, clock_hour, clock_later, grid_steps, "
                        + "maze_steps, knight_moves, arrow_turn; families: shapes, bar_chart, clock, grid_path, maze, knight, arrow",
                error("tasks:\n  mix: \"count_colour=1\"\n"));
        assertEquals("tasks.mix: the weight of count_color must be a number, got '2x'", error("tasks:\n  mix: \"count_color=2x\"\n"));
        assertEquals("tasks.mix: expected name=weight, got '' in \"count_color=1,\"", error("tasks:\n  mix: \"count_color=1,\"\n"));
    }

    static Stream<Arguments> impossibleCombinations() {
        return Stream.of(
                // the stage that builds the vision encoder used to throw this minutes into the run, with a stack trace
                Arguments.of("captioner:\n  vision: {patch_size: 10}\n", "captioner.vision.patch_size (10) must divide tasks.image_size (48)"),
                Arguments.of("tasks:\n  image_size: 56\n", "captioner.vision.patch_size (16) must divide tasks.image_size (56)"),
                // a caption the reasoner cannot read in its context fails at the first evaluation, after all training
                Arguments.of("captioner:\n  max_caption_tokens: 110\n", "captioner.max_caption_tokens (110) + reasoner.max_answer_tokens (3) "
                        + "must be at most 112: the reasoner reads the prompt and question (up to 48 tokens), the caption and its answer in "
                        + "a context of 160 tokens"),
                Arguments.of("swap_reasoner:\n  max_answer_tokens: 80\n", "captioner.max_caption_tokens (40) + swap_reasoner.max_answer_tokens (80) "
                        + "must be at most 112: the reasoner reads the prompt and question (up to 48 tokens), the caption and its answer in "
                        + "a context of 160 tokens"),
                Arguments.of("reasoner:\n  model: {heads: 0}\n", "reasoner.model.heads must be >= 1, got 0"),
                Arguments.of("reasoner:\n  model: {intermediate: -5}\n", "reasoner.model.intermediate must be >= 1, got -5"),
                Arguments.of("captioner:\n  model: {kv_heads: 3}\n", "captioner.model.heads (4) must be a multiple of kv_heads (3)"),
                Arguments.of("swap_reasoner:\n  model: {hidden: 100}\n", "swap_reasoner.model.hidden (100) must split into heads (4) of even size"),
                Arguments.of("reasoner:\n  model: {architecture: gpt2}\n", "reasoner.model.architecture must be qwen2 or llama, got gpt2"),
                Arguments.of("reasoner:\n  sft: {weight_decay: -0.1}\n", "reasoner.sft.weight_decay must be finite and >= 0, got -0.1"),
                Arguments.of("captioner:\n  sft: {lr: 1e999}\n", "captioner.sft.lr must be finite and > 0, got Infinity"),
                Arguments.of("reasoner:\n  sft: {warmup: 3000}\n", "reasoner.sft.warmup must be in [0, steps (2000)], got 3000"),
                Arguments.of("reasoner:\n  sft: {batch: 0}\n", "reasoner.sft.batch must be >= 1, got 0"),
                Arguments.of("reasoner:\n  partial_fraction: 1.5\n", "reasoner.partial_fraction must be in [0, 1], got 1.5"),
                Arguments.of("reasoner:\n  partial_fraction: 0.6\n  empty_fraction: 0.6\n",
                        "reasoner.partial_fraction (0.6) + empty_fraction (0.6) must be at most 1"),
                Arguments.of("captioner:\n  focused_description_fraction: -0.5\n", "captioner.focused_description_fraction must be in [0, 1], got -0.5"),
                Arguments.of("captioner:\n  vision: {heads: 5}\n", "captioner.vision.hidden (96) must be a multiple of heads (5)"),
                Arguments.of("captioner:\n  vision: {layers: -1}\n", "captioner.vision.layers must be >= 0, got -1"),
                Arguments.of("captioner:\n  vision_warm_start: {lr: 0}\n", "captioner.vision_warm_start.lr must be finite and > 0, got 0.0"),
                Arguments.of("captioner:\n  vision_warm_start: {steps: -1}\n", "captioner.vision_warm_start.steps must be >= 0, got -1"),
                Arguments.of("tasks:\n  image_size: 16\n", "tasks.image_size must be >= 24, got 16"),
                Arguments.of("tasks:\n  test_items: 0\n", "tasks.test_items must be >= 1, got 0"),
                Arguments.of("logging:\n  eval_samples: -1\n", "logging.eval_samples must be >= 0, got -1"),
                Arguments.of("logging:\n  checkpoint_every: 0\n", "logging.checkpoint_every must be >= 1, got 0"),
                Arguments.of("device: tpu\n", "device must be cpu or cuda[:N], got 'tpu'"),
                Arguments.of("device: 'cuda:x'\n", "device 'cuda:x': expected KIND or KIND:INDEX, e.g. cpu or cuda:0"),
                // sampling settings follow the rule `generate` applies to --temperature (SamplingConfig), in the same words
                Arguments.of("rl:\n  answer_temperature: -1\n", "rl.answer_temperature must be finite and >= 0 (0 = greedy), got -1.0"),
                Arguments.of("rl:\n  temperature: 1e999\n", "rl.temperature must be finite and >= 0 (0 = greedy), got Infinity"),
                Arguments.of("rl:\n  temperature: 0\n", "rl.temperature must be > 0: RL samples its captions, got 0.0"),
                // the rl section names its full keys itself (the RL code uses it without a file); the loss settings' too
                Arguments.of("rl:\n  lr: 0\n", "rl.lr must be > 0 (and finite), got 0.0"),
                Arguments.of("rl:\n  kl_coef: -1\n", "rl.kl_coef must be >= 0 (and finite), got -1.0"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("impossibleCombinations")
    void theWholeConfigIsCheckedWhenItIsLoaded(String yaml, String message) throws IOException {
        assertEquals(message, error(yaml));
    }

    @Test
    void aFileThatIsNotUtf8IsNamedWithItsLine() throws IOException {
        Path f = tmp.resolve("c.yaml");
        byte[] latin1 = "seed: 7\n# r\u00e9glages\nrl: {steps: 3}\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(f, latin1);
        IOException e = assertThrows(IOException.class, () -> ConfigLoader.load(f));
        assertEquals(f + ":2: not UTF-8 text (byte 0xE9 at offset 11); save the file as UTF-8", e.getMessage());
    }

    @Test
    void valuesOfTheRightTypeStillLoad() throws IOException {
        Path f = tmp.resolve("ok.yaml");
        // whole numbers where decimals are expected are fine; so are YAML's exact forms of the right type
        Files.writeString(f, "seed: 11\nrl: {lr: 1, kl_coef: 0, std_normalize: true, rewards: {caption_utility: 1}}\n"
                + "tasks: {mix: \"shapes=1, count_color=2\"}\nswap_reasoner: null\ndevice: cuda:1\n");
        RunConfig c = ConfigLoader.load(f);
        assertEquals(11, c.seed());
        assertEquals(1.0, c.rl().lr());
        assertEquals(1.0, c.rl().rewards().get("caption_utility"));
        assertEquals("cuda:1", c.device());
    }
}

package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.training.pipeline.ConfigLoader;

/** `train` and `demo` on run folders: one process per folder, --device on resume, and the config a new demo writes. */
class RunFolderCommandsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path tmp;

    static final String TINY = """
            tasks: {train_items: 60, test_items: 12}
            reasoner:
              model: {hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
              sft: {steps: 3, batch: 8, warmup: 1}
            swap_reasoner: null
            captioner:
              vision: {hidden: 16, layers: 1, heads: 2}
              vision_warm_start: {steps: 2, batch: 4}
              model: {hidden: 16, layers: 1, heads: 2, kv_heads: 1, intermediate: 32}
              sft: {steps: 3, batch: 4, warmup: 1}
              max_caption_tokens: 8
            rl: {steps: 2, warmup_steps: 1, prompts_per_step: 2, minibatch: 4}
            logging: {checkpoint_every: 2, eval_samples: 1}
            """;

    /**
     * A demo runs in another JVM; a `train` and a `demo --resume` on its folder are refused with exit code 2 and one
     * line naming the folder and the demo's process. The config that demo wrote is defaults.yaml, value by value.
     */
    @Test
    void aSecondRunOnAFolderInUseIsRefusedWithOneLineAndANewDemoWritesTheDefaults() throws Exception {
        Path out = tmp.resolve("demo");
        Path tiny = tmp.resolve("tiny.yaml");
        Files.writeString(tiny, TINY);
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process demo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                "jdk.incubator.vector", "-Xmx1g", "-XX:+UseSerialGC", "-Djava.awt.headless=true", "-Dracro4j.threads=1", "-cp", classPath,
                Main.class.getName(), "demo", "--out", out.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("demo.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(out.resolve("config.yaml"))) {
                assertTrue(demo.isAlive() && System.nanoTime() < deadline, "the demo did not start:\n" + Files.readString(tmp.resolve("demo.log")));
                Thread.sleep(20);
            }
            String inUse = out + " is in use by another racro4j run (pid " + demo.pid() + ")";
            CommandLineTest.Run train = CommandLineTest.run("train", "--config", tiny.toString(), "--out", out.toString());
            assertEquals(2, train.exit(), train.out() + train.err());
            assertTrue(train.err().startsWith("racro4j train: " + inUse) && train.err().strip().lines().count() == 1, train.err());
            CommandLineTest.Run resume = CommandLineTest.run("demo", "--out", out.toString(), "--resume");
            assertEquals(2, resume.exit(), resume.out() + resume.err());
            assertTrue(resume.err().startsWith("racro4j demo: " + inUse) && resume.err().strip().lines().count() == 1, resume.err());
            assertTrue(demo.isAlive(), "the first run goes on");
        } finally {
            demo.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }

        JsonNode written = YAML.readTree(out.resolve("config.yaml").toFile());
        JsonNode defaults;
        try (InputStream in = ConfigLoader.class.getResourceAsStream("defaults.yaml")) {
            assertNotNull(in, "defaults.yaml on the class path");
            defaults = YAML.readTree(in);
        }
        Map<String, JsonNode> want = leaves(defaults, "");
        Map<String, JsonNode> got = leaves(written, "");
        assertTrue(want.size() > 40, "defaults.yaml has its settings: " + want.keySet());
        assertEquals(want.keySet(), got.keySet());
        for (Map.Entry<String, JsonNode> e : want.entrySet()) {
            JsonNode w = e.getValue(), g = got.get(e.getKey());
            if (w.isNumber()) assertEquals(w.asDouble(), g.asDouble(), 0.0, e.getKey());
            else assertEquals(w.asText(), g.asText(), e.getKey());
        }
    }

    /** The leaves of a YAML tree by dotted path (list elements by index). */
    private static Map<String, JsonNode> leaves(JsonNode node, String path) {
        Map<String, JsonNode> out = new TreeMap<>();
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.putAll(leaves(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey()));
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) out.putAll(leaves(node.get(i), path + "[" + i + "]"));
        } else {
            out.put(path, node);
        }
        return out;
    }

    /** A run saved with a device this machine lacks continues on the one --device names (the saved config is kept). */
    @Test
    void resumeRunsOnTheDeviceTheCommandLineNames() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("run"));
        String saved = TINY + "device: \"cpu:1\"\n";
        Files.writeString(out.resolve("config.yaml"), saved);
        CommandLineTest.Run r = CommandLineTest.run("train", "--resume", "--out", out.toString(), "--device", "cpu");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains(" on cpu "), r.out());
        assertTrue(Files.isRegularFile(out.resolve("report.json")));
        assertEquals(saved, Files.readString(out.resolve("config.yaml")), "the run's own config is left as it was");
    }

    /** A device that cannot be used stops a new run before it creates its folder. */
    @Test
    void aNewRunOnADeviceThatCannotBeUsedCreatesNothing() {
        Path out = tmp.resolve("demo");
        for (List<String> args : List.of(List.of("demo", "--out", out.toString(), "--device", "cpu:1"),
                List.of("train", "--out", out.toString(), "--device", "cpu:1"))) {
            CommandLineTest.Run r = CommandLineTest.run(args.toArray(new String[0]));
            assertEquals(2, r.exit(), r.out() + r.err());
            assertEquals("racro4j " + args.get(0) + ": device 'cpu:1': there is one cpu device, cpu:0", r.err().strip());
            assertTrue(Files.notExists(out), "nothing was created");
        }
    }
}

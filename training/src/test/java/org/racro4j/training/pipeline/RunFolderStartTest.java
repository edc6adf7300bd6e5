package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.training.run.ChildJvm;
import org.racro4j.training.run.HoldRunLock;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.run.RunLock;

/**
 * Starting runs: one process per run folder, a config is checked before anything is created, and a run that stopped
 * before its first checkpoint leaves nothing worth keeping, so its folder takes a new run.
 */
class RunFolderStartTest {
    @TempDir
    Path tmp;

    /** The toy run, slowed down: its first stages run for hours and write no checkpoint before they end. */
    static final String SLOW = PipelineTest.TINY
            .replace("sft: {steps: 6, batch: 8, warmup: 1}", "sft: {steps: 1000000, batch: 8, warmup: 1}")
            .replace("vision_warm_start: {steps: 3, batch: 4}", "vision_warm_start: {steps: 1000000, batch: 4}")
            .replace("checkpoint_every: 2", "checkpoint_every: 10000000");

    private Path yaml(String name, String text) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static IOException refused(Path out, RunConfig cfg, boolean resume) {
        return assertThrows(IOException.class, () -> Pipeline.run(cfg, out, resume, new PrintWriter(new StringWriter())));
    }

    /**
     * Two real processes on one folder: while a run trains in another JVM, a new run and a resume there are both
     * refused at once with one line naming the folder and the other process. Once that run is killed (before its first
     * checkpoint), a new run with another config starts afresh in the folder: the config is the new one and the
     * metrics hold the new run's lines only, each once.
     */
    @Test
    void aFolderServesOneProcessAndARunKilledBeforeItsFirstCheckpointMakesWayForANewOne() throws Exception {
        Path out = tmp.resolve("run");
        Path metrics = out.resolve("metrics.jsonl");
        RunConfig tiny = ConfigLoader.load(yaml("tiny.yaml", PipelineTest.TINY));
        try (ChildJvm other = ChildJvm.start(RunInAnotherProcess.class, yaml("slow.yaml", SLOW).toString(), out.toString())) {
            other.awaitUntil(() -> lines(metrics) >= 3, "training steps in the other process");
            String inUse = out + " is in use by another racro4j run (pid " + other.pid() + ")";
            for (boolean resume : new boolean[] {false, true}) {
                IOException e = refused(out, tiny, resume);
                assertTrue(e.getMessage().startsWith(inUse), (resume ? "resume: " : "new run: ") + e.getMessage());
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
            }
        }
        assertFalse(hasCheckpoint(out), "the killed run wrote no checkpoint");
        assertTrue(MetricsLog.read(metrics).size() >= 3);

        // the new run, stopped after its second reasoner step (as if killed there) to keep the test short
        StringWriter console = new StringWriter();
        StageRunner.stopStage = "reasoner_sft";
        StageRunner.stopStep = 1;
        try {
            assertThrows(StageRunner.Interrupted.class, () -> Pipeline.run(tiny, out, false, new PrintWriter(console)));
        } finally {
            StageRunner.resetTestHook();
        }
        assertTrue(console.toString().startsWith(out + " holds a run that stopped before its first checkpoint; starting afresh\n"), console.toString());
        assertEquals(ConfigLoader.toYaml(tiny), Files.readString(out.resolve("config.yaml")));
        Set<String> logged = new HashSet<>();
        for (JsonNode r : MetricsLog.read(metrics)) {
            String key = r.get("stage").asText() + ":" + r.get("step").asLong();
            assertTrue(logged.add(key), "logged twice: " + key);
            assertTrue(r.get("step").asLong() <= 2, "only the new run's lines: " + key);
        }
        assertTrue(logged.containsAll(List.of("reasoner_sft:0", "reasoner_sft:1")), logged.toString());
    }

    /** Runs the config of args[0] in the folder args[1]. */
    static final class RunInAnotherProcess {
        public static void main(String[] args) throws IOException {
            Pipeline.run(ConfigLoader.load(Path.of(args[0])), Path.of(args[1]), false, new PrintWriter(System.out));
        }
    }

    /**
     * While another process holds a folder with a killed run in it, a new run and a resume there are both refused, and
     * every file in the folder stays byte for byte as it was.
     */
    @Test
    void aRefusedRunWritesNothing() throws Exception {
        RunConfig cfg = ConfigLoader.load(yaml("tiny.yaml", PipelineTest.TINY));
        Path out = tmp.resolve("run");
        StageRunner.stopStage = "rl";
        StageRunner.stopStep = 2;
        try {
            assertThrows(StageRunner.Interrupted.class, () -> Pipeline.run(cfg, out, false, new PrintWriter(new StringWriter())));
        } finally {
            StageRunner.resetTestHook();
        }
        Map<Path, String> before = snapshot(out);
        try (ChildJvm other = ChildJvm.start(HoldRunLock.class, out.toString())) {
            other.awaitUntil(() -> other.outputQuietly().contains(HoldRunLock.HELD), "the lock held");
            Map<Path, String> held = snapshot(out);
            for (boolean resume : new boolean[] {false, true}) {
                IOException e = refused(out, cfg, resume);
                assertTrue(e.getMessage().startsWith(out + " is in use by another racro4j run (pid " + other.pid() + ")"), e.getMessage());
                assertEquals(held, snapshot(out), "nothing written");
            }
            held.remove(out.resolve(RunLock.FILE));
            before.remove(out.resolve(RunLock.FILE));
            assertEquals(before, held);
        }
    }

    /** Every file under {@code dir} by path, with a digest of its bytes. */
    private static Map<Path, String> snapshot(Path dir) throws Exception {
        Map<Path, String> files = new TreeMap<>();
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(p, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return files;
    }

    private static long lines(Path file) {
        try (var lines = Files.lines(file)) {
            return lines.count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;   // not written yet
        }
    }

    private static boolean hasCheckpoint(Path out) throws IOException {
        if (!Files.isDirectory(out.resolve("checkpoints"))) return false;
        try (var dirs = Files.list(out.resolve("checkpoints"))) {
            return dirs.anyMatch(d -> !d.getFileName().toString().endsWith(".tmp"));
        }
    }

    /**
     * A config that cannot run (image size not a multiple of the patch size: found when the captioner is built, after
     * the reasoner has trained) or a device that cannot be used is an error before the folder exists.
     */
    @Test
    void aConfigThatCannotRunIsRefusedBeforeTheFolderIsCreated() throws IOException {
        Path out = tmp.resolve("run");
        Path badPatch = yaml("patch.yaml", PipelineTest.TINY.replace("tasks: {", "tasks: {image_size: 50, "));
        Exception e = assertThrows(Exception.class, () -> Pipeline.run(ConfigLoader.load(badPatch), out, false, new PrintWriter(new StringWriter())));
        assertTrue(e instanceof IOException || e instanceof IllegalArgumentException, e.toString());
        assertTrue(e.getMessage().contains("patch_size"), e.getMessage());
        assertFalse(Files.exists(out), "nothing was created");

        // a device named in a file is refused when the file is read; one given on the command line when the run starts
        RunConfig cfg = ConfigLoader.load(yaml("tiny.yaml", PipelineTest.TINY)).withDevice("cpu:1");
        e = assertThrows(Exception.class, () -> Pipeline.run(cfg, out, false, new PrintWriter(new StringWriter())));
        assertEquals("device 'cpu:1': there is one cpu device, cpu:0", e.getMessage());
        assertFalse(Files.exists(out), "nothing was created");
    }

    /** A folder that holds something other than a run is never taken, and nothing is written into it. */
    @Test
    void aFolderWithOtherFilesIsNotTaken() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("notes"));
        Files.writeString(out.resolve("notes.txt"), "mine");
        IOException e = refused(out, ConfigLoader.load(yaml("tiny.yaml", PipelineTest.TINY)), false);
        assertEquals(out + " is not empty and holds no run; choose another --out", e.getMessage());
        try (var files = Files.list(out)) {
            assertEquals(List.of(out.resolve("notes.txt")), files.toList());
        }
    }
}

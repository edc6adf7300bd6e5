package org.racro4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bench/gpu-bringup.sh without a GPU: it refuses at once, with one clear line, wherever the machine shows no NVIDIA GPU
 * (whatever GPU this machine really has: each case builds the PATH the script sees), refuses without a bundle, and its
 * summary reads the run's status lines and JUnit reports right (synthetic ones here).
 */
class GpuBringupScriptTest {
    @TempDir
    Path tmp;

    private record Run(int exit, String output) {}

    private static Path script() {
        Path here = Path.of("gpu-bringup.sh");   // surefire runs in the module's folder
        return Files.exists(here) ? here.toAbsolutePath() : Path.of("bench", "gpu-bringup.sh").toAbsolutePath();
    }

    private Run run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", script().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OUT", tmp.resolve("out").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the script finished");
        return new Run(p.exitValue(), out);
    }

    /** A folder holding an executable nvidia-smi that prints a GPU's line and exits with the given status. */
    private Path fakeNvidiaSmi(int exit) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin" + exit));
        Path smi = bin.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\necho 'GPU 0: Fake H100 (UUID: GPU-0)'\nexit " + exit + "\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private void assertNoGpu(Run r, String why) {
        assertEquals(2, r.exit(), r.output());
        assertEquals("gpu-bringup: no NVIDIA GPU on this machine (" + why + "): nothing to bring up.", r.output().strip());
        assertFalse(Files.exists(tmp.resolve("out")), "nothing was written before the check");
    }

    @Test
    void withoutNvidiaSmiItSaysThereIsNoGpuAndStops() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertNoGpu(run(Map.of("PATH", empty.toString())), "no nvidia-smi on the PATH");
    }

    @Test
    void aFailingNvidiaSmiIsNoGpu() throws Exception {
        Run r = run(Map.of("PATH", fakeNvidiaSmi(9) + ":/usr/bin:/bin"));
        assertNoGpu(r, "nvidia-smi -L failed: GPU 0: Fake H100 (UUID: GPU-0)");
    }

    @Test
    void noDeviceNodeIsNoGpu() throws Exception {
        String nodes = tmp.resolve("dev").resolve("nvidia[0-9]*").toString();
        Run r = run(Map.of("PATH", fakeNvidiaSmi(0) + ":/usr/bin:/bin", "GPU_DEVICES", nodes));
        assertNoGpu(r, "no device node " + nodes);
    }

    @Test
    void aGpuWithoutABundleSaysHowToBuildOne() throws Exception {
        Path node = Files.createFile(tmp.resolve("nvidia0"));
        Run r = run(Map.of("PATH", fakeNvidiaSmi(0) + ":/usr/bin:/bin", "GPU_DEVICES", node.toString(), "BUNDLE", "no-such-bundle"));
        assertEquals(3, r.exit(), r.output());
        assertTrue(r.output().startsWith("gpu-bringup: no bundle with tests at ") && r.output().contains("bench/gpu-bundle.sh"), r.output());
    }

    private static String report(int tests, int skipped, int failures, int errors) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"JUnit Jupiter\" tests=\"" + tests + "\" skipped=\"" + skipped
                + "\" failures=\"" + failures + "\" errors=\"" + errors + "\" time=\"3.5\" hostname=\"h\" timestamp=\"2030-01-01T00:00:00\">\n"
                + "<testcase name=\"x()\" classname=\"C\" time=\"0.1\"/>\n</testsuite>\n";
    }

    private Path runFolder(String status, Map<String, String> reports) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(dir.resolve("status.tsv"), status);
        Files.writeString(dir.resolve("gpu.txt"), "GPU 0: Fake H100 (UUID: GPU-0)\n");
        for (Map.Entry<String, String> e : reports.entrySet()) {
            Path d = Files.createDirectories(dir.resolve("tests").resolve(e.getKey()));
            Files.writeString(d.resolve("TEST-junit-jupiter.xml"), e.getValue());
        }
        return dir;
    }

    @Test
    void theSummaryCountsTestsAndBenchmarksAndFailsOnAnySkipFailureOrTimeout() throws Exception {
        String status = String.join("\n",
                "env\tpython\tran\t1\t2\t",
                "test\tPassing\tran\t0\t40\t",
                "test\tFailing\tran\t1\t30\t",
                "test\tSkipping\tran\t0\t5\t",
                "test\tHung\ttimeout\t124\t150\t",
                "test\tLate\tskipped\t-\t0\tout of time budget (12 s left)",
                "bench\tgemm_racro4j\tran\t0\t61\t",
                "bench\tgemm_torch\tran\t1\t9\t",
                "bench\tattention_racro4j\ttimeout\t124\t150\t",
                "bench\tratios\tskipped\t-\t0\tout of time budget (3 s left)", "");
        Path dir = runFolder(status, Map.of("Passing", report(20, 0, 0, 0), "Failing", report(10, 0, 2, 1), "Skipping", report(4, 4, 0, 0)));
        Run r = run(Map.of(), "--summarize", dir.toString());
        assertEquals(1, r.exit(), r.output());
        String s = r.output();
        assertTrue(s.contains("  Fake H100") || s.contains("GPU 0: Fake H100"), s);
        assertTrue(s.contains("  probe python                 failed (exit 1, 2 s)"), s);
        assertTrue(s.contains("  Passing                                20 run    0 failed    0 skipped  PASS (40 s)"), s);
        assertTrue(s.contains("  Failing                                10 run    3 failed    0 skipped  FAIL (30 s)"), s);
        assertTrue(s.contains("  Skipping                                4 run    0 failed    4 skipped  FAIL (a GPU test skipped) (5 s)"), s);
        assertTrue(s.contains("  Hung                                    ? run    ? failed    ? skipped  FAIL: timed out (150 s), no report"), s);
        assertTrue(s.contains("  Late                                    ? run    ? failed    ? skipped  FAIL: skipped: out of time budget (12 s left), no report"), s);
        assertTrue(s.contains("  gemm_racro4j                 done (61 s)"), s);
        assertTrue(s.contains("  gemm_torch                   failed (exit 1, 9 s)"), s);
        assertTrue(s.contains("  attention_racro4j            timed out (150 s)"), s);
        assertTrue(s.contains("  ratios                       skipped: out of time budget (3 s left)"), s);
        assertTrue(s.contains("totals: tests 34 run, 3 failed, 4 skipped; classes 1 of 5 passed; benchmarks 1 done, 1 failed, 1 timed out, 1 skipped"), s);
        assertTrue(s.contains("verdict: FAIL"), s);
        assertEquals(s, Files.readString(dir.resolve("summary.txt")), "the summary is saved as printed");
    }

    @Test
    void everythingPassedIsAPassingSummary() throws Exception {
        String status = "env\tnvidia-smi\tran\t0\t1\t\ntest\tPassing\tran\t0\t40\t\nbench\tgemm_racro4j\tran\t0\t61\t\n";
        Path dir = runFolder(status, Map.of("Passing", report(20, 0, 0, 0)));
        Run r = run(Map.of(), "--summarize", dir.toString());
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("totals: tests 20 run, 0 failed, 0 skipped; classes 1 of 1 passed; benchmarks 1 done, 0 failed, 0 timed out, 0 skipped"),
                r.output());
        assertTrue(r.output().contains("verdict: PASS"), r.output());
        assertFalse(r.output().contains("probe"), "a probe that worked is not listed: " + r.output());
    }

    /** An executable file with the given text. */
    private static void executable(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /**
     * A whole run on a stand-in machine: a copy of the script beside a gpu-bench.sh with one step, and a bundle whose
     * run.sh writes a JUnit report for each class; the class named {@code capturing} fails with a stream-capture error
     * under CUDA_LAUNCH_BLOCKING=1 only, as it might where launch blocking does not mix with graph capture.
     */
    @Test
    void aClassFailingOnStreamCaptureUnderLaunchBlockingRunsAgainWithoutIt() throws Exception {
        Path project = tmp.resolve("project");
        Files.createDirectories(project.resolve("bench"));
        Files.copy(script(), project.resolve("bench").resolve("gpu-bringup.sh"));
        executable(project.resolve("bench").resolve("gpu-bench.sh"), "#!/bin/bash\n[[ $1 == --list ]] && echo machine\nexit 0\n");
        Path bundle = project.resolve(".devbundle");
        Files.createDirectories(bundle.resolve("tools"));
        Files.createFile(bundle.resolve("tools").resolve("junit-platform-console-standalone.jar"));
        executable(bundle.resolve("jre").resolve("bin").resolve("java"), "#!/bin/bash\necho java.base@17\necho java.xml@17\n");
        executable(bundle.resolve("run.sh"), String.join("\n", "#!/bin/bash",
                "[[ $1 == --env ]] && exit 0",
                "dir=; prev=; for a in \"$@\"; do [[ $prev == --reports-dir ]] && dir=$a; prev=$a; done",
                "if [[ $CUDA_LAUNCH_BLOCKING == 1 && \"$*\" == *Capturing* ]]; then",
                "  echo 'cuStreamBeginCapture failed: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900)'",
                "  echo '<testsuite tests=\"2\" skipped=\"0\" failures=\"2\" errors=\"0\">' > \"$dir/TEST-junit-jupiter.xml\"; exit 1",
                "fi",
                "echo '<testsuite tests=\"2\" skipped=\"0\" failures=\"0\" errors=\"0\">' > \"$dir/TEST-junit-jupiter.xml\"",
                ""));
        Path node = Files.createFile(tmp.resolve("nvidia0"));
        List<String> cmd = List.of("bash", project.resolve("bench").resolve("gpu-bringup.sh").toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(Map.of("OUT", tmp.resolve("out").toString(), "PATH", fakeNvidiaSmi(0) + ":/usr/bin:/bin",
                "GPU_DEVICES", node.toString(), "PYTHON", "true", "CLASSES", "a.Plain b.Capturing"));
        Process p = pb.start();
        String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the script finished");
        assertEquals(1, p.exitValue(), s);
        assertTrue(s.contains("  Plain                                   2 run    0 failed    0 skipped  PASS"), s);
        assertTrue(s.contains("  Capturing                               2 run    2 failed    0 skipped  FAIL"), s);
        assertTrue(s.contains("  Capturing.nonblocking                   2 run    0 failed    0 skipped  PASS"), s);
        assertTrue(s.contains("classes 2 of 3 passed"), s);
        assertFalse(s.contains("Plain.nonblocking"), "a class that passed runs once: " + s);
    }
}

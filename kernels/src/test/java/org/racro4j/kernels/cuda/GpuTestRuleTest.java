package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.racro4j.kernels.cuda.GpuTestRule.Machine;
import org.racro4j.kernels.cuda.GpuTestRule.Verdict;

/** The GPU tests' skip rule on a fake machine: GPU present, absent or required, backend available or not. */
class GpuTestRuleTest {
    @TempDir
    Path dir;

    private Machine probe(boolean deviceNode, boolean procEntry, String property, Map<String, String> env) throws IOException {
        Path node = dir.resolve("nvidia0");
        Path proc = dir.resolve("gpus");
        Files.createDirectories(proc);
        if (deviceNode) Files.createFile(node);
        if (procEntry) Files.createDirectory(proc.resolve("0000:18:00.0"));
        return Machine.probe(node, proc, property, env);
    }

    @Test
    void theMachineProbeLooksAtTheDriverFilesAndTheRequiredSetting() throws IOException {
        Machine none = probe(false, false, null, Map.of());
        assertFalse(none.gpuPresent(), none.evidence());
        assertTrue(none.evidence().contains("racro4j.gpu.required not set"), none.evidence());
        // an empty /proc/driver/nvidia/gpus (driver loaded, no board) is no GPU; setting the variable to 0 requires nothing
        assertFalse(probe(false, false, "false", Map.of(GpuTestRule.ENV_REQUIRED, "0")).gpuPresent());

        Machine proc = probe(false, true, null, Map.of());
        assertTrue(proc.gpuPresent());
        assertTrue(proc.evidence().endsWith("gpus/* exists"), proc.evidence());
    }

    @Test
    void theDeviceNodeAloneIsAGpu() throws IOException {
        Machine m = probe(true, false, null, Map.of());
        assertTrue(m.gpuPresent());
        assertTrue(m.evidence().endsWith("nvidia0 exists"), m.evidence());
    }

    @Test
    void theRequiredSettingIsAGpuWithoutAnyDriverFile() throws IOException {
        Machine byProperty = probe(false, false, "TRUE", Map.of());
        assertTrue(byProperty.gpuPresent());
        assertEquals("-Dracro4j.gpu.required=true", byProperty.evidence());
        Machine byEnv = probe(false, false, null, Map.of("RACRO4J_GPU_REQUIRED", "1"));
        assertTrue(byEnv.gpuPresent());
        assertEquals("RACRO4J_GPU_REQUIRED=1", byEnv.evidence());
    }

    @Test
    void presentAbsentOrRequiredTimesAvailableOrNot() throws IOException {
        Machine absent = probe(false, false, null, Map.of());
        Machine present = probe(false, true, null, Map.of());
        Machine required = new Machine(true, "RACRO4J_GPU_REQUIRED=1");
        assertEquals(Verdict.RUN, GpuTestRule.decide(absent, true));
        assertEquals(Verdict.SKIP, GpuTestRule.decide(absent, false));
        assertEquals(Verdict.RUN, GpuTestRule.decide(present, true));
        assertEquals(Verdict.FAIL, GpuTestRule.decide(present, false));
        assertEquals(Verdict.RUN, GpuTestRule.decide(required, true));
        assertEquals(Verdict.FAIL, GpuTestRule.decide(required, false));
    }

    @Test
    void aFailureNamesTheEvidenceAndTheBackendsReason() {
        Machine present = new Machine(true, "/dev/nvidia0 exists");
        assertTrue(GpuTestRule.verdict(present, true, "unused"));
        AssertionError e = assertThrows(AssertionError.class,
                () -> GpuTestRule.verdict(present, false, "the CUDA backend is unavailable: cuInit failed: CUDA_ERROR_NO_DEVICE"));
        assertEquals("a GPU is present (/dev/nvidia0 exists) but the CUDA backend is unavailable: cuInit failed: CUDA_ERROR_NO_DEVICE",
                e.getMessage());
        assertFalse(GpuTestRule.verdict(new Machine(false, "no GPU"), false, "the CUDA backend is unavailable: no device"));
    }

    @Test
    void onThisMachineTheRuleAgreesWithItsOwnProbe() {
        // Whatever machine runs this: a condition that holds always runs; one that does not skips exactly where the
        // probe finds no GPU, and fails (naming the reason) where it finds one.
        assertTrue(GpuTestRule.mayRun(true, "unused"));
        if (Machine.probe().gpuPresent()) {
            AssertionError e = assertThrows(AssertionError.class, () -> GpuTestRule.mayRun(false, "a reason"));
            assertTrue(e.getMessage().endsWith("a GPU test would skip: a reason"), e.getMessage());
        } else {
            assertFalse(GpuTestRule.mayRun(false, "a reason"));
        }
    }
}

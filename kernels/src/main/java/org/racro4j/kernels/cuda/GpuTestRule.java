package org.racro4j.kernels.cuda;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.racro4j.core.BackendProvider;
import org.racro4j.core.Backends;

/**
 * When a GPU test may skip. A GPU test that skips on a machine with an NVIDIA GPU hides a broken backend behind a
 * green build, so the GPU tests of every module ask this class instead of calling {@code assumeTrue} themselves:
 * <ul>
 * <li>no NVIDIA GPU on the machine: the test is skipped, with the reason;</li>
 * <li>a GPU on the machine (or the run declared that it needs one) and the CUDA backend available: the test runs;</li>
 * <li>a GPU on the machine and the backend unavailable: the test <b>fails</b>, with the backend's reason.</li>
 * </ul>
 * Whether a GPU is there is decided without the backend (which may be the thing that is broken): the driver's device
 * node {@code /dev/nvidia0} or an entry under {@code /proc/driver/nvidia/gpus/}, or {@code -Dracro4j.gpu.required=true}
 * or {@code RACRO4J_GPU_REQUIRED=1} (which {@code bench/gpu-bringup.sh} sets).
 * <p>
 * The same holds for a GPU test that would skip for another reason ({@link #mayRun(boolean, String)}): with a GPU
 * present, every GPU test must run, so a skip of any kind is a failure there (for instance FastKernelsGpuTest's check
 * of the default GEMM order fails when {@code -Dracro4j.cuda.gemm} puts another rung first: run that class without the
 * property). Without a GPU such a test is skipped.
 * <p>
 * No JUnit here (this is main code): a failure is an {@link AssertionError}, which JUnit reports as a failed test, and
 * a skip is the {@code false} the test hands to {@code assumeTrue}.
 */
public final class GpuTestRule {
    /** -D property: true declares that this run must have a working GPU. */
    public static final String PROP_REQUIRED = "racro4j.gpu.required";
    /** Environment variable: 1 (or true) declares that this run must have a working GPU. */
    public static final String ENV_REQUIRED = "RACRO4J_GPU_REQUIRED";

    public enum Verdict { RUN, SKIP, FAIL }

    /** What the machine says about GPUs, independently of the CUDA backend: whether one is there, and how we know. */
    public record Machine(boolean gpuPresent, String evidence) {
        /** Looks at the driver's files and the "GPU required" setting of this JVM. */
        public static Machine probe() {
            return probe(Path.of("/dev/nvidia0"), Path.of("/proc/driver/nvidia/gpus"), System.getProperty(PROP_REQUIRED),
                    System.getenv());
        }

        static Machine probe(Path deviceNode, Path procGpus, String requiredProperty, Map<String, String> env) {
            if ("true".equalsIgnoreCase(requiredProperty)) return new Machine(true, "-D" + PROP_REQUIRED + "=true");
            String e = env.get(ENV_REQUIRED);
            if ("1".equals(e) || "true".equalsIgnoreCase(e)) return new Machine(true, ENV_REQUIRED + "=" + e);
            if (Files.exists(deviceNode)) return new Machine(true, deviceNode + " exists");
            if (Files.isDirectory(procGpus)) {
                try (Stream<Path> gpus = Files.list(procGpus)) {
                    if (gpus.findAny().isPresent()) return new Machine(true, procGpus + File.separator + "* exists");
                } catch (java.io.IOException | SecurityException ignored) {
                    // unreadable: no evidence either way from here
                }
            }
            return new Machine(false, "no " + deviceNode + ", nothing under " + procGpus + ", and " + PROP_REQUIRED + " not set");
        }
    }

    private static volatile Machine machine;

    /** Whether the CUDA backend can open here, and if not why (also when its provider is not on the class path). */
    public static BackendProvider.Availability cudaAvailability() {
        BackendProvider p = Backends.provider("cuda");
        return p == null ? BackendProvider.Availability.unavailable("no cuda provider on the class path") : p.availability();
    }

    private GpuTestRule() {}

    private static Machine machine() {
        Machine m = machine;
        if (m == null) machine = m = Machine.probe();
        return m;
    }

    /** The rule: runs where the backend is available, else fails where a GPU is present and skips where none is. */
    static Verdict decide(Machine m, boolean backendAvailable) {
        if (backendAvailable) return Verdict.RUN;
        return m.gpuPresent() ? Verdict.FAIL : Verdict.SKIP;
    }

    /**
     * For {@code assumeTrue(GpuTestRule.canRun(availability), reason)}: true when the CUDA backend is available; false
     * (skip) when it is not and there is no GPU; throws an {@link AssertionError} naming the backend's reason when it is
     * not and there is a GPU.
     */
    public static boolean canRun(BackendProvider.Availability availability) {
        return verdict(machine(), availability.available(), "the CUDA backend is unavailable: " + availability.description());
    }

    /**
     * For {@code assumeTrue(GpuTestRule.mayRun(condition, reason), reason)} in a GPU test: true when the condition
     * holds; false (skip) when it does not and there is no GPU; throws an {@link AssertionError} with the reason when
     * it does not and there is a GPU (where no GPU test may skip).
     */
    public static boolean mayRun(boolean condition, String reason) {
        if (condition) return true;
        return verdict(machine(), false, "a GPU test would skip: " + reason);
    }

    static boolean verdict(Machine m, boolean available, String why) {
        return switch (decide(m, available)) {
            case RUN -> true;
            case SKIP -> false;
            case FAIL -> throw new AssertionError("a GPU is present (" + m.evidence() + ") but " + why);
        };
    }
}

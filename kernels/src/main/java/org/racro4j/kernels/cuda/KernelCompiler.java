package org.racro4j.kernels.cuda;

import java.util.List;
import java.util.Map;

/** Compiles one kernel family to a module image the driver loads (CUBIN, or PTX where CUBIN is impossible). */
interface KernelCompiler {
    /** What to compile: the family's name and source, the headers it includes, options and the target. */
    record Request(String name, String source, Map<String, String> headers, List<String> options, Target target) {}

    /**
     * The device the code is for. {@code arch} is the compute capability as in sm_90 (90); {@code archSpecific}
     * asks for the arch-specific variant ("sm_90a": wgmma and friends, for Hopper only).
     */
    record Target(int arch, boolean archSpecific) {
        String smName() {
            return "sm_" + arch + (archSpecific ? "a" : "");
        }

        String computeName() {
            return "compute_" + arch + (archSpecific ? "a" : "");
        }

        /** The target for a device of compute capability major.minor: Hopper (9.0) gets sm_90a. */
        static Target forDevice(int major, int minor) {
            return new Target(major * 10 + minor, major == 9 && minor == 0);
        }
    }

    /** A loadable image: CUBIN bytes, or PTX text (NUL-terminated) when {@code ptx}. */
    record Image(byte[] bytes, boolean ptx) {}

    /** Identifies the compiler and its version for the cache key, e.g. "nvrtc 13.0". */
    String identity();

    Image compile(Request request);

    /** A compilation that failed, with the compiler's log. */
    final class CompileException extends RuntimeException {
        CompileException(String message) {
            super(message);
        }
    }
}

package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kernel file compiles with nvcc for sm_90a (the H200) wherever nvcc is installed, as the build machines
 * have it: a broken kernel fails the build without any GPU. Skipped, with a message, only where nvcc is absent.
 */
class NvccCompileTest {
    private static Optional<Path> nvcc;

    @TempDir
    static Path dir;

    @BeforeAll
    static void findNvcc() throws IOException {
        nvcc = CudaLibraries.system().findNvcc();
        for (Map.Entry<String, String> h : KernelSources.headers().entrySet()) {
            Files.writeString(dir.resolve(h.getKey()), h.getValue(), StandardCharsets.UTF_8);
        }
    }

    @TestFactory
    List<DynamicTest> everyKernelFileCompilesForSm90a() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String family : KernelSources.FAMILIES) {
            tests.add(DynamicTest.dynamicTest(family + ".cu", () -> {
                assumeTrue(nvcc.isPresent(), "nvcc not found (PATH, CUDA_HOME, /usr/local/cuda*/bin, -D" + CudaLibraries.PROP_NVCC
                        + "): the sm_90a compile check of " + family + ".cu is skipped");
                NvccCompiler compiler = new NvccCompiler(nvcc.get());
                Path src = dir.resolve(family + ".cu");
                Files.writeString(src, KernelSources.source(family), StandardCharsets.UTF_8);
                Path out = dir.resolve(family + ".cubin");
                List<String> options = new ArrayList<>(KernelModules.OPTIONS);
                options.add("-Werror=all-warnings");
                NvccCompiler.run(compiler.command(src, dir, out, KernelCompiler.Target.forDevice(9, 0), options), dir);
                assertTrue(Files.size(out) > 0, family + ".cubin is empty");
            }));
        }
        return tests;
    }

    /** Families an Ampere GPU loads too (all but gemm_wgmma, which is sm_90a only) also compile for sm_80. */
    @TestFactory
    List<DynamicTest> theTensorCoreFamiliesAlsoCompileForSm80() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String family : List.of("matmul_tiled", "gemm_mma", "attention")) {
            tests.add(DynamicTest.dynamicTest(family + ".cu for sm_80", () -> {
                assumeTrue(nvcc.isPresent(), "nvcc not found: the sm_80 compile check of " + family + ".cu is skipped");
                NvccCompiler compiler = new NvccCompiler(nvcc.get());
                Path src = dir.resolve(family + "_80.cu");
                Files.writeString(src, KernelSources.source(family), StandardCharsets.UTF_8);
                Path out = dir.resolve(family + "_80.cubin");
                List<String> options = new ArrayList<>(KernelModules.OPTIONS);
                options.add("-Werror=all-warnings");
                NvccCompiler.run(compiler.command(src, dir, out, KernelCompiler.Target.forDevice(8, 0), options), dir);
                assertTrue(Files.size(out) > 0, family + "_80.cubin is empty");
            }));
        }
        return tests;
    }
}

package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every kernel family compiles with NVRTC through LWJGL, in process, to CUBIN for sm_90a: the exact path the
 * backend takes at run time. NVRTC needs no GPU, only libnvrtc; skipped with a message where none is found
 * (point -Dracro4j.cuda.nvrtc at one, e.g. a pip nvidia-cuda-nvrtc wheel's lib folder).
 */
class NvrtcCompileTest {
    @TestFactory
    List<DynamicTest> everyKernelFamilyCompilesWithNvrtc() {
        List<CudaLibraries.Nvrtc> found = CudaLibraries.system().findNvrtc();
        List<DynamicTest> tests = new ArrayList<>();
        for (String family : KernelSources.FAMILIES) {
            tests.add(DynamicTest.dynamicTest(family, () -> {
                assumeTrue(!found.isEmpty(), "no libnvrtc.so.* found (-D" + CudaLibraries.PROP_NVRTC
                        + "=<folder or file>): the NVRTC compile check is skipped");
                NvrtcCompiler nvrtc = new NvrtcCompiler(found.get(0));
                KernelCompiler.Target hopper = KernelCompiler.Target.forDevice(9, 0);
                assumeTrue(nvrtc.supports(hopper.arch()), nvrtc.description() + " cannot target sm_90");
                KernelCompiler.Image image = nvrtc.compile(new KernelCompiler.Request(family, KernelSources.source(family),
                        KernelSources.headers(), KernelModules.OPTIONS, hopper));
                assertFalse(image.ptx(), "sm_90a must give CUBIN, not PTX");
                assertTrue(image.bytes().length > 4 && image.bytes()[0] == 0x7f && image.bytes()[1] == 'E', "a CUBIN is an ELF file");
            }));
        }
        return tests;
    }
}

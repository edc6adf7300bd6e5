package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Library discovery on fake directory trees: nothing here needs CUDA. */
class CudaLibrariesTest {
    @TempDir
    Path root;

    private final Map<String, String> env = new HashMap<>();
    private final Properties props = new Properties();

    private CudaLibraries search() {
        return new CudaLibraries(root, env, props);
    }

    private Path touch(String relative) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {0x7f, 'E', 'L', 'F'});
        return p;
    }

    @Test
    void noDriverSaysWhereItLooked() {
        CudaLibraries libs = search();
        assertTrue(libs.findDriver().isEmpty());
        String why = libs.driverSearchDescription();
        assertTrue(why.startsWith("libcuda.so.1 not found (no NVIDIA driver); looked in "), why);
        assertTrue(why.contains(root.resolve("usr/lib/x86_64-linux-gnu").toString()), why);
        assertTrue(why.contains("-Dracro4j.cuda.libcuda="), why);
    }

    @Test
    void driverInTheDistributionFolder() throws IOException {
        Path lib = touch("usr/lib/x86_64-linux-gnu/libcuda.so.1");
        assertEquals(lib, search().findDriver().orElseThrow());
    }

    @Test
    void ldLibraryPathComesFirstAndStubsAreIgnored() throws IOException {
        touch("usr/lib/x86_64-linux-gnu/libcuda.so.1");
        Path custom = touch("opt/driver/libcuda.so.1");
        Path stub = touch("usr/local/cuda/lib64/stubs/libcuda.so.1");
        env.put("LD_LIBRARY_PATH", stub.getParent() + ":" + custom.getParent());
        assertEquals(custom, search().findDriver().orElseThrow());
    }

    @Test
    void wslDriverFolder() throws IOException {
        Path lib = touch("usr/lib/wsl/lib/libcuda.so.1");
        assertEquals(lib, search().findDriver().orElseThrow());
    }

    @Test
    void propertyOverridesTheDriver() throws IOException {
        touch("usr/lib/x86_64-linux-gnu/libcuda.so.1");
        Path mine = touch("elsewhere/libcuda.so.1");
        props.setProperty(CudaLibraries.PROP_LIBCUDA, mine.toString());
        assertEquals(mine, search().findDriver().orElseThrow());
        props.setProperty(CudaLibraries.PROP_LIBCUDA, root.resolve("missing/libcuda.so.1").toString());
        assertTrue(search().findDriver().isEmpty());
        assertTrue(search().driverSearchDescription().contains("missing/libcuda.so.1"));
    }

    @Test
    void nvrtcInAToolkitWithItsBuiltins() throws IOException {
        Path lib = touch("usr/local/cuda-12.4/lib64/libnvrtc.so.12");
        touch("usr/local/cuda-12.4/lib64/libnvrtc.so.12.4.127");
        Path builtins = touch("usr/local/cuda-12.4/lib64/libnvrtc-builtins.so.12.4");
        List<CudaLibraries.Nvrtc> found = search().findNvrtc();
        assertEquals(1, found.size(), found.toString());
        assertEquals(lib, found.get(0).library());
        assertEquals(builtins, found.get(0).builtins());
        assertEquals(12, found.get(0).major());
    }

    @Test
    void toolkitTargetsFolderAndNewestToolkitFirst() throws IOException {
        touch("usr/local/cuda-12.4/targets/x86_64-linux/lib/libnvrtc.so.12");
        Path newer = touch("usr/local/cuda-13.0/targets/x86_64-linux/lib/libnvrtc.so.13");
        List<CudaLibraries.Nvrtc> found = search().findNvrtc();
        assertEquals(2, found.size());
        assertEquals(newer, found.get(0).library());
        assertEquals(13, found.get(0).major());
        assertEquals(12, found.get(1).major());
    }

    @Test
    void nvidiaWheelsBesidePytorchCuda12AndCuda13Layouts() throws IOException {
        env.put("HOME", root.resolve("home/me").toString());
        String site = "home/me/.local/lib/python3.11/site-packages/";
        Path nvrtc12 = touch(site + "nvidia/cuda_nvrtc/lib/libnvrtc.so.12");
        touch(site + "nvidia/cuda_nvrtc/lib/libnvrtc-builtins.so.12.4");
        Path cublas12 = touch(site + "nvidia/cublas/lib/libcublas.so.12");
        String venv = "work/venv/lib/python3.12/site-packages/";
        env.put("VIRTUAL_ENV", root.resolve("work/venv").toString());
        Path nvrtc13 = touch(venv + "nvidia/cu13/lib/libnvrtc.so.13");
        Path builtins13 = touch(venv + "nvidia/cu13/lib/libnvrtc-builtins.so.13.0");
        touch(venv + "nvidia/cu13/lib/libnvrtc.alt.so.13");
        touch(venv + "nvidia/cu13/lib/libnvrtc-builtins.alt.so.13.0");
        CudaLibraries libs = search();
        List<CudaLibraries.Nvrtc> nvrtc = libs.findNvrtc();
        assertEquals(List.of(nvrtc13, nvrtc12), nvrtc.stream().map(CudaLibraries.Nvrtc::library).toList());
        assertEquals(builtins13, nvrtc.get(0).builtins());
        assertEquals(List.of(cublas12), libs.findCublas().stream().map(CudaLibraries.Cublas::library).toList());
    }

    @Test
    void pyenvAndSystemDistPackages() throws IOException {
        env.put("HOME", root.resolve("home/me").toString());
        Path a = touch("home/me/.pyenv/versions/3.11.7/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.12");
        Path b = touch("usr/lib/python3/dist-packages/nvidia/cublas/lib/libcublas.so.13");
        List<Path> found = search().findCublas().stream().map(CudaLibraries.Cublas::library).toList();
        assertEquals(List.of(b, a), found);   // highest major first
    }

    @Test
    void sonameIsPreferredOverUnversionedAndFullVersion() throws IOException {
        touch("usr/local/cuda/lib64/libcublas.so");
        touch("usr/local/cuda/lib64/libcublas.so.12.6.4.1");
        Path soname = touch("usr/local/cuda/lib64/libcublas.so.12");
        List<CudaLibraries.Cublas> found = search().findCublas();
        assertEquals(soname, found.get(0).library());
        assertEquals(12, found.get(0).major());
    }

    @Test
    void cudaHomeAndProperties() throws IOException {
        Path lib = touch("custom/cuda/lib64/libnvrtc.so.12");
        env.put("CUDA_HOME", root.resolve("custom/cuda").toString());
        assertEquals(lib, search().findNvrtc().get(0).library());

        Path direct = touch("x/libnvrtc.so.13");
        Path builtins = touch("y/libnvrtc-builtins.so.13.0");
        props.setProperty(CudaLibraries.PROP_NVRTC, direct.toString());
        props.setProperty(CudaLibraries.PROP_NVRTC_BUILTINS, builtins.toString());
        List<CudaLibraries.Nvrtc> found = search().findNvrtc();
        assertEquals(1, found.size());
        assertEquals(direct, found.get(0).library());
        assertEquals(builtins, found.get(0).builtins());
    }

    @Test
    void lwjglSettingsAreHonouredWhenOursAreAbsent() throws IOException {
        touch("usr/local/cuda/lib64/libnvrtc.so.12");
        Path lib = touch("bundle/libnvrtc.so.13");
        Path builtins = touch("bundle/libnvrtc-builtins.so.13.0");
        props.setProperty("org.lwjgl.cuda.nvrtc.libname", lib.toString());
        List<CudaLibraries.Nvrtc> found = search().findNvrtc();
        assertEquals(1, found.size());
        assertEquals(lib, found.get(0).library());
        assertEquals(builtins, found.get(0).builtins(), "builtins found beside it");
        props.setProperty("org.lwjgl.cuda.nvrtc.libname", "libnvrtc.so.13");   // a bare name is LWJGL's business
        assertEquals(12, search().findNvrtc().get(0).major());
    }

    @Test
    void builtinsOfAnotherMajorAreNotTaken() throws IOException {
        touch("usr/local/cuda/lib64/libnvrtc.so.13");
        touch("usr/local/cuda/lib64/libnvrtc-builtins.so.12.4");
        assertNull(search().findNvrtc().get(0).builtins());
    }

    @Test
    void cublasCanBeSwitchedOff() throws IOException {
        touch("usr/local/cuda/lib64/libcublas.so.12");
        props.setProperty(CudaLibraries.PROP_CUBLAS, "off");
        assertTrue(search().findCublas().isEmpty());
    }

    @Test
    void nvccOnPathThenToolkit() throws IOException {
        Path toolkitNvcc = touch("usr/local/cuda/bin/nvcc");
        Files.setPosixFilePermissions(toolkitNvcc, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(toolkitNvcc, search().findNvcc().orElseThrow());
        Path onPath = touch("opt/bin/nvcc");
        Files.setPosixFilePermissions(onPath, PosixFilePermissions.fromString("rwxr-xr-x"));
        env.put("PATH", onPath.getParent().toString());
        assertEquals(onPath, search().findNvcc().orElseThrow());
    }

    @Test
    void compilerMessageNamesBothOptions() {
        String why = search().compilerSearchDescription();
        assertTrue(why.startsWith("NVRTC not found and no nvcc on PATH"), why);
        assertTrue(why.contains(CudaLibraries.PROP_NVRTC) && why.contains(CudaLibraries.PROP_NVCC), why);
        assertFalse(search().findNvcc().isPresent());
    }

    @Test
    void majorVersionFromNameOrLinkTarget() throws IOException {
        Path real = touch("lib/libnvrtc.so.12.8.61");
        Path link = root.resolve("lib/libnvrtc.so");
        Files.createSymbolicLink(link, real.getFileName());
        assertEquals(12, CudaLibraries.majorVersion(real));
        assertEquals(12, CudaLibraries.majorVersion(link));
        assertEquals(0, CudaLibraries.majorVersion(touch("lib/libfoo.so")));
    }
}

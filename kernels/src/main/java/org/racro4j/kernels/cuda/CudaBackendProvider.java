package org.racro4j.kernels.cuda;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jcuda.driver.CUresult;
import jcuda.runtime.cudaStream_t;

import org.racro4j.core.Backend;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.BackendUnavailableException;

/**
 * Registers the CUDA backend (devices "cuda:N") with core's ServiceLoader. {@link #availability()} never throws
 * and says precisely why CUDA cannot be used: it first looks for libcuda.so.1 on disk (no native code is loaded
 * when it is absent), then loads the driver and calls cuInit, counts devices, and checks that a kernel compiler
 * (NVRTC, else nvcc) exists. The answer is computed once per JVM.
 */
public final class CudaBackendProvider implements BackendProvider {
    private static final Object LOCK = new Object();
    private static volatile Availability cached;
    private static volatile Probe probe;

    /** What availability found, kept for open(). */
    private record Probe(Path libcuda, int deviceCount, int driverVersion, List<CudaLibraries.Nvrtc> nvrtc, Optional<Path> nvcc) {}

    @Override
    public String kind() {
        return "cuda";
    }

    @Override
    public Availability availability() {
        Availability a = cached;
        if (a != null) return a;
        synchronized (LOCK) {
            if (cached == null) {
                try {
                    cached = probe(CudaLibraries.system());
                } catch (Throwable t) {
                    cached = Availability.unavailable("CUDA probe failed: " + t);
                }
            }
            return cached;
        }
    }

    /** The availability of CUDA on the machine {@code libs} describes. Loads the driver only when libcuda.so.1 exists. */
    static Availability probe(CudaLibraries libs) {
        Optional<Path> libcuda = libs.findDriver();
        if (libcuda.isEmpty()) return Availability.unavailable(libs.driverSearchDescription());
        int init;
        try {
            init = CudaDriver.load(libcuda.get());
        } catch (Throwable t) {
            return Availability.unavailable("cannot load the CUDA driver binding (" + libcuda.get() + " with JCuda): " + t);
        }
        if (init != CUresult.CUDA_SUCCESS) {
            return Availability.unavailable("cuInit failed: " + CudaException.describe(init, CudaDriver.errorString(init))
                    + " (driver library " + libcuda.get() + ")");
        }
        int count = CudaDriver.deviceCount();
        if (count == 0) return Availability.unavailable("the CUDA driver (" + libcuda.get() + ") reports no devices");
        List<CudaLibraries.Nvrtc> nvrtc = libs.findNvrtc();
        Optional<Path> nvcc = nvrtc.isEmpty() ? libs.findNvcc() : Optional.empty();
        if (nvrtc.isEmpty() && nvcc.isEmpty()) return Availability.unavailable(libs.compilerSearchDescription());
        int driver = CudaDriver.driverVersion();
        probe = new Probe(libcuda.get(), count, driver, nvrtc, nvcc);
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < count; i++) devices.add(CudaDriver.describeDevice(i));
        String compiler = !nvrtc.isEmpty() ? "NVRTC " + nvrtc.get(0).library() : "nvcc " + nvcc.get();
        return new Availability(true, count, count + " device(s): " + String.join("; ", devices) + "; driver CUDA " + driver / 1000 + "."
                + (driver % 1000) / 10 + "; kernels compiled by " + compiler);
    }

    @Override
    public Backend open(int index) {
        Availability a = availability();
        if (!a.available()) throw new BackendUnavailableException("cuda:" + index + " is unavailable: " + a.description());
        if (index < 0 || index >= a.deviceCount()) {
            throw new BackendUnavailableException("cuda:" + index + " does not exist; this machine has " + a.deviceCount() + " CUDA device(s)");
        }
        Probe p = probe;
        CudaLibraries libs = CudaLibraries.system();
        StringBuilder compilerTrouble = new StringBuilder();
        KernelCompiler compiler = null;
        String compilerDescription = null;
        // The newest NVRTC whose major version the driver supports: CUBIN from a newer major may not load.
        int driverMajor = p.driverVersion() / 1000;
        List<CudaLibraries.Nvrtc> ordered = new ArrayList<>();
        for (CudaLibraries.Nvrtc n : p.nvrtc()) if (n.major() <= driverMajor) ordered.add(n);
        for (CudaLibraries.Nvrtc n : p.nvrtc()) if (n.major() > driverMajor) ordered.add(n);
        for (CudaLibraries.Nvrtc n : ordered) {
            try {
                NvrtcCompiler c = new NvrtcCompiler(n);
                compiler = c;
                compilerDescription = c.description();
                break;
            } catch (Throwable t) {
                compilerTrouble.append("NVRTC ").append(n.library()).append(": ").append(t).append("; ");
            }
        }
        if (compiler == null) {
            Optional<Path> nvcc = p.nvcc().isPresent() ? p.nvcc() : libs.findNvcc();
            if (nvcc.isEmpty()) {
                throw new BackendUnavailableException("cuda:" + index + ": no kernel compiler could be loaded (" + compilerTrouble
                        + "and no nvcc found)");
            }
            NvccCompiler c = new NvccCompiler(nvcc.get());
            compiler = c;
            compilerDescription = c.description();
        }
        CudaDevice gpu = new CudaDevice(index, compiler, compilerDescription, CubinCache.standard());
        StringBuilder whyNot = new StringBuilder();
        CublasGemm cublas = CublasGemm.open(libs.findCublas(), new cudaStream_t(gpu.stream), whyNot);
        // A cuBLAS that loads may still fail or compute garbage (JCublas 12 runs on CUDA 13's libcublas): try it once.
        if (cublas != null && !"false".equalsIgnoreCase(System.getProperty(CudaGemm.PROP_CHECK))) {
            String bad;
            try {
                bad = CublasSmoke.run(cublas, gpu);
            } catch (RuntimeException e) {   // a sticky fault (the only thing it rethrows): the device is lost
                cublas.close();
                gpu.close();
                throw e;
            }
            if (bad != null) {
                cublas.close();
                cublas = null;
                whyNot.append("cuBLAS loaded but ").append(bad);
            }
        }
        // TMA descriptors only matter on Hopper (the wgmma GEMM); elsewhere the encoder is never looked up.
        StringBuilder tmaWhyNot = new StringBuilder();
        TensorMapSpec.Encoder tma = gpu.major >= 9 ? TensorMapSpec.Encoder.open(p.libcuda(), tmaWhyNot) : null;
        if (gpu.major < 9) tmaWhyNot.append("sm_").append(gpu.major).append(gpu.minor).append(" has no TMA");
        return new CudaBackend(gpu, cublas, whyNot.toString(), tma, tmaWhyNot.toString());
    }
}

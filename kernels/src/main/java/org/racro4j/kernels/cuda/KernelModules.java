package org.racro4j.kernels.cuda;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * The kernel families of one device: each compiled on first use (through the disk cache), loaded as a CUDA
 * module, and its functions looked up by name. Must be used with the device's context current.
 */
final class KernelModules {
    /** Options every family is compiled with, by NVRTC and nvcc alike (no fast-math: results must match the CPU). */
    static final List<String> OPTIONS = List.of("-std=c++17");

    private final KernelCompiler compiler;
    private final CubinCache cache;
    private final KernelCompiler.Target target;
    private final Map<String, CUmodule> modules = new ConcurrentHashMap<>();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();

    KernelModules(KernelCompiler compiler, CubinCache cache, KernelCompiler.Target target) {
        this.compiler = compiler;
        this.cache = cache;
        this.target = target;
    }

    KernelCompiler.Target target() {
        return target;
    }

    /** The function {@code kernel} of {@code family}.cu. */
    CUfunction function(String family, String kernel) {
        String key = family + "/" + kernel;
        CUfunction f = functions.get(key);
        if (f != null) return f;
        CUmodule module = module(family);
        f = new CUfunction();
        int rc = JCudaDriver.cuModuleGetFunction(f, module, kernel);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaException(CudaException.callMessage("cuModuleGetFunction(" + family + ".cu, " + kernel + ")", rc,
                    CudaDriver.errorString(rc)), rc);
        }
        functions.put(key, f);
        return f;
    }

    private CUmodule module(String family) {
        CUmodule m = modules.get(family);
        if (m != null) return m;
        synchronized (this) {
            m = modules.get(family);
            if (m != null) return m;
            m = load(family);
            modules.put(family, m);
            return m;
        }
    }

    private CUmodule load(String family) {
        KernelCompiler.Request request = new KernelCompiler.Request(family, KernelSources.source(family), KernelSources.headers(),
                OPTIONS, target);
        String key = CubinCache.key(request, compiler.identity());
        Optional<KernelCompiler.Image> cached = cache.load(key);
        if (cached.isPresent()) {
            CUmodule m = new CUmodule();
            if (JCudaDriver.cuModuleLoadData(m, cached.get().bytes()) == CUresult.CUDA_SUCCESS) return m;
            cache.remove(key);   // stale or damaged: compile again
        }
        KernelCompiler.Image image = compiler.compile(request);
        CUmodule m = new CUmodule();
        int rc = JCudaDriver.cuModuleLoadData(m, image.bytes());
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaException(CudaException.callMessage("cuModuleLoadData(" + family + ".cu, " + (image.ptx() ? "PTX" : "CUBIN")
                    + " for " + target.smName() + " from " + compiler.identity() + ")", rc, CudaDriver.errorString(rc)), rc);
        }
        cache.store(key, image);
        return m;
    }

    void unloadAll() {
        for (CUmodule m : modules.values()) JCudaDriver.cuModuleUnload(m);
        modules.clear();
        functions.clear();
    }
}

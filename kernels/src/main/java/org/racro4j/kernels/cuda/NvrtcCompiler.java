package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.lwjgl.PointerBuffer;
import org.lwjgl.cuda.NVRTC;
import org.lwjgl.system.Configuration;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * NVRTC through LWJGL's binding: CUDA C to CUBIN for the device's own architecture, in process. LWJGL loads
 * libnvrtc and libnvrtc-builtins when the NVRTC class initialises, from the absolute paths set here (it would
 * otherwise look for an unversioned libnvrtc in a toolkit folder). Compiling to CUBIN for the exact device
 * avoids the trap of PTX from an NVRTC newer than the driver (CUDA_ERROR_UNSUPPORTED_PTX_VERSION). Only when
 * this NVRTC is too old to know the device's architecture does it emit PTX for the newest one it knows, which
 * the (then newer) driver compiles.
 */
final class NvrtcCompiler implements KernelCompiler {
    private static final Object INIT = new Object();

    private final CudaLibraries.Nvrtc library;
    private final String version;
    private final int[] supportedArchs;

    /** Points LWJGL at this NVRTC and loads it. Throws (UnsatisfiedLinkError and friends) when it cannot. */
    NvrtcCompiler(CudaLibraries.Nvrtc library) {
        this.library = library;
        synchronized (INIT) {
            Configuration.CUDA_NVRTC_LIBRARY_NAME.set(library.library().toAbsolutePath().toString());
            // LWJGL insists on loading the builtins library itself; libnvrtc also finds its own beside it. With
            // no builtins found, pointing LWJGL at libnvrtc again satisfies the loader and changes nothing else.
            String builtins = library.builtins() != null ? library.builtins().toAbsolutePath().toString()
                    : library.library().toAbsolutePath().toString();
            Configuration.CUDA_NVRTC_BUILTINS_LIBRARY_NAME.set(builtins);
            try (MemoryStack stack = MemoryStack.stackPush()) {
                IntBuffer major = stack.mallocInt(1);
                IntBuffer minor = stack.mallocInt(1);
                check(NVRTC.nvrtcVersion(major, minor), "nvrtcVersion");
                this.version = major.get(0) + "." + minor.get(0);
                IntBuffer n = stack.mallocInt(1);
                check(NVRTC.nvrtcGetNumSupportedArchs(n), "nvrtcGetNumSupportedArchs");
                IntBuffer archs = stack.mallocInt(n.get(0));
                check(NVRTC.nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs");
                this.supportedArchs = new int[n.get(0)];
                archs.get(0, supportedArchs);
            }
        }
    }

    @Override
    public String identity() {
        return "nvrtc " + version;
    }

    String description() {
        return "NVRTC " + version + " (" + library.library() + ")";
    }

    boolean supports(int arch) {
        for (int a : supportedArchs) if (a == arch) return true;
        return false;
    }

    @Override
    public Image compile(Request request) {
        boolean cubin = supports(request.target().arch());
        List<String> options = new ArrayList<>();
        if (cubin) {
            options.add("--gpu-architecture=" + request.target().smName());
        } else {
            int best = 0;
            for (int a : supportedArchs) if (a <= request.target().arch()) best = Math.max(best, a);
            if (best == 0) {
                throw new CompileException("NVRTC " + version + " supports none of the architectures up to "
                        + request.target().smName() + " (it knows " + java.util.Arrays.toString(supportedArchs) + ")");
            }
            options.add("--gpu-architecture=compute_" + best);
        }
        options.addAll(request.options());
        byte[] out = run(request, options, cubin);
        return new Image(out, !cubin);
    }

    private byte[] run(Request request, List<String> options, boolean cubin) {
        List<ByteBuffer> owned = new ArrayList<>();
        PointerBuffer prog = MemoryUtil.memAllocPointer(1);
        PointerBuffer headerTexts = null;
        PointerBuffer headerNames = null;
        PointerBuffer opts = MemoryUtil.memAllocPointer(Math.max(1, options.size()));
        try {
            ByteBuffer src = own(owned, request.source());
            ByteBuffer name = own(owned, request.name() + ".cu");
            if (!request.headers().isEmpty()) {
                headerTexts = MemoryUtil.memAllocPointer(request.headers().size());
                headerNames = MemoryUtil.memAllocPointer(request.headers().size());
                for (Map.Entry<String, String> h : request.headers().entrySet()) {
                    headerNames.put(own(owned, h.getKey()));
                    headerTexts.put(own(owned, h.getValue()));
                }
                headerNames.flip();
                headerTexts.flip();
            }
            check(NVRTC.nvrtcCreateProgram(prog, src, name, headerTexts, headerNames), "nvrtcCreateProgram");
            long program = prog.get(0);
            try {
                for (String o : options) opts.put(own(owned, o));
                opts.flip();
                int rc = NVRTC.nvrtcCompileProgram(program, opts);
                if (rc != NVRTC.NVRTC_SUCCESS) {
                    throw new CompileException("NVRTC " + version + " failed to compile " + request.name() + ".cu for "
                            + request.target().smName() + " with " + options + ": " + NVRTC.nvrtcGetErrorString(rc) + "\n"
                            + log(program));
                }
                PointerBuffer size = MemoryUtil.memAllocPointer(1);
                try {
                    check(cubin ? NVRTC.nvrtcGetCUBINSize(program, size) : NVRTC.nvrtcGetPTXSize(program, size), "nvrtcGet*Size");
                    int n = (int) size.get(0);
                    ByteBuffer image = MemoryUtil.memAlloc(n);
                    try {
                        check(cubin ? NVRTC.nvrtcGetCUBIN(program, image) : NVRTC.nvrtcGetPTX(program, image), "nvrtcGet*");
                        byte[] bytes = new byte[n];
                        image.get(0, bytes);
                        return bytes;   // NVRTC's PTX already ends with its NUL
                    } finally {
                        MemoryUtil.memFree(image);
                    }
                } finally {
                    MemoryUtil.memFree(size);
                }
            } finally {
                NVRTC.nvrtcDestroyProgram(prog);
            }
        } finally {
            for (ByteBuffer b : owned) MemoryUtil.memFree(b);
            MemoryUtil.memFree(prog);
            MemoryUtil.memFree(opts);
            if (headerTexts != null) MemoryUtil.memFree(headerTexts);
            if (headerNames != null) MemoryUtil.memFree(headerNames);
        }
    }

    private static ByteBuffer own(List<ByteBuffer> owned, String s) {
        ByteBuffer b = MemoryUtil.memUTF8(s);
        owned.add(b);
        return b;
    }

    private static String log(long program) {
        PointerBuffer size = MemoryUtil.memAllocPointer(1);
        try {
            if (NVRTC.nvrtcGetProgramLogSize(program, size) != NVRTC.NVRTC_SUCCESS || size.get(0) <= 1) return "(no log)";
            ByteBuffer log = MemoryUtil.memAlloc((int) size.get(0));
            try {
                NVRTC.nvrtcGetProgramLog(program, log);
                return MemoryUtil.memUTF8(MemoryUtil.memAddress(log));
            } finally {
                MemoryUtil.memFree(log);
            }
        } finally {
            MemoryUtil.memFree(size);
        }
    }

    private static void check(int rc, String call) {
        if (rc != NVRTC.NVRTC_SUCCESS) throw new CompileException(call + " failed: " + NVRTC.nvrtcGetErrorString(rc));
    }
}

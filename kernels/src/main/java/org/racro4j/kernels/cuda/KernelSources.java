package org.racro4j.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The CUDA C sources of the kernel families, shipped as resources in {@code org/racro4j/kernels/cuda/}: one
 * {@code .cu} file per family plus the shared headers, and the generated header of op codes ({@link OpCodesHeader}).
 */
public final class KernelSources {
    /** Every kernel family, one .cu file each. */
    public static final List<String> FAMILIES = List.of("copy", "elementwise", "reduce", "softmax", "norms", "cross_entropy",
            "rope", "indexing", "philox", "sampling", "adamw", "matmul_tiled", "gemm_mma", "gemm_wgmma", "attention");

    /** Headers shipped with the sources, by include name (the generated ops.cuh is not among them). */
    public static final List<String> HEADERS = List.of("common.cuh", "philox.cuh", "gemm.cuh");

    static final String RESOURCE_DIR = "org/racro4j/kernels/cuda/";

    private KernelSources() {}

    /** The source of a family, e.g. "softmax" for softmax.cu. */
    public static String source(String family) {
        return resource(family + ".cu");
    }

    /** Include name to content of every header the sources may include: the shipped ones and the generated ops.cuh. */
    public static Map<String, String> headers() {
        java.util.LinkedHashMap<String, String> m = new java.util.LinkedHashMap<>();
        for (String h : HEADERS) m.put(h, resource(h));
        m.put(OpCodesHeader.NAME, OpCodesHeader.text());
        return m;
    }

    static String resource(String name) {
        String path = RESOURCE_DIR + name;
        try (InputStream in = KernelSources.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("kernel source " + path + " is missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading kernel source " + path, e);
        }
    }
}

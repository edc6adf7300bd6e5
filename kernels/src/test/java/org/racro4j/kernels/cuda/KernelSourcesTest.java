package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.ReduceOp;
import org.racro4j.core.UnaryOp;

/** The kernel sources: present, documented, and in agreement with the Java enums whose ordinals they use. */
class KernelSourcesTest {
    private static Map<String, Integer> defines(String source, String prefix) {
        Map<String, Integer> m = new HashMap<>();
        Matcher mm = Pattern.compile("#define " + prefix + "(\\w+) (\\d+)").matcher(source);
        while (mm.find()) m.put(mm.group(1), Integer.parseInt(mm.group(2)));
        return m;
    }

    @Test
    void everyCuFileOnTheClassPathIsAKnownFamily() throws Exception {
        // The module's own classes folder (test resources of the same package live elsewhere).
        java.nio.file.Path classes = java.nio.file.Path.of(KernelSources.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        java.nio.file.Path dir = classes.resolve(KernelSources.RESOURCE_DIR);
        assertTrue(java.nio.file.Files.isDirectory(dir), "kernel sources folder " + dir);
        java.util.Set<String> files = new java.util.TreeSet<>();
        java.util.Set<String> headers = new java.util.TreeSet<>();
        try (var s = java.nio.file.Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).forEach(n -> {
                if (n.endsWith(".cu")) files.add(n.substring(0, n.length() - 3));
                if (n.endsWith(".cuh")) headers.add(n);
            });
        }
        assertEquals(new java.util.TreeSet<>(KernelSources.FAMILIES), files, "a .cu file missing from KernelSources.FAMILIES is never compiled");
        assertEquals(new java.util.TreeSet<>(KernelSources.HEADERS), headers, "every header must reach NVRTC");
    }

    @Test
    void everyFamilyHasAHeaderWithMathLaunchAndBytes() {
        for (String family : KernelSources.FAMILIES) {
            String src = KernelSources.source(family);
            assertTrue(src.startsWith("// " + family + ".cu:"), family + ".cu must open with its header comment");
            int headerEnd = src.indexOf("#include");
            String header = src.substring(0, headerEnd);
            for (String section : new String[] {"// Math", "// Launch", "// Bytes moved"}) {
                assertTrue(header.contains(section), family + ".cu's header lacks a '" + section + "' section");
            }
        }
    }

    @Test
    void unaryOpCodesMatchTheEnum() {
        Map<String, Integer> codes = defines(KernelSources.headers().get(OpCodesHeader.NAME), "U_");
        for (UnaryOp op : UnaryOp.values()) assertEquals(op.ordinal(), codes.get(op.name()), "U_" + op.name());
        assertEquals(UnaryOp.values().length, codes.get("COUNT"));
    }

    @Test
    void binaryOpCodesMatchTheEnum() {
        Map<String, Integer> codes = defines(KernelSources.headers().get(OpCodesHeader.NAME), "B_");
        for (BinaryOp op : BinaryOp.values()) assertEquals(op.ordinal(), codes.get(op.name()), "B_" + op.name());
        assertEquals(BinaryOp.values().length, codes.get("COUNT"));
        assertEquals(BinaryOp.POW.ordinal() + 1, BinaryOp.EQ.ordinal(), "the contiguous kernels take the ops before EQ");
    }

    @Test
    void reduceAndDtypeCodesMatchTheEnums() {
        Map<String, Integer> r = defines(KernelSources.headers().get(OpCodesHeader.NAME), "R_");
        for (ReduceOp op : ReduceOp.values()) assertEquals(op.ordinal(), r.get(op.name()), "R_" + op.name());
        Map<String, Integer> dt = defines(KernelSources.headers().get(OpCodesHeader.NAME), "DT_");
        for (DType d : DType.values()) assertEquals(d.ordinal(), dt.get(d.name()), "DT_" + d.name());
    }

    @Test
    void javaConstantsMatchTheKernels() {
        assertTrue(KernelSources.source("adamw").contains("#define ADAMW_CHUNK " + AdamWTable.CHUNK));
        assertTrue(KernelSources.headers().get("common.cuh").contains("#define RACRO_MAX_DIMS " + StridedSpace.MAX_DIMS));
        assertTrue(KernelSources.headers().get("common.cuh").contains("sizeof(StridedSpace) == " + StridedSpace.STRUCT_BYTES));
        assertTrue(KernelSources.source("adamw").contains("sizeof(AdamWTensor) == " + AdamWTable.TENSOR_BYTES));
    }

    @Test
    void gemmActivationCodesAndStructSizesMatchTheJavaSide() {
        String gemm = KernelSources.headers().get("gemm.cuh");
        Map<String, Integer> act = defines(KernelSources.headers().get(OpCodesHeader.NAME), "ACT_");
        for (GemmEpilogue.Activation a : GemmEpilogue.Activation.values()) assertEquals(a.ordinal(), act.get(a.name()), "ACT_" + a.name());
        assertEquals(GemmEpilogue.Activation.values().length, act.get("COUNT"));
        assertTrue(gemm.contains("static_assert(sizeof(GemmEpilogue) == " + GemmEpilogue.BYTES + ","), "GemmEpilogue size");
        String attention = KernelSources.source("attention");
        assertTrue(attention.contains("static_assert(sizeof(AttnParams) == " + CudaAttention.PARAMS_BYTES + ","), "AttnParams size");
        assertTrue(attention.contains("static_assert(sizeof(DecodeParams) == " + CudaAttention.DECODE_PARAMS_BYTES + ","), "DecodeParams size");
        assertTrue(attention.contains("#define DEC_GMAX " + CudaAttention.DECODE_GROUP_MAX), "decode heads per round");
    }
}

package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.ReduceOp;
import org.racro4j.core.UnaryOp;

/** The generated ops.cuh: every code the kernels use is defined there, once, with the enum's ordinal. */
class OpCodesHeaderTest {
    private static final Pattern DEFINE = Pattern.compile("(?m)^#define (\\w+) (\\d+)$");
    /** An identifier with one of the code prefixes; a name that a file declares itself (B_K, B_PITCH in gemm_mma.cu) is local. */
    private static final Pattern CODE_USE = Pattern.compile("\\b(?:DT|U|B|R|ACT)_[A-Z0-9_]+\\b");

    private static Map<String, Integer> generated() {
        Map<String, Integer> m = new LinkedHashMap<>();
        Matcher mm = DEFINE.matcher(KernelSources.headers().get(OpCodesHeader.NAME));
        while (mm.find()) m.put(mm.group(1), Integer.parseInt(mm.group(2)));
        return m;
    }

    /** Every shipped source and header, by file name. */
    private static Map<String, String> shippedSources() {
        Map<String, String> all = new LinkedHashMap<>();
        for (String family : KernelSources.FAMILIES) all.put(family + ".cu", KernelSources.source(family));
        for (String h : KernelSources.HEADERS) all.put(h, KernelSources.resource(h));
        return all;
    }

    private static boolean declaredIn(String source, String name) {
        return Pattern.compile("(#define\\s+" + name + "\\b|\\b(?:int|bool|constexpr int)\\s+" + name + "\\b)").matcher(source).find();
    }

    @Test
    void everyCodeTheKernelsUseIsGenerated() {
        Map<String, Integer> codes = generated();
        List<String> missing = new ArrayList<>();
        TreeSet<String> used = new TreeSet<>();
        for (Map.Entry<String, String> f : shippedSources().entrySet()) {
            Matcher m = CODE_USE.matcher(f.getValue().replaceAll("//[^\n]*", ""));
            while (m.find()) {
                String name = m.group();
                if (declaredIn(f.getValue(), name)) continue;
                used.add(name);
                if (!codes.containsKey(name)) missing.add(f.getKey() + ": " + name);
            }
        }
        assertEquals(List.of(), missing, "codes used by the kernels but not defined by the generated " + OpCodesHeader.NAME);
        // The scan must see the kernels' switches, or it proves nothing.
        for (String sample : List.of("DT_BF16", "U_GELU_ERF_GRAD", "U_COUNT", "B_GE", "R_MAX", "ACT_SILU")) {
            assertTrue(used.contains(sample), sample + " is used by some kernel");
        }
    }

    @Test
    void noShippedSourceKeepsItsOwnCopyOfAGeneratedCode() {
        Map<String, Integer> codes = generated();
        List<String> copies = new ArrayList<>();
        for (Map.Entry<String, String> f : shippedSources().entrySet()) {
            Matcher m = DEFINE.matcher(f.getValue());
            while (m.find()) if (codes.containsKey(m.group(1))) copies.add(f.getKey() + ": " + m.group(1));
        }
        assertEquals(List.of(), copies, "hand-kept copies of generated codes");
    }

    @Test
    void eachValueIsTheEnumOrdinalAndTheCountsTheEnumSizes() {
        Map<String, Integer> codes = generated();
        Map<String, Integer> want = new LinkedHashMap<>();
        for (DType d : DType.values()) want.put("DT_" + d.name(), d.ordinal());
        for (UnaryOp op : UnaryOp.values()) want.put("U_" + op.name(), op.ordinal());
        want.put("U_COUNT", UnaryOp.values().length);
        for (BinaryOp op : BinaryOp.values()) want.put("B_" + op.name(), op.ordinal());
        want.put("B_COUNT", BinaryOp.values().length);
        for (ReduceOp op : ReduceOp.values()) want.put("R_" + op.name(), op.ordinal());
        for (GemmEpilogue.Activation a : GemmEpilogue.Activation.values()) want.put("ACT_" + a.name(), a.ordinal());
        want.put("ACT_COUNT", GemmEpilogue.Activation.values().length);
        assertEquals(want, codes);
        // Spot values written out by hand, independent of how the header is generated.
        assertEquals(28, codes.get("U_ERF"));
        assertEquals(29, codes.get("U_COUNT"));
        assertEquals(6, codes.get("B_POW"));
        assertEquals(4, codes.get("DT_I64"));
        assertEquals(2, codes.get("R_MIN"));
    }

    @Test
    void everyHeaderConsumerSeesIt() {
        // NVRTC (through KernelModules' requests), nvcc (NvccCompiler writes request.headers()) and the cubin cache key all
        // take KernelSources.headers(); the sources that use codes include ops.cuh.
        assertTrue(KernelSources.headers().containsKey("ops.cuh"));
        assertTrue(KernelSources.headers().get("common.cuh").contains("#include \"ops.cuh\""));
        for (String user : List.of("elementwise", "reduce")) {
            assertTrue(KernelSources.source(user).contains("#include \"ops.cuh\""), user + ".cu includes ops.cuh");
        }
    }
}

package org.racro4j.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.BackendUnavailableException;
import org.racro4j.core.Backends;
import org.racro4j.core.DType;

class GemmAndAttentionBenchTest {
    private static BackendProvider.Availability cuda() {
        return Backends.provider("cuda").availability();
    }

    @Test
    void theShapesAreTheIssues() {
        List<GemmBench.Shape> g = GemmBench.defaultShapes(4096);
        assertEquals(new GemmBench.Shape("square_4096", 1, 4096, 4096, 4096), g.get(0));
        assertEquals(2L * 4096 * 4096 * 4096, g.get(0).flops());
        assertTrue(g.stream().anyMatch(s -> s.n() == 151936 && s.k() == 896), "the tied LM head of Qwen2-0.5B");
        assertTrue(g.stream().anyMatch(s -> s.n() == 4864 && s.k() == 896) && g.stream().anyMatch(s -> s.n() == 896 && s.k() == 4864), "the MLP");
        assertTrue(g.stream().anyMatch(s -> s.n() == 128), "k/v projections: 2 KV heads of 64");
        List<AttentionBench.Shape> a = AttentionBench.defaultShapes();
        AttentionBench.Shape first = a.get(0);
        assertEquals(4096, first.seq());
        assertEquals(128, first.headDim());
        assertEquals(4.0 * 4 * 16 * 4096 * 4096 * 128, first.forwardFlops());
        assertEquals(first.forwardFlops() / 2, new AttentionBench.Shape(4, 16, 16, 4096, 128, true).forwardFlops(), "causal: half");
    }

    @Test
    void withoutAGpuTheySayWhy() {
        assumeFalse(cuda().available(), "a GPU is present: see smallRunsOnTheGpu");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> GemmBench.run(List.of(new GemmBench.Shape("s", 1, 64, 64, 64)), DType.BF16, "tn", 1));
        assertTrue(e.getMessage().contains(cuda().description()), e.getMessage());
        assertThrows(BackendUnavailableException.class, () -> AttentionBench.run(AttentionBench.defaultShapes(), DType.BF16, 1, false));
        assertThrows(IllegalArgumentException.class, () -> GemmBench.run(List.of(), DType.BF16, "tt", 1));
    }

    @Test
    @Tag("gpu")
    void smallRunsOnTheGpu() {
        assumeTrue(cuda().available(), "no CUDA GPU: " + cuda().description());
        List<String> lines = GemmBench.run(List.of(new GemmBench.Shape("small", 1, 512, 768, 320)), DType.BF16, "tn", 3);
        assertEquals(4, lines.size(), lines.toString());
        for (String line : lines) {
            System.out.println(line);
            assertTrue(line.contains("\"tflops\":") || line.contains("\"skipped\":"), line);
            if (line.contains("\"rel_err\":")) {
                double err = Double.parseDouble(line.replaceAll(".*\"rel_err\":([^,}]+).*", "$1"));
                assertTrue(err < 2e-2, "every rung computes the same product: " + line);
            }
        }
        for (String line : AttentionBench.run(List.of(new AttentionBench.Shape(1, 4, 2, 512, 128, true)), DType.BF16, 3, true)) {
            System.out.println(line);
            assertTrue(line.contains("\"tflops\":"), line);
        }
    }
}

package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.racro4j.kernels.cuda.GemmPlan.Choice;
import org.racro4j.kernels.cuda.GemmPlan.Rung;

/** The GEMM ladder's fall-through rules, with synthetic failures instead of a GPU. */
class GemmFallbackTest {
    private static final Choice WGMMA = new Choice(Rung.WGMMA, "gemm_wgmma", "gemm_wgmma_bf16_128x256_akbk", null, true, true, 64, 64,
            GemmPlan.WgmmaConfig.TILE_128x256);
    private static final Choice MMA = new Choice(Rung.MMA, "gemm_mma", "gemm_mma_bf16_akbk", null, true, true, 64, 64, null);
    private static final Choice CUBLAS = new Choice(Rung.CUBLAS, null, null, null, false, false, 0, 0, null);
    private static final Choice TILED = new Choice(Rung.TILED, "matmul_tiled", "matmul_tiled_bf16", null, false, false, 0, 0, null);

    /** Runs the ladder where each rung in failures throws its exception; records the launches and the disable reasons. */
    private static final class Ladder {
        final List<Rung> launched = new ArrayList<>();
        final List<String> disabled = new ArrayList<>();
        final Map<Rung, RuntimeException> runtimeFailures;
        final Map<Rung, Error> errors;

        Ladder(Map<Rung, RuntimeException> runtimeFailures, Map<Rung, Error> errors) {
            this.runtimeFailures = runtimeFailures;
            this.errors = errors;
        }

        Choice run(List<Choice> choices, boolean only) {
            return GemmFallback.runFirst(choices, only, c -> true, c -> {
                launched.add(c.rung());
                if (runtimeFailures.containsKey(c.rung())) throw runtimeFailures.get(c.rung());
                if (errors.containsKey(c.rung())) throw errors.get(c.rung());
            }, disabled::add, () -> "a 3x5x7 BF16 product");
        }
    }

    private static final List<Choice> ALL = List.of(WGMMA, MMA, CUBLAS, TILED);

    @Test
    void aFailedCublasCallFallsThroughAndSwitchesCublasOff() {
        Ladder l = new Ladder(Map.of(Rung.CUBLAS, new CublasGemm.Failure("cublasGemmStridedBatchedEx(BF16) failed: CUBLAS_STATUS_NOT_SUPPORTED",
                15)), Map.of());
        assertSame(TILED, l.run(List.of(CUBLAS, TILED), false));
        assertEquals(List.of(Rung.CUBLAS, Rung.TILED), l.launched);
        assertEquals(1, l.disabled.size());
        assertTrue(l.disabled.get(0).contains("CUBLAS_STATUS_NOT_SUPPORTED"), l.disabled.get(0));
        assertFalse(l.disabled.get(0).contains("\n"), "one line");
    }

    @Test
    void aMissingCublasNativeFallsThroughToo() {
        Ladder l = new Ladder(Map.of(), Map.of(Rung.CUBLAS, new UnsatisfiedLinkError("libcublas.so.12: cannot open shared object\nfile")));
        assertSame(TILED, l.run(List.of(CUBLAS, TILED), false));
        assertTrue(l.disabled.get(0).startsWith("a product failed (UnsatisfiedLinkError: libcublas.so.12"), l.disabled.get(0));
        assertFalse(l.disabled.get(0).contains("\n"), "one line");
        // A CUDA error that is not sticky (cuBLAS running out of workspace, say) is a cuBLAS failure as well.
        Ladder oom = new Ladder(Map.of(Rung.CUBLAS, new CudaException("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY", 2)), Map.of());
        assertSame(TILED, oom.run(List.of(CUBLAS, TILED), false));
        assertEquals(1, oom.disabled.size());
    }

    @Test
    void aRefusedTensorMapFallsThroughWithoutDisablingAnything() {
        Ladder l = new Ladder(Map.of(Rung.WGMMA, new CudaException("cuTensorMapEncodeTiled failed: CUDA_ERROR_INVALID_VALUE", 1)), Map.of());
        assertSame(MMA, l.run(ALL, false));
        assertEquals(List.of(Rung.WGMMA, Rung.MMA), l.launched);
        assertTrue(l.disabled.isEmpty());
        Ladder refused = new Ladder(Map.of(Rung.WGMMA, new IllegalArgumentException("box exceeds the tensor")), Map.of());
        assertSame(MMA, refused.run(ALL, false));
    }

    @Test
    void stickyFaultsAreRethrownAndNeverSwallowed() {
        for (int code : new int[] {700, 714, 715, 716, 717, 718, 719}) {
            CudaException fault = new CudaException("cuStreamSynchronize failed: code " + code, code);
            for (Rung r : new Rung[] {Rung.WGMMA, Rung.MMA, Rung.CUBLAS, Rung.TILED}) {
                Ladder l = new Ladder(Map.of(r, fault), Map.of());
                List<Choice> fromR = ALL.subList(ALL.stream().map(Choice::rung).toList().indexOf(r), ALL.size());
                CudaException thrown = assertThrows(CudaException.class, () -> l.run(fromR, false), r + " code " + code);
                assertSame(fault, thrown);
                assertEquals(List.of(r), l.launched, "nothing runs after a sticky fault");
                assertTrue(l.disabled.isEmpty(), "cuBLAS is not blamed for a dead context");
            }
        }
        CudaGemm.KernelHang hang = new CudaGemm.KernelHang("gemm_wgmma did not finish");
        Ladder l = new Ladder(Map.of(Rung.WGMMA, hang), Map.of());
        assertSame(hang, assertThrows(CudaGemm.KernelHang.class, () -> l.run(ALL, false)));
        // Wrapped: the cause decides.
        assertTrue(GemmFallback.stickyFault(new IllegalStateException("while checking", new CudaException("x", 700))));
        assertFalse(GemmFallback.stickyFault(new CudaException("launch out of resources", 701)));
    }

    @Test
    void whenTheLastRungFailsTooTheFirstFailureIsReported() {
        CudaException first = new CudaException("cuTensorMapEncodeTiled failed", 1);
        CublasGemm.Failure second = new CublasGemm.Failure("CUBLAS_STATUS_EXECUTION_FAILED", 13);
        CudaException third = new CudaException("matmul_tiled failed to launch: CUDA_ERROR_INVALID_VALUE", 1);
        Ladder l = new Ladder(Map.of(Rung.WGMMA, first, Rung.CUBLAS, second, Rung.TILED, third), Map.of());
        CudaException thrown = assertThrows(CudaException.class, () -> l.run(List.of(WGMMA, CUBLAS, TILED), false));
        assertSame(first, thrown);
        assertEquals(List.of(second, third), List.of(thrown.getSuppressed()));
        assertEquals(List.of(Rung.WGMMA, Rung.CUBLAS, Rung.TILED), l.launched);
        // First failure an Error (JCublas's native missing): reported wrapped, with the error as the cause.
        UnsatisfiedLinkError link = new UnsatisfiedLinkError("no JCublas2");
        Ladder e = new Ladder(Map.of(Rung.TILED, third), Map.of(Rung.CUBLAS, link));
        IllegalStateException wrapped = assertThrows(IllegalStateException.class, () -> e.run(List.of(CUBLAS, TILED), false));
        assertSame(link, wrapped.getCause());
        assertTrue(wrapped.getMessage().contains("a 3x5x7 BF16 product"), wrapped.getMessage());
    }

    @Test
    void aRungAskedForAloneFailsAloud() {
        CudaException refused = new CudaException("cuTensorMapEncodeTiled failed", 1);
        Ladder l = new Ladder(Map.of(Rung.WGMMA, refused), Map.of());
        assertSame(refused, assertThrows(CudaException.class, () -> l.run(List.of(WGMMA), true)));
        CublasGemm.Failure broken = new CublasGemm.Failure("CUBLAS_STATUS_INTERNAL_ERROR", 14);
        Ladder c = new Ladder(Map.of(Rung.CUBLAS, broken), Map.of());
        assertSame(broken, assertThrows(CublasGemm.Failure.class, () -> c.run(List.of(CUBLAS), true)));
        assertEquals(1, c.disabled.size(), "a broken cuBLAS is switched off even when asked for alone");
    }

    @Test
    void bugsAreNotMistakenForRefusals() {
        NullPointerException bug = new NullPointerException("config");
        Ladder l = new Ladder(Map.of(Rung.WGMMA, bug), Map.of());
        assertSame(bug, assertThrows(NullPointerException.class, () -> l.run(ALL, false)));
        assertEquals(GemmFallback.Action.RETHROW, GemmFallback.onFailure(Rung.MMA, false, new IllegalStateException("x")));
        assertEquals(GemmFallback.Action.RETHROW, GemmFallback.onFailure(Rung.CUBLAS, false, new AssertionError("x")));
    }

    @Test
    void untrustedChoicesAreSkippedAndAnEmptyLadderSaysSo() {
        List<Rung> launched = new ArrayList<>();
        Choice ran = GemmFallback.runFirst(ALL, false, c -> c.rung() != Rung.WGMMA, c -> launched.add(c.rung()), s -> {}, () -> "p");
        assertSame(MMA, ran);
        assertEquals(List.of(Rung.MMA), launched);
        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> GemmFallback.runFirst(ALL, false, c -> false, c -> {}, s -> {}, () -> "a 3x5x7 BF16 product"));
        assertTrue(none.getMessage().contains("no GEMM kernel can run a 3x5x7 BF16 product"));
    }
}

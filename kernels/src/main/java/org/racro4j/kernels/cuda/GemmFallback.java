package org.racro4j.kernels.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What {@link CudaGemm} does when a rung fails to run a product, apart from the launching itself so that it is
 * tested without a GPU:
 * <ul>
 * <li>a sticky CUDA fault ({@link CudaException#isSticky()}: the context is dead, every later call fails too) or a
 * hung kernel is rethrown at once: no other rung could run on that context, and hiding it would only move the
 * failure somewhere less clear;</li>
 * <li>a cuBLAS failure (an error status, or JCublas's native code missing or mislinked: JCublas 12 is retargeted to
 * CUDA 13's libcublas, unverified) falls through to the next rung and switches cuBLAS off for the process;</li>
 * <li>a tensor-core or tiled kernel that refuses a launch (a tensor map the driver cannot encode, a launch it
 * rejects) falls through to the next rung;</li>
 * <li>anything else (a bug in this code) is rethrown;</li>
 * <li>when the last rung fails too, the first failure is thrown, the later ones attached as suppressed.</li>
 * </ul>
 * With a single rung asked for (the GEMM bench's matmulOn) nothing falls through: its failure is the answer.
 */
final class GemmFallback {
    enum Action { NEXT_RUNG, DISABLE_CUBLAS_AND_NEXT, DISABLE_CUBLAS_AND_RETHROW, RETHROW }

    private GemmFallback() {}

    /** Whether t, or one of its causes, is a sticky CUDA fault or a hung kernel. */
    static boolean stickyFault(Throwable t) {
        Throwable e = t;
        for (int depth = 0; e != null && depth < 16; depth++, e = e.getCause()) {
            if (e instanceof CudaGemm.KernelHang) return true;
            if (e instanceof CudaException ce && ce.isSticky()) return true;
        }
        return false;
    }

    /** What to do after rung r failed with t; onlyRung when the caller asked for r alone. */
    static Action onFailure(GemmPlan.Rung r, boolean onlyRung, Throwable t) {
        if (stickyFault(t)) return Action.RETHROW;
        if (r == GemmPlan.Rung.CUBLAS) {
            if (!(t instanceof RuntimeException || t instanceof LinkageError)) return Action.RETHROW;
            return onlyRung ? Action.DISABLE_CUBLAS_AND_RETHROW : Action.DISABLE_CUBLAS_AND_NEXT;
        }
        if (onlyRung) return Action.RETHROW;
        return t instanceof IllegalArgumentException || t instanceof CudaException ? Action.NEXT_RUNG : Action.RETHROW;
    }

    /** The one-line reason cuBLAS is switched off after t. */
    static String cublasReason(Throwable t) {
        String m = t.getMessage();
        return "a product failed (" + t.getClass().getSimpleName() + (m == null ? "" : ": " + m.replaceAll("\\s+", " ").trim()) + ")";
    }

    /** Launches one choice; may throw anything the launch throws. */
    interface Launcher {
        void launch(GemmPlan.Choice c);
    }

    /**
     * Tries the choices in order (those {@code trusted} accepts) and returns the first that ran; see the class
     * comment for what a failure leads to. {@code disableCublas} receives the reason when cuBLAS is switched off.
     */
    static GemmPlan.Choice runFirst(List<GemmPlan.Choice> choices, boolean onlyRung, Predicate<GemmPlan.Choice> trusted, Launcher launcher,
                                    Consumer<String> disableCublas, Supplier<String> problem) {
        List<Throwable> failures = new ArrayList<>();
        for (GemmPlan.Choice c : choices) {
            if (!trusted.test(c)) continue;
            try {
                launcher.launch(c);
                return c;
            } catch (RuntimeException | LinkageError e) {
                Action a = onFailure(c.rung(), onlyRung, e);
                if (a == Action.DISABLE_CUBLAS_AND_NEXT || a == Action.DISABLE_CUBLAS_AND_RETHROW) disableCublas.accept(cublasReason(e));
                if (a == Action.RETHROW || a == Action.DISABLE_CUBLAS_AND_RETHROW) {
                    for (Throwable f : failures) e.addSuppressed(f);
                    throw e;
                }
                failures.add(e);
            }
        }
        if (failures.isEmpty()) throw new IllegalStateException("no GEMM kernel can run " + problem.get());
        Throwable first = failures.get(0);
        RuntimeException out = first instanceof RuntimeException re ? re
                : new IllegalStateException("every GEMM kernel failed on " + problem.get() + "; the first: " + first, first);
        for (Throwable f : failures.subList(1, failures.size())) out.addSuppressed(f);
        throw out;
    }
}

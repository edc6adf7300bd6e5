package org.racro4j.core;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Row-major copies W^T [in, out] of linear weights W [out, in], which {@link Functional#linear} uses on
 * the thread that opened them while autograd is off, until they are closed. On the CPU a product with few rows (a
 * decode step) against a row-major B streams B in place, while a transposed B goes to a dot-product kernel that pays a
 * horizontal sum per output: measured on this 2-core VM, one thread, x [8, 128] times a [128, 512] weight ran at 183
 * GFLOP/s row-major against 20 through W^T, and [64, 384] x [384, 128] at 215 against 100. A generation transposes
 * the weights once (one pass over them) and then runs dozens of steps.
 *
 * <p>The copies are a snapshot: valid while the weights do not change, which holds for a generate call (no gradient, no
 * optimizer step). They are per thread, so concurrent generations on one model do not share or close each other's.
 */
public final class TransposedWeights implements AutoCloseable {
    private static final ThreadLocal<TransposedWeights> ACTIVE = new ThreadLocal<>();

    private final Map<Tensor, Tensor> copies = new IdentityHashMap<>();
    private final TransposedWeights outer;
    private boolean closed;

    private TransposedWeights(List<Tensor> weights) {
        this.outer = ACTIVE.get();
        Scope.unscoped(() -> {
            try (Autograd.Mode off = Autograd.noGrad()) {
                for (Tensor w : weights) {
                    if (w.dim() != 2) throw new IllegalArgumentException("TransposedWeights: a weight must be [out, in], got " + w.shape().length + "-D");
                    copies.computeIfAbsent(w, x -> x.t().contiguous());
                }
            }
            return null;
        });
        ACTIVE.set(this);
    }

    /** Copies of these weights for the calling thread, used by Functional.linear until closed. */
    public static TransposedWeights of(List<Tensor> weights) {
        return new TransposedWeights(weights);
    }

    /** The calling thread's row-major copy of w, or null (none open, or autograd on: gradients must reach w itself). */
    public static Tensor lookup(Tensor w) {
        TransposedWeights active = ACTIVE.get();
        if (active == null || Autograd.isEnabled()) return null;
        return active.copies.get(w);
    }

    /** Frees the copies; the thread goes back to the copies open before these, if any. Close on the opening thread. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (ACTIVE.get() == this) {
            if (outer == null) ACTIVE.remove();
            else ACTIVE.set(outer);
        }
        for (Tensor t : copies.values()) t.close();
        copies.clear();
    }
}

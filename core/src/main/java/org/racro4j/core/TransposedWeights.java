package org.racro4j.core;

import java.util.ArrayList;
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
 * <p>Where the backend keeps matrix operands in its kernel's layout ({@link PackedOperands}: the CPU in vector mode),
 * each copy is also packed, so that the products of every step read their weights front to back: a group rollout
 * (layers 4, dim 256, batch 64, one thread) decoded 7.0-7.4k tokens/s unpacked and 8.0-8.6k packed, same bits.
 *
 * <p>The copies are a snapshot: valid while the weights do not change, which holds for a generate call (no gradient, no
 * optimizer step). They must not be changed either: a packed copy would not see it. They are per thread, so
 * concurrent generations on one model do not share or close each other's.
 */
public final class TransposedWeights implements AutoCloseable {
    /** -D property: false leaves the copies unpacked (to measure what packing gains; results are the same bits). */
    public static final String PROP_PACKED = "racro4j.packedWeights";
    private static final ThreadLocal<TransposedWeights> ACTIVE = new ThreadLocal<>();

    private final Map<Tensor, Tensor> copies = new IdentityHashMap<>();
    /** The copies packed in their backend's kernel layout, where it has one ({@link PackedOperands}). */
    private final List<AutoCloseable> packed = new ArrayList<>();
    private final TransposedWeights outer;
    private boolean closed;

    private TransposedWeights(List<Tensor> weights) {
        this.outer = ACTIVE.get();
        boolean pack = packs(weights);
        Scope.unscoped(() -> {
            try (Autograd.Mode off = Autograd.noGrad()) {
                for (Tensor w : weights) {
                    if (w.dim() != 2) throw new IllegalArgumentException("TransposedWeights: a weight must be [out, in], got " + w.shape().length + "-D");
                    if (copies.containsKey(w)) continue;
                    Tensor copy = w.t().contiguous();
                    copies.put(w, copy);
                    if (copy.backend() instanceof PackedOperands p && copy.dtype() == DType.F32 && pack) packed.add(p.pack(copy));
                }
            }
            return null;
        });
        ACTIVE.set(this);
    }

    /**
     * Whether the copies are also packed ({@link PackedOperands}): while their packed form, a second copy, takes at
     * most a sixteenth of the heap.
     */
    private static boolean packs(List<Tensor> weights) {
        if ("false".equalsIgnoreCase(System.getProperty(PROP_PACKED))) return false;
        long bytes = 0;
        for (Tensor w : weights) bytes += w.numel() * 4L;
        return bytes <= Runtime.getRuntime().maxMemory() / 16;
    }

    /** Copies of these weights for the calling thread, used by Functional.linear until closed. */
    public static TransposedWeights of(List<Tensor> weights) {
        return new TransposedWeights(weights);
    }

    /** The copies open on the calling thread (the innermost), or null. */
    public static TransposedWeights current() {
        return ACTIVE.get();
    }

    /**
     * Makes these copies the calling thread's too until the returned handle closes: for a thread that runs part of the
     * opener's work (a row part of a decode step, {@code CausalLM.decodeStep}). The copies stay the opener's to close.
     */
    public Borrowed borrow() {
        if (closed) throw new IllegalStateException("TransposedWeights: the copies are closed");
        Borrowed b = new Borrowed(ACTIVE.get());
        ACTIVE.set(this);
        return b;
    }

    /** A thread's use of copies another thread opened ({@link #borrow}); closing it restores what the thread had. */
    public static final class Borrowed implements AutoCloseable {
        private final TransposedWeights saved;

        private Borrowed(TransposedWeights saved) {
            this.saved = saved;
        }

        @Override
        public void close() {
            if (saved == null) ACTIVE.remove();
            else ACTIVE.set(saved);
        }
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
        for (AutoCloseable p : packed) {
            try {
                p.close();
            } catch (Exception e) {
                throw new IllegalStateException("TransposedWeights: could not free a packed copy", e);
            }
        }
        packed.clear();
        for (Tensor t : copies.values()) t.close();
        copies.clear();
    }
}

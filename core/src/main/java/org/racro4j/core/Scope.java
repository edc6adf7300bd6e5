package org.racro4j.core;

import java.util.ArrayList;

/**
 * Deterministic memory release. Every tensor created while a scope is open on this thread belongs to the
 * innermost open scope; closing the scope closes them all (their storage goes back to the backend at once),
 * except those handed out with {@link #keep}. Tensors created with no scope open belong to the caller, who
 * closes them (model parameters and optimizer state live this way).
 *
 * <pre>{@code
 * try (Scope step = Scope.open()) {
 *     Tensor loss = model.forward(batch).crossEntropy(...);
 *     loss.backward();
 *     optimizer.step();
 * }   // activations, saved tensors and temporaries are freed here; parameters and their grads stay
 * }</pre>
 *
 * Scopes nest and must be closed in the reverse order of opening (try-with-resources does this).
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

    private final Scope parent;
    private final Thread owner;
    private final ArrayList<Tensor> owned = new ArrayList<>();
    private boolean closed;

    private Scope(Scope parent) {
        this.parent = parent;
        this.owner = Thread.currentThread();
    }

    public static Scope open() {
        Scope s = new Scope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    public static Scope current() {
        return CURRENT.get();
    }

    /** Hands {@code t} to the enclosing scope (or to the caller if there is none) so it survives this scope's close. */
    public Tensor keep(Tensor t) {
        if (t.scope == this) {
            t.scope = parent;
            if (parent != null) parent.owned.add(t);
        }
        return t;
    }

    /**
     * Takes {@code t} out of whatever scope owns it: the caller now closes it. Used for tensors that outlive
     * any step, such as parameters, gradients and optimizer state.
     */
    public static Tensor escape(Tensor t) {
        t.scope = null;
        return t;
    }

    /** Runs {@code body} with no scope open, so what it creates belongs to the caller. */
    public static <T> T unscoped(java.util.function.Supplier<T> body) {
        Scope saved = CURRENT.get();
        CURRENT.remove();
        try {
            return body.get();
        } finally {
            if (saved != null) CURRENT.set(saved);
        }
    }

    static void register(Tensor t) {
        Scope s = CURRENT.get();
        if (s != null) {
            t.scope = s;
            s.owned.add(t);
        }
    }

    /** Number of tensors this scope still owns (for tests and diagnostics). */
    public int ownedCount() {
        int n = 0;
        for (Tensor t : owned) if (t.scope == this && !t.isClosed()) n++;
        return n;
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a scope must be closed on the thread that opened it");
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("scopes must be closed innermost first; an inner scope is still open");
        }
        closed = true;
        CURRENT.set(parent);
        if (parent == null) CURRENT.remove();
        for (int i = owned.size() - 1; i >= 0; i--) {
            Tensor t = owned.get(i);
            if (t.scope == this) t.close();
        }
        owned.clear();
    }
}

package org.racro4j.core.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.racro4j.core.Autograd;
import org.racro4j.core.Backend;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter): m and v are F32 whatever the parameter dtype, the
 * update is bias-corrected, and weight decay multiplies the parameter by (1 - lr * wd) instead of entering
 * the gradient. Parameters come in groups with their own weight decay (norms and biases usually get 0).
 * A parameter without a gradient is left alone by a step, moments and weight decay included, and its bias
 * correction counts only the steps it took part in (as PyTorch's per-parameter step): in PRCO a minibatch of
 * text-only Solver rollouts gives the vision tower no gradient. One fused multi-tensor kernel per device and
 * step count.
 */
public final class AdamW implements AutoCloseable {
    /** Parameters sharing a weight decay. */
    public record Group(List<Tensor> params, float weightDecay) {}

    private final List<Group> groups;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private float lr;
    private long step;
    private final Map<Tensor, Moments> state = new java.util.IdentityHashMap<>();

    /** A parameter's first and second moments and the number of steps that updated it (also as a tensor, for checkpoints). */
    private static final class Moments {
        final Tensor m;
        final Tensor v;
        final Tensor stepsTensor;
        long steps;

        Moments(Tensor m, Tensor v, Tensor stepsTensor) {
            this.m = m;
            this.v = v;
            this.stepsTensor = stepsTensor;
        }
    }

    /** The parameters one fused kernel call updates: same device, same bias correction. */
    private record KernelCall(Device device, long steps) {}

    public AdamW(List<Tensor> params, float lr, float weightDecay) {
        this(List.of(new Group(params, weightDecay)), lr, 0.9f, 0.999f, 1e-8f);
    }

    public AdamW(List<Group> groups, float lr, float beta1, float beta2, float eps) {
        if (lr < 0 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || eps <= 0) {
            throw new IllegalArgumentException("AdamW: need lr >= 0, betas in [0, 1), eps > 0; got lr=" + lr + " betas=("
                    + beta1 + ", " + beta2 + ") eps=" + eps);
        }
        this.groups = List.copyOf(groups);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /**
     * Splits parameters into a decayed group (matrices and embeddings, rank &gt;= 2) and an undecayed one
     * (biases and norm scales), the usual choice for transformers.
     */
    public static AdamW forTransformer(List<Tensor> params, float lr, float weightDecay, float beta1, float beta2, float eps) {
        List<Tensor> decay = new ArrayList<>();
        List<Tensor> noDecay = new ArrayList<>();
        for (Tensor p : params) (p.dim() >= 2 ? decay : noDecay).add(p);
        return new AdamW(List.of(new Group(decay, weightDecay), new Group(noDecay, 0f)), lr, beta1, beta2, eps);
    }

    public float lr() {
        return lr;
    }

    public void setLr(float lr) {
        this.lr = lr;
    }

    public long stepCount() {
        return step;
    }

    /** Applies one update to every parameter that has a gradient. */
    public void step() {
        step++;
        try (Autograd.Mode off = Autograd.noGrad()) {
            for (Group g : groups) {
                // one kernel call per device and per-parameter step count (the bias correction depends on it)
                Map<KernelCall, List<Tensor>[]> calls = new LinkedHashMap<>();
                for (Tensor p : g.params()) {
                    if (p.grad() == null) continue;
                    Moments mv = state.computeIfAbsent(p, AdamW::newState);
                    mv.steps++;
                    @SuppressWarnings("unchecked")
                    List<Tensor>[] lists = calls.computeIfAbsent(new KernelCall(p.device(), mv.steps),
                            k -> new List[] {new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>()});
                    lists[0].add(p);
                    lists[1].add(p.grad());
                    lists[2].add(mv.m);
                    lists[3].add(mv.v);
                }
                for (var e : calls.entrySet()) {
                    List<Tensor>[] l = e.getValue();
                    e.getKey().device().backend().adamw(l[0], l[1], l[2], l[3],
                            new Backend.AdamWHyper(lr, beta1, beta2, eps, g.weightDecay(), e.getKey().steps()));
                }
            }
        }
    }

    private static Moments newState(Tensor p) {
        return Scope.unscoped(() -> new Moments(Tensor.zeros(DType.F32, p.device(), p.shape()), Tensor.zeros(DType.F32, p.device(), p.shape()),
                Tensor.ofLongs(new long[] {0}, 1)));
    }

    public void zeroGrad() {
        for (Group g : groups) for (Tensor p : g.params()) p.zeroGrad();
    }

    /**
     * The moments by parameter position ("m.0", "v.0", ...) and the number of steps that updated each parameter
     * ("step.0", a one-element I64 tensor on the CPU), only for parameters that have been stepped, for checkpoints.
     * The count of {@link #step()} calls is not in the map: save {@link #stepCount()} alongside and pass it back to
     * {@link #loadStateDict}. The tensors are the optimizer's own: do not close them.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        int i = 0;
        for (Group g : groups) {
            for (Tensor p : g.params()) {
                Moments mv = state.get(p);
                if (mv != null) {
                    out.put("m." + i, mv.m);
                    out.put("v." + i, mv.v);
                    try (Scope s = Scope.open()) {
                        mv.stepsTensor.copyFrom(Tensor.ofLongs(new long[] {mv.steps}, 1));
                    }
                    out.put("step." + i, mv.stepsTensor);
                }
                i++;
            }
        }
        return out;
    }

    /**
     * Restores moments saved by {@link #stateDict()} and the step count. A state without "step.i" (written before
     * per-parameter counts) gives every restored parameter the step count.
     */
    public void loadStateDict(Map<String, Tensor> saved, long stepCount) {
        int i = 0;
        for (Group g : groups) {
            for (Tensor p : g.params()) {
                Tensor m = saved.get("m." + i);
                Tensor v = saved.get("v." + i);
                if ((m == null) != (v == null)) throw new IllegalArgumentException("AdamW state: m." + i + " and v." + i + " must both be present");
                if (m != null) {
                    Moments mv = state.computeIfAbsent(p, AdamW::newState);
                    mv.m.copyFrom(m);
                    mv.v.copyFrom(v);
                    Tensor steps = saved.get("step." + i);
                    mv.steps = steps == null ? stepCount : stepsOf(steps, i);
                }
                i++;
            }
        }
        this.step = stepCount;
    }

    private static long stepsOf(Tensor t, int i) {
        if (t.dtype() != DType.I64 || t.numel() != 1) {
            throw new IllegalArgumentException("AdamW state: step." + i + " must be one I64 value, got " + t.dtype() + " of " + t.numel());
        }
        long[] v = t.toLongArray();
        if (v[0] < 1) throw new IllegalArgumentException("AdamW state: step." + i + " must be >= 1, got " + v[0]);
        return v[0];
    }

    @Override
    public void close() {
        for (Moments mv : state.values()) {
            mv.m.close();
            mv.v.close();
            mv.stepsTensor.close();
        }
        state.clear();
    }
}

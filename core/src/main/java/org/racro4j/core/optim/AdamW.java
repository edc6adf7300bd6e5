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
 * One fused multi-tensor kernel per device and step.
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
    private final Map<Tensor, Tensor[]> state = new java.util.IdentityHashMap<>();

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
                Map<Device, List<Tensor>[]> byDevice = new LinkedHashMap<>();
                for (Tensor p : g.params()) {
                    if (p.grad() == null) continue;
                    Tensor[] mv = state.computeIfAbsent(p, AdamW::newState);
                    @SuppressWarnings("unchecked")
                    List<Tensor>[] lists = byDevice.computeIfAbsent(p.device(),
                            d -> new List[] {new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>()});
                    lists[0].add(p);
                    lists[1].add(p.grad());
                    lists[2].add(mv[0]);
                    lists[3].add(mv[1]);
                }
                Backend.AdamWHyper h = new Backend.AdamWHyper(lr, beta1, beta2, eps, g.weightDecay(), step);
                for (var e : byDevice.entrySet()) {
                    List<Tensor>[] l = e.getValue();
                    e.getKey().backend().adamw(l[0], l[1], l[2], l[3], h);
                }
            }
        }
    }

    private static Tensor[] newState(Tensor p) {
        return Scope.unscoped(() -> new Tensor[] {
                Tensor.zeros(DType.F32, p.device(), p.shape()), Tensor.zeros(DType.F32, p.device(), p.shape())});
    }

    public void zeroGrad() {
        for (Group g : groups) for (Tensor p : g.params()) p.zeroGrad();
    }

    /**
     * The moments by parameter position ("m.0", "v.0", ...; only for parameters that have been stepped), for
     * checkpoints. The step count is not in the map: save {@link #stepCount()} alongside and pass it back to
     * {@link #loadStateDict}. The tensors are the optimizer's own: do not close them.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        int i = 0;
        for (Group g : groups) {
            for (Tensor p : g.params()) {
                Tensor[] mv = state.get(p);
                if (mv != null) {
                    out.put("m." + i, mv[0]);
                    out.put("v." + i, mv[1]);
                }
                i++;
            }
        }
        return out;
    }

    /** Restores moments saved by {@link #stateDict()} and the step count. */
    public void loadStateDict(Map<String, Tensor> saved, long stepCount) {
        int i = 0;
        for (Group g : groups) {
            for (Tensor p : g.params()) {
                Tensor m = saved.get("m." + i);
                Tensor v = saved.get("v." + i);
                if ((m == null) != (v == null)) throw new IllegalArgumentException("AdamW state: m." + i + " and v." + i + " must both be present");
                if (m != null) {
                    Tensor[] mv = state.computeIfAbsent(p, AdamW::newState);
                    mv[0].copyFrom(m);
                    mv[1].copyFrom(v);
                }
                i++;
            }
        }
        this.step = stepCount;
    }

    @Override
    public void close() {
        for (Tensor[] mv : state.values()) {
            mv[0].close();
            mv[1].close();
        }
        state.clear();
    }
}

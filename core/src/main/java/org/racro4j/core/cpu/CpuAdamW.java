package org.racro4j.core.cpu;

import java.util.List;

import org.racro4j.core.Backend.AdamWHyper;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;

/** Fused AdamW over a list of tensors (decoupled weight decay, bias correction). */
final class CpuAdamW {
    private CpuAdamW() {}

    /** The scalars of one step, shared by the scalar and the vector loop. */
    record Constants(float beta1, float beta2, float eps, float stepSize, float invSqrtBc2, float decay) {}

    static void step(List<Tensor> params, List<Tensor> grads, List<Tensor> ms, List<Tensor> vs, AdamWHyper h) {
        double bc1 = 1.0 - Math.pow(h.beta1(), h.step());
        double bc2 = 1.0 - Math.pow(h.beta2(), h.step());
        Constants c = new Constants(h.beta1(), h.beta2(), h.eps(), (float) (h.lr() / bc1), (float) (1.0 / Math.sqrt(bc2)),
                1f - h.lr() * h.weightDecay());
        for (int t = 0; t < params.size(); t++) {
            Tensor p = params.get(t);
            Tensor g = grads.get(t);
            Tensor m = ms.get(t);
            Tensor v = vs.get(t);
            if (!p.isContiguous() || !g.isContiguous() || !m.isContiguous() || !v.isContiguous()) {
                throw new IllegalArgumentException("adamw: tensors must be contiguous (param " + t + ", shape " + Shapes.str(p.shape()) + ")");
            }
            float[] ps = Floats.writable(p);
            float[] pr = Floats.read(p);
            float[] gs = Floats.read(g);
            float[] mm = Floats.storage(m).floats();
            float[] vv = Floats.storage(v).floats();
            int po = p.offset();
            int go = g.offset();
            int mo = m.offset();
            int vo = v.offset();
            Parallel.range((int) p.numel(), 1 << 14, (s, e) -> {
                if (VectorApi.ENABLED) LaneAdamW.update(pr, ps, po, gs, go, mm, mo, vv, vo, s, e, c);
                else updateScalar(pr, ps, po, gs, go, mm, mo, vv, vo, s, e, c);
            });
            Floats.commit(p, ps);
        }
    }

    /** Elements [s, e): moments, then the decayed parameter minus the bias-corrected step (pr read, ps written). */
    static void updateScalar(float[] pr, float[] ps, int po, float[] gs, int go, float[] mm, int mo, float[] vv, int vo, int s, int e,
                             Constants c) {
        float b1 = c.beta1();
        float b2 = c.beta2();
        for (int i = s; i < e; i++) {
            float gi = gs[go + i];
            float mi = b1 * mm[mo + i] + (1f - b1) * gi;
            float vi = b2 * vv[vo + i] + (1f - b2) * gi * gi;
            mm[mo + i] = mi;
            vv[vo + i] = vi;
            float denom = (float) Math.sqrt(vi) * c.invSqrtBc2() + c.eps();
            ps[po + i] = pr[po + i] * c.decay() - c.stepSize() * mi / denom;
        }
    }
}

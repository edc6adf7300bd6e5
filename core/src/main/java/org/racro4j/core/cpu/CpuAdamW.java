package org.racro4j.core.cpu;

import java.util.List;

import org.racro4j.core.Backend.AdamWHyper;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;

/** Fused AdamW over a list of tensors (decoupled weight decay, bias correction). */
final class CpuAdamW {
    private CpuAdamW() {}

    static void step(List<Tensor> params, List<Tensor> grads, List<Tensor> ms, List<Tensor> vs, AdamWHyper h) {
        double bc1 = 1.0 - Math.pow(h.beta1(), h.step());
        double bc2 = 1.0 - Math.pow(h.beta2(), h.step());
        float stepSize = (float) (h.lr() / bc1);
        float invSqrtBc2 = (float) (1.0 / Math.sqrt(bc2));
        float decay = 1f - h.lr() * h.weightDecay();
        float b1 = h.beta1();
        float b2 = h.beta2();
        float eps = h.eps();
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
                for (int i = s; i < e; i++) {
                    float gi = gs[go + i];
                    float mi = b1 * mm[mo + i] + (1f - b1) * gi;
                    float vi = b2 * vv[vo + i] + (1f - b2) * gi * gi;
                    mm[mo + i] = mi;
                    vv[vo + i] = vi;
                    float denom = (float) Math.sqrt(vi) * invSqrtBc2 + eps;
                    ps[po + i] = pr[po + i] * decay - stepSize * mi / denom;
                }
            });
            Floats.commit(p, ps);
        }
    }
}

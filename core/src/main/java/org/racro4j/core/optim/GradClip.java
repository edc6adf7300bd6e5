package org.racro4j.core.optim;

import java.util.List;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;

/** Global-norm gradient clipping (PyTorch's clip_grad_norm_). */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales all gradients by min(1, maxNorm / (norm + 1e-6)) where norm is the L2 norm of all gradients
     * together; returns that norm (before clipping). A non-finite norm is returned as is and nothing is scaled,
     * so the caller can skip the step.
     */
    public static float clipGradNorm(List<Tensor> params, float maxNorm) {
        double sumSquares = 0;
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g == null) continue;
                sumSquares += g.mul(g).sum().item();
            }
        }
        float norm = (float) Math.sqrt(sumSquares);
        if (!Float.isFinite(norm)) return norm;
        float scale = maxNorm / (norm + 1e-6f);
        if (scale < 1f) {
            for (Tensor p : params) {
                if (p.grad() != null) p.grad().mulInPlace(scale);
            }
        }
        return norm;
    }
}

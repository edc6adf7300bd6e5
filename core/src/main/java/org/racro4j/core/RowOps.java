package org.racro4j.core;

/**
 * Fused row-wise ops (softmax, norms, cross-entropy, rotary embedding): one kernel forward, one backward,
 * over the last dim of a contiguous [rows, cols] view.
 */
final class RowOps {
    private RowOps() {}

    static Tensor softmax(Tensor x, int dim, boolean log) {
        String op = log ? "logSoftmax" : "softmax";
        x.checkOpen(op);
        requireFloating(op, x);
        int d = Shapes.dim(op, dim, Math.max(1, x.dim()));
        if (x.dim() > 0 && d != x.dim() - 1) {
            return softmax(x.transpose(d, -1), -1, log).transpose(d, -1);
        }
        Tensor xc = x.contiguous();
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        x.backend().softmax(xc, out, log);
        return Node.record(out, op, xc, g -> {
            Tensor gx = Tensor.empty(g.dtype(), g.device(), g.shape());
            g.backend().softmaxBackward(out, g.contiguous(), gx, log);
            return gx;
        });
    }

    static Tensor layerNorm(Tensor x, Tensor w, Tensor b, float eps) {
        x.checkOpen("layerNorm");
        requireFloating("layerNorm", x);
        int c = x.size(-1);
        checkParam("layerNorm", "weight", w, c, x);
        if (b != null) checkParam("layerNorm", "bias", b, c, x);
        Tensor xc = x.contiguous();
        int rows = (int) (x.numel() / Math.max(c, 1));
        Tensor y = Tensor.empty(x.dtype(), x.device(), x.shape());
        Tensor mean = Tensor.empty(DType.F32, x.device(), rows);
        Tensor rstd = Tensor.empty(DType.F32, x.device(), rows);
        x.backend().layerNorm(xc, w, b, eps, y, mean, rstd);
        return Node.record(y, "layerNorm", new Tensor[] {xc, w, b}, g -> {
            Tensor gx = Tensor.empty(xc.dtype(), xc.device(), xc.shape());
            Tensor gw = w.requiresGrad() ? Tensor.empty(w.dtype(), w.device(), w.shape()) : null;
            Tensor gb = b != null && b.requiresGrad() ? Tensor.empty(b.dtype(), b.device(), b.shape()) : null;
            g.backend().layerNormBackward(g.contiguous(), xc, w, mean, rstd, gx, gw, gb);
            return new Tensor[] {gx, gw, gb};
        });
    }

    static Tensor rmsNorm(Tensor x, Tensor w, float eps) {
        x.checkOpen("rmsNorm");
        requireFloating("rmsNorm", x);
        int c = x.size(-1);
        checkParam("rmsNorm", "weight", w, c, x);
        Tensor xc = x.contiguous();
        int rows = (int) (x.numel() / Math.max(c, 1));
        Tensor y = Tensor.empty(x.dtype(), x.device(), x.shape());
        Tensor rstd = Tensor.empty(DType.F32, x.device(), rows);
        x.backend().rmsNorm(xc, w, eps, y, rstd);
        return Node.record(y, "rmsNorm", new Tensor[] {xc, w}, g -> {
            Tensor gx = Tensor.empty(xc.dtype(), xc.device(), xc.shape());
            Tensor gw = w.requiresGrad() ? Tensor.empty(w.dtype(), w.device(), w.shape()) : null;
            g.backend().rmsNormBackward(g.contiguous(), xc, w, rstd, gx, gw);
            return new Tensor[] {gx, gw};
        });
    }

    /** Per-row cross-entropy of logits [R, V] against targets [R]; 0 for ignored rows. */
    static Tensor crossEntropyRows(Tensor logits, Tensor target, int ignoreIndex) {
        logits.checkOpen("crossEntropy");
        target.checkOpen("crossEntropy");
        requireFloating("crossEntropy", logits);
        if (logits.dim() != 2 || target.dim() != 1 || target.size(0) != logits.size(0)) {
            throw new IllegalArgumentException("crossEntropy: expected logits [N, C] and target [N], got "
                    + Shapes.str(logits.shape()) + " and " + Shapes.str(target.shape()));
        }
        if (target.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("crossEntropy: target must hold class indices (I32 or I64), got " + target.dtype());
        }
        Elementwise.checkSameDevice("crossEntropy", logits, target);
        Tensor lc = logits.contiguous();
        Tensor tc = target.contiguous();
        int rows = logits.size(0);
        Tensor loss = Tensor.empty(DType.F32, logits.device(), rows);
        Tensor lse = Tensor.empty(DType.F32, logits.device(), rows);
        logits.backend().crossEntropy(lc, tc, ignoreIndex, loss, lse);
        return Node.record(loss, "crossEntropy", new Tensor[] {lc}, g -> {
            Tensor gl = Tensor.empty(lc.dtype(), lc.device(), lc.shape());
            Tensor gf = g.to(DType.F32).contiguous();
            g.backend().crossEntropyBackward(lc, tc, lse, gf, ignoreIndex, gl);
            return new Tensor[] {gl};
        });
    }

    /** Rotary embedding of x [..., T, D] with tables cos, sin [T, D/2]. */
    static Tensor rope(Tensor x, Tensor cos, Tensor sin) {
        x.checkOpen("rope");
        int t = x.size(-2);
        int d = x.size(-1);
        if (d % 2 != 0 || cos.dim() != 2 || cos.size(0) != t || cos.size(1) != d / 2
                || sin.dim() != 2 || sin.size(0) != t || sin.size(1) != d / 2) {
            throw new IllegalArgumentException("rope: expected x [..., T, D] with even D and cos/sin [T, D/2], got x "
                    + Shapes.str(x.shape()) + ", cos " + Shapes.str(cos.shape()) + ", sin " + Shapes.str(sin.shape()));
        }
        Tensor xc = x.contiguous();
        Tensor cc = cos.contiguous();
        Tensor sc = sin.contiguous();
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        x.backend().rope(xc, cc, sc, out, false);
        return Node.record(out, "rope", xc, g -> {
            Tensor gx = Tensor.empty(g.dtype(), g.device(), g.shape());
            g.backend().rope(g.contiguous(), cc, sc, gx, true);
            return gx;
        });
    }

    private static void requireFloating(String op, Tensor x) {
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException(op + ": needs a floating tensor, got " + x.dtype());
    }

    private static void checkParam(String op, String what, Tensor p, int c, Tensor x) {
        if (p.dim() != 1 || p.size(0) != c) {
            throw new IllegalArgumentException(op + ": " + what + " has shape " + Shapes.str(p.shape())
                    + " but the input's last dim is " + c + " (input shape " + Shapes.str(x.shape()) + ")");
        }
        Elementwise.checkSameDevice(op, x, p);
        if (!p.isContiguous()) throw new IllegalArgumentException(op + ": " + what + " must be contiguous");
    }
}

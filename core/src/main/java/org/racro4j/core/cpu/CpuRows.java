package org.racro4j.core.cpu;

import org.racro4j.core.Tensor;

/**
 * Row-wise fused kernels over the last dim of contiguous tensors: softmax, layer norm, RMS norm,
 * cross-entropy and rotary embedding, forward and backward. Rows run in parallel; statistics in double.
 */
final class CpuRows {
    private CpuRows() {}

    private static int cols(Tensor t) {
        return t.dim() == 0 ? 1 : t.size(-1);
    }

    private static int rows(Tensor t) {
        int c = cols(t);
        return c == 0 ? 0 : (int) (t.numel() / c);
    }

    private static int grain(int cols) {
        return Math.max(1, 8192 / Math.max(cols, 1));
    }

    // ------------------------------------------------------------------------------------------ softmax

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /** A row of scratch floats for the calling thread (reused; contents undefined). */
    private static float[] scratch(int n) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    static void softmax(Tensor x, Tensor out, boolean log) {
        int c = cols(x);
        float[] xs = Floats.read(x);
        float[] os = Floats.writable(out);
        int xo = x.offset();
        int oo = out.offset();
        Parallel.range(rows(x), grain(c), (r0, r1) -> {
            // Up to OrderedSums.ROWS rows at a time: their exps (in lanes: LaneExp gives the scalar bits), then their
            // sums together, each in order.
            float[] exps = log ? scratch(OrderedSums.ROWS * c) : null;
            float[] max = new float[OrderedSums.ROWS];
            double[] sums = new double[OrderedSums.ROWS];
            for (int r = r0; r < r1; r += OrderedSums.ROWS) {
                int block = Math.min(OrderedSums.ROWS, r1 - r);
                float[] e = log ? exps : os;
                int eb = log ? 0 : oo + r * c;
                for (int i = 0; i < block; i++) {
                    int xb = xo + (r + i) * c;
                    max[i] = rowMax(xs, xb, c);
                    if (max[i] == Float.NEGATIVE_INFINITY) max[i] = 0f; // an all -inf row: keep NaN-free arithmetic below
                    ExpRuns.exp(xs, xb, max[i], e, eb + i * c, c);
                }
                OrderedSums.rows(e, eb, c, block, c, sums);
                for (int i = 0; i < block; i++) {
                    int xb = xo + (r + i) * c;
                    int ob = oo + (r + i) * c;
                    if (log) {
                        float lse = max[i] + (float) Math.log(sums[i]);
                        for (int j = 0; j < c; j++) os[ob + j] = xs[xb + j] - lse;
                    } else {
                        float inv = (float) (1.0 / sums[i]);
                        for (int j = 0; j < c; j++) os[ob + j] *= inv;
                    }
                }
            }
        });
        Floats.commit(out, os);
    }

    /** Math.max over x[base ... base + n - 1] from -infinity, in lanes where the Vector API is on (the same result). */
    private static float rowMax(float[] x, int base, int n) {
        if (VectorApi.ENABLED) return LaneMax.of(x, base, n);
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x[base + j]);
        return max;
    }

    static void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log) {
        int c = cols(y);
        float[] ys = Floats.read(y);
        float[] gs = Floats.read(gy);
        float[] os = Floats.writable(gx);
        int yo = y.offset();
        int go = gy.offset();
        int oo = gx.offset();
        Parallel.range(rows(y), grain(c), (r0, r1) -> {
            float[] row = log ? scratch(c) : null;
            for (int r = r0; r < r1; r++) {
                int yb = yo + r * c;
                int gb = go + r * c;
                int ob = oo + r * c;
                double dot = 0;
                if (log) {
                    for (int j = 0; j < c; j++) dot += gs[gb + j];
                    float d = (float) dot;
                    ExpRuns.exp(ys, yb, 0f, row, 0, c);   // into scratch: gx may be gy
                    for (int j = 0; j < c; j++) os[ob + j] = gs[gb + j] - row[j] * d;
                } else {
                    for (int j = 0; j < c; j++) dot += gs[gb + j] * ys[yb + j];
                    float d = (float) dot;
                    for (int j = 0; j < c; j++) os[ob + j] = ys[yb + j] * (gs[gb + j] - d);
                }
            }
        });
        Floats.commit(gx, os);
    }

    // ------------------------------------------------------------------------------------------ layer norm

    static void layerNorm(Tensor x, Tensor w, Tensor b, float eps, Tensor y, Tensor mean, Tensor rstd) {
        int c = cols(x);
        float[] xs = Floats.read(x);
        float[] ws = Floats.read(w);
        float[] bs = b == null ? null : Floats.read(b);
        float[] ys = Floats.writable(y);
        float[] ms = Floats.storage(mean).floats();
        float[] rs = Floats.storage(rstd).floats();
        int xo = x.offset();
        int yo = y.offset();
        int wo = w.offset();
        int bo = b == null ? 0 : b.offset();
        Parallel.range(rows(x), grain(c), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xb = xo + r * c;
                double s = 0;
                for (int j = 0; j < c; j++) s += xs[xb + j];
                double mu = s / c;
                double v = 0;
                for (int j = 0; j < c; j++) {
                    double d = xs[xb + j] - mu;
                    v += d * d;
                }
                float inv = (float) (1.0 / Math.sqrt(v / c + eps));
                float muf = (float) mu;
                ms[mean.offset() + r] = muf;
                rs[rstd.offset() + r] = inv;
                int yb = yo + r * c;
                for (int j = 0; j < c; j++) {
                    float h = (xs[xb + j] - muf) * inv * ws[wo + j];
                    ys[yb + j] = bs == null ? h : h + bs[bo + j];
                }
            }
        });
        Floats.commit(y, ys);
    }

    /**
     * With xhat = (x - mean) rstd and dxhat = gy w: gx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)),
     * gw = sum over rows of gy xhat, gb = sum over rows of gy.
     */
    static void layerNormBackward(Tensor gy, Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gx, Tensor gw, Tensor gb) {
        int c = cols(x);
        int rows = rows(x);
        float[] gs = Floats.read(gy);
        float[] xs = Floats.read(x);
        float[] ws = Floats.read(w);
        float[] ms = Floats.storage(mean).floats();
        float[] rs = Floats.storage(rstd).floats();
        float[] gxs = Floats.writable(gx);
        int go = gy.offset();
        int xo = x.offset();
        int wo = w.offset();
        int gxo = gx.offset();
        int parts = Math.min(Parallel.threads(), Math.max(1, rows));
        double[][] gwPart = new double[parts][gw == null ? 0 : c];
        double[][] gbPart = new double[parts][gb == null ? 0 : c];
        Parallel.parts(parts, part -> {
            int r0 = (int) ((long) rows * part / parts);
            int r1 = (int) ((long) rows * (part + 1) / parts);
            double[] gwAcc = gwPart[part];
            double[] gbAcc = gbPart[part];
            for (int r = r0; r < r1; r++) {
                int xb = xo + r * c;
                int gb0 = go + r * c;
                float mu = ms[mean.offset() + r];
                float inv = rs[rstd.offset() + r];
                double sumD = 0;
                double sumDX = 0;
                for (int j = 0; j < c; j++) {
                    float xhat = (xs[xb + j] - mu) * inv;
                    float d = gs[gb0 + j] * ws[wo + j];
                    sumD += d;
                    sumDX += d * xhat;
                    if (gwAcc.length > 0) gwAcc[j] += gs[gb0 + j] * xhat;
                    if (gbAcc.length > 0) gbAcc[j] += gs[gb0 + j];
                }
                float meanD = (float) (sumD / c);
                float meanDX = (float) (sumDX / c);
                int ob = gxo + r * c;
                for (int j = 0; j < c; j++) {
                    float xhat = (xs[xb + j] - mu) * inv;
                    float d = gs[gb0 + j] * ws[wo + j];
                    gxs[ob + j] = inv * (d - meanD - xhat * meanDX);
                }
            }
        });
        Floats.commit(gx, gxs);
        if (gw != null) writeColumnSums(gw, gwPart);
        if (gb != null) writeColumnSums(gb, gbPart);
    }

    private static void writeColumnSums(Tensor dst, double[][] parts) {
        float[] d = Floats.writable(dst);
        int c = dst.size(0);
        for (int j = 0; j < c; j++) {
            double s = 0;
            for (double[] p : parts) s += p[j];
            d[dst.offset() + j] = (float) s;
        }
        Floats.commit(dst, d);
    }

    // ------------------------------------------------------------------------------------------ RMS norm

    static void rmsNorm(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        int c = cols(x);
        float[] xs = Floats.read(x);
        float[] ws = Floats.read(w);
        float[] ys = Floats.writable(y);
        float[] rs = Floats.storage(rstd).floats();
        int xo = x.offset();
        int yo = y.offset();
        int wo = w.offset();
        Parallel.range(rows(x), grain(c), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xb = xo + r * c;
                double ss = sumSquares(xs, xb, c);
                float inv = (float) (1.0 / Math.sqrt(ss / c + eps));
                rs[rstd.offset() + r] = inv;
                int yb = yo + r * c;
                for (int j = 0; j < c; j++) ys[yb + j] = xs[xb + j] * inv * ws[wo + j];
            }
        });
        Floats.commit(y, ys);
    }

    /** gx = rstd (gy w - xhat mean(gy w xhat)) with xhat = x rstd; gw = sum over rows of gy xhat. */
    static void rmsNormBackward(Tensor gy, Tensor x, Tensor w, Tensor rstd, Tensor gx, Tensor gw) {
        int c = cols(x);
        int rows = rows(x);
        float[] gs = Floats.read(gy);
        float[] xs = Floats.read(x);
        float[] ws = Floats.read(w);
        float[] rs = Floats.storage(rstd).floats();
        float[] gxs = Floats.writable(gx);
        int go = gy.offset();
        int xo = x.offset();
        int wo = w.offset();
        int gxo = gx.offset();
        int parts = Math.min(Parallel.threads(), Math.max(1, rows));
        double[][] gwPart = new double[parts][gw == null ? 0 : c];
        Parallel.parts(parts, part -> {
            int r0 = (int) ((long) rows * part / parts);
            int r1 = (int) ((long) rows * (part + 1) / parts);
            double[] gwAcc = gw == null ? null : gwPart[part];
            if (VectorApi.ENABLED) {
                float[] terms = scratch(OrderedSums.ROWS * c);
                LaneRmsNorm.backward(gs, go, xs, xo, ws, wo, rs, rstd.offset(), gxs, gxo, c, r0, r1, gwAcc, terms);
            } else {
                rmsNormBackwardRows(gs, go, xs, xo, ws, wo, rs, rstd.offset(), gxs, gxo, c, r0, r1, gwAcc);
            }
        });
        Floats.commit(gx, gxs);
        if (gw != null) writeColumnSums(gw, gwPart);
    }

    /**
     * RMS norm's backward for rows [r0, r1) in plain loops, the bits {@link LaneRmsNorm#backward} keeps (the arguments
     * as there).
     */
    static void rmsNormBackwardRows(float[] gs, int go, float[] xs, int xo, float[] ws, int wo, float[] rs, int ro, float[] gxs,
                                    int gxo, int c, int r0, int r1, double[] gwColumns) {
        for (int r = r0; r < r1; r++) {
            int xb = xo + r * c;
            int gb = go + r * c;
            float inv = rs[ro + r];
            double dot = 0;
            for (int j = 0; j < c; j++) {
                float xhat = xs[xb + j] * inv;
                dot += gs[gb + j] * ws[wo + j] * xhat;
                if (gwColumns != null) gwColumns[j] += gs[gb + j] * xhat;
            }
            float meanDX = (float) (dot / c);
            int ob = gxo + r * c;
            for (int j = 0; j < c; j++) {
                float xhat = xs[xb + j] * inv;
                gxs[ob + j] = inv * (gs[gb + j] * ws[wo + j] - xhat * meanDX);
            }
        }
    }

    private static double sumSquares(float[] x, int base, int n) {
        if (VectorApi.ENABLED) return LaneSums.sumSquares(x, base, n);
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) x[base + i] * x[base + i];
        return s;
    }

    // ------------------------------------------------------------------------------------------ cross-entropy

    static void crossEntropy(Tensor logits, Tensor target, int ignoreIndex, Tensor loss, Tensor lse) {
        int v = cols(logits);
        int rows = rows(logits);
        float[] ls = Floats.read(logits);
        CpuStorage ts = Floats.storage(target);
        float[] out = Floats.storage(loss).floats();
        float[] lses = Floats.storage(lse).floats();
        int lo = logits.offset();
        int to = target.offset();
        int tstride = target.dim() == 0 ? 0 : target.stride(0);
        for (int r = 0; r < rows; r++) checkTarget(Floats.index(ts, to + r * tstride), ignoreIndex, v, r);
        Parallel.range(rows, grain(v), (r0, r1) -> {
            // log-sum-exp as log-softmax has it, OrderedSums.ROWS rows at a time: the exps in lanes, their sums in order
            float[] e = scratch(OrderedSums.ROWS * v);
            float[] max = new float[OrderedSums.ROWS];
            double[] sums = new double[OrderedSums.ROWS];
            for (int r = r0; r < r1; r += OrderedSums.ROWS) {
                int block = Math.min(OrderedSums.ROWS, r1 - r);
                for (int i = 0; i < block; i++) {
                    int b = lo + (r + i) * v;
                    max[i] = rowMax(ls, b, v);
                    ExpRuns.exp(ls, b, max[i], e, i * v, v);
                }
                OrderedSums.rows(e, 0, v, block, v, sums);
                for (int i = 0; i < block; i++) {
                    float l = max[i] + (float) Math.log(sums[i]);
                    lses[lse.offset() + r + i] = l;
                    long t = Floats.index(ts, to + (r + i) * tstride);
                    out[loss.offset() + r + i] = t == ignoreIndex ? 0f : l - ls[lo + (r + i) * v + (int) t];
                }
            }
        });
    }

    static void crossEntropyBackward(Tensor logits, Tensor target, Tensor lse, Tensor gLoss, int ignoreIndex, Tensor gLogits) {
        int v = cols(logits);
        int rows = rows(logits);
        float[] ls = Floats.read(logits);
        CpuStorage ts = Floats.storage(target);
        float[] lses = Floats.storage(lse).floats();
        float[] gl = Floats.read(gLoss);
        float[] out = Floats.writable(gLogits);
        int lo = logits.offset();
        int go = gLogits.offset();
        int to = target.offset();
        int tstride = target.dim() == 0 ? 0 : target.stride(0);
        int gstride = gLoss.dim() == 0 ? 0 : gLoss.stride(0);
        Parallel.range(rows, grain(v), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int b = lo + r * v;
                int ob = go + r * v;
                long t = Floats.index(ts, to + r * tstride);
                if (t == ignoreIndex) {
                    java.util.Arrays.fill(out, ob, ob + v, 0f);
                    continue;
                }
                float g = gl[gLoss.offset() + r * gstride];
                float l = lses[lse.offset() + r];
                ExpRuns.exp(ls, b, l, out, ob, v);
                for (int j = 0; j < v; j++) out[ob + j] *= g;
                out[ob + (int) t] -= g;
            }
        });
        Floats.commit(gLogits, out);
    }

    private static void checkTarget(long t, int ignoreIndex, int v, int row) {
        if (t != ignoreIndex && (t < 0 || t >= v)) {
            throw new IndexOutOfBoundsException("crossEntropy: target " + t + " at row " + row + " is out of range [0, " + v
                    + ") (ignoreIndex is " + ignoreIndex + ")");
        }
    }

    // ------------------------------------------------------------------------------------------ rotary

    static void rope(Tensor x, Tensor cos, Tensor sin, Tensor out, boolean inverse) {
        int d = x.size(-1);
        int t = x.size(-2);
        int half = d / 2;
        int rows = rows(x);
        float[] xs = Floats.read(x);
        float[] cs = Floats.read(cos);
        float[] ss = Floats.read(sin);
        float[] os = Floats.writable(out);
        int xo = x.offset();
        int oo = out.offset();
        int co = cos.offset();
        int so = sin.offset();
        float sign = inverse ? -1f : 1f;
        Parallel.range(rows, grain(d), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int pos = r % t;
                int xb = xo + r * d;
                int ob = oo + r * d;
                int tb = pos * half;
                for (int i = 0; i < half; i++) {
                    float c = cs[co + tb + i];
                    float s = sign * ss[so + tb + i];
                    float x1 = xs[xb + i];
                    float x2 = xs[xb + i + half];
                    os[ob + i] = x1 * c - x2 * s;
                    os[ob + i + half] = x2 * c + x1 * s;
                }
            }
        });
        Floats.commit(out, os);
    }
}

package org.racro4j.core.cpu;

import java.nio.ShortBuffer;

import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.Tensor;
import org.racro4j.core.UnaryOp;

/**
 * copy, fill, unary, binary and where on the CPU. Contiguous runs go through {@link LaneElementwise}'s vector loops
 * where they pay and the Vector API is on; everything has a plain loop here.
 */
final class CpuElementwise {
    private CpuElementwise() {}

    // ------------------------------------------------------------------------------------------ copy / fill

    static void copy(Tensor src, Tensor dst) {
        CpuStorage s = Floats.storage(src);
        CpuStorage d = Floats.storage(dst);
        int[][] strides = {dst.strides(), src.strides()};
        int[] offsets = {dst.offset(), src.offset()};
        if (s.dtype() == d.dtype()) {
            Object sa = s.array();
            Object da = d.array();
            if (da instanceof ShortBuffer) d.shorts();   // a mapped file is read-only: this says so
            if (sa instanceof float[] a && isTransposeOfRows(src, dst)) {
                transposeBlocks(src, a, dst, (float[]) da);
                return;
            }
            StridedLoop.forEach(dst.shape(), strides, offsets, (n, off, st) -> {
                if (st[0] == 1 && st[1] == 1) {
                    if (sa instanceof ShortBuffer mapped) mapped.get(off[1], (short[]) da, off[0], n);
                    else System.arraycopy(sa, off[1], da, off[0], n);
                } else {
                    copyStrided(sa, off[1], st[1], da, off[0], st[0], n);
                }
            });
        } else if (!s.dtype().isFloatingPoint() && !d.dtype().isFloatingPoint()) {
            StridedLoop.forEach(dst.shape(), strides, offsets, (n, off, st) -> {
                for (int i = 0, o = off[0], q = off[1]; i < n; i++, o += st[0], q += st[1]) d.setLong(o, s.getLong(q));
            });
        } else {
            StridedLoop.forEach(dst.shape(), strides, offsets, (n, off, st) -> {
                for (int i = 0, o = off[0], q = off[1]; i < n; i++, o += st[0], q += st[1]) d.setFloat(o, s.getFloat(q));
            });
        }
    }

    /** Tile edge of the blocked transpose: a 32 x 32 tile of floats (4 KB) is read and written within L1. */
    private static final int TILE = 32;

    /**
     * Whether dst's last two dims are contiguous rows and src walks them column-wise (src's second-to-last stride 1):
     * a transpose, such as W.t().contiguous(). The element-by-element loop reads src with a stride of a whole row, a
     * cache line per element; row-major copies of a model's weights took longer than the prefill they preceded.
     */
    private static boolean isTransposeOfRows(Tensor src, Tensor dst) {
        int n = dst.dim();
        return n >= 2 && dst.stride(n - 1) == 1 && dst.stride(n - 2) == dst.size(n - 1) && src.stride(n - 2) == 1
                && src.stride(n - 1) != 1 && dst.size(n - 1) > 1 && dst.size(n - 2) > 1;
    }

    /**
     * dst[..., r, c] = src[..., r, c] for a src stored column-wise, in TILE x TILE blocks, split over the threads by
     * (leading index, row block): a weight's gradient arrives as the transpose of a product, and copying it on one
     * thread was 4-5% of a training step on two (layers 4, dim 256).
     */
    private static void transposeBlocks(Tensor src, float[] a, Tensor dst, float[] b) {
        int n = dst.dim();
        int rows = dst.size(n - 2);
        int cols = dst.size(n - 1);
        int srcColStride = src.stride(n - 1);
        int outer = 1;
        for (int i = 0; i < n - 2; i++) outer *= dst.size(i);
        int rowBlocks = (rows + TILE - 1) / TILE;
        Parallel.range(outer * rowBlocks, Math.max(1, TRANSPOSE_GRAIN / (TILE * cols)), (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int m = t / rowBlocks;
                int so = src.offset();
                int dof = dst.offset();
                for (int i = n - 3, rest = m; i >= 0; i--) {   // leading index m, last leading dim fastest
                    int index = rest % dst.size(i);
                    rest /= dst.size(i);
                    so += index * src.stride(i);
                    dof += index * dst.stride(i);
                }
                int r0 = t % rowBlocks * TILE;
                int r1 = Math.min(rows, r0 + TILE);
                // Each row of the tile is written front to back, its elements gathered from the tile's columns
                // of src (a 32-float run each, in L1): writing down a column instead scattered every store a row
                // apart and took 1.8 times as long (4.3M weight floats: 5.4 ms against 3.0, one thread).
                for (int c0 = 0; c0 < cols; c0 += TILE) {
                    int c1 = Math.min(cols, c0 + TILE);
                    for (int r = r0; r < r1; r++) {
                        int to = dof + r * cols;
                        for (int c = c0, from = so + c0 * srcColStride + r; c < c1; c++, from += srcColStride) b[to + c] = a[from];
                    }
                }
            }
        });
    }

    /** Elements per task of a transposing copy: below this many in all, it runs on the calling thread. */
    private static final int TRANSPOSE_GRAIN = 1 << 16;

    static void copyStrided(Object sa, int so, int ss, Object da, int dof, int ds, int n) {
        if (sa instanceof float[] a) {
            float[] b = (float[]) da;
            for (int i = 0; i < n; i++, so += ss, dof += ds) b[dof] = a[so];
        } else if (sa instanceof short[] a) {
            short[] b = (short[]) da;
            for (int i = 0; i < n; i++, so += ss, dof += ds) b[dof] = a[so];
        } else if (sa instanceof ShortBuffer a) {   // the bits of a mapped checkpoint file
            short[] b = (short[]) da;
            for (int i = 0; i < n; i++, so += ss, dof += ds) b[dof] = a.get(so);
        } else if (sa instanceof int[] a) {
            int[] b = (int[]) da;
            for (int i = 0; i < n; i++, so += ss, dof += ds) b[dof] = a[so];
        } else {
            long[] a = (long[]) sa;
            long[] b = (long[]) da;
            for (int i = 0; i < n; i++, so += ss, dof += ds) b[dof] = a[so];
        }
    }

    static void fill(Tensor dst, double value) {
        CpuStorage d = Floats.storage(dst);
        StridedLoop.forEach(dst.shape(), new int[][] {dst.strides()}, new int[] {dst.offset()}, (n, off, st) -> {
            int o = off[0];
            switch (d.dtype()) {
                case F32 -> {
                    float[] a = d.floats();
                    float v = (float) value;
                    if (st[0] == 1) java.util.Arrays.fill(a, o, o + n, v);
                    else for (int i = 0; i < n; i++, o += st[0]) a[o] = v;
                }
                case BF16, F16 -> {
                    short[] a = d.shorts();
                    short v = d.dtype() == DType.BF16 ? org.racro4j.core.HalfFloats.floatToBf16((float) value)
                            : org.racro4j.core.HalfFloats.floatToF16((float) value);
                    for (int i = 0; i < n; i++, o += st[0]) a[o] = v;
                }
                case I32 -> {
                    int[] a = d.ints();
                    for (int i = 0; i < n; i++, o += st[0]) a[o] = (int) value;
                }
                case I64 -> {
                    long[] a = d.longs();
                    for (int i = 0; i < n; i++, o += st[0]) a[o] = (long) value;
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------ unary

    static void unary(UnaryOp op, Tensor x, Tensor out, float p0, float p1) {
        float[] xs = Floats.read(x);
        float[] os = Floats.writable(out);
        StridedLoop.forEach(out.shape(), new int[][] {out.strides(), x.strides()}, new int[] {out.offset(), x.offset()},
                (n, off, st) -> unaryRun(op, xs, off[1], st[1], os, off[0], st[0], n, p0, p1));
        Floats.commit(out, os);
    }

    private static void unaryRun(UnaryOp op, float[] x, int xo, int xs, float[] o, int oo, int os, int n, float p0, float p1) {
        if (xs == 1 && os == 1 && VectorApi.ENABLED && LaneElementwise.unary(op, x, xo, o, oo, n, p0, p1)) return;
        for (int i = 0; i < n; i++, xo += xs, oo += os) {
            float v = x[xo];
            o[oo] = switch (op) {
                case NEG -> -v;
                case ABS -> Math.abs(v);
                case SIGN -> Math.signum(v);
                case EXP -> CpuMath.exp(v);
                case LOG -> (float) Math.log(v);
                case SQRT -> (float) Math.sqrt(v);
                case RSQRT -> (float) (1.0 / Math.sqrt(v));
                case RECIPROCAL -> 1f / v;
                case RELU -> v > 0f ? v : 0f;
                case TANH -> (float) Math.tanh(v);
                case SIGMOID -> CpuMath.sigmoid(v);
                case GELU_TANH -> CpuMath.geluTanh(v);
                case GELU_ERF -> CpuMath.geluErf(v);
                case SILU -> CpuMath.silu(v);
                case GELU_TANH_GRAD -> CpuMath.geluTanhGrad(v);
                case GELU_ERF_GRAD -> CpuMath.geluErfGrad(v);
                case SILU_GRAD -> CpuMath.siluGrad(v);
                case STEP -> v > 0f ? 1f : 0f;
                case POW_SCALAR -> pow(v, p0);
                case ADD_SCALAR -> v + p0;
                case MUL_SCALAR -> v * p0;
                case RDIV_SCALAR -> p0 / v;
                case CLAMP -> Math.min(Math.max(v, p0), p1);
                case IN_RANGE -> v >= p0 && v <= p1 ? 1f : 0f;
                case SIN -> (float) Math.sin(v);
                case COS -> (float) Math.cos(v);
                case LOG1P -> (float) Math.log1p(v);
                case EXPM1 -> (float) Math.expm1(v);
                case ERF -> (float) CpuMath.erf(v);
            };
        }
    }

    /** x^p with the small integer powers done by multiplication (exact, and what users expect of x^2). */
    private static float pow(float v, float p) {
        if (p == 2f) return v * v;
        if (p == 1f) return v;
        if (p == 3f) return v * v * v;
        if (p == 0.5f) return (float) Math.sqrt(v);
        return (float) Math.pow(v, p);
    }

    // ------------------------------------------------------------------------------------------ binary

    static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (!a.dtype().isFloatingPoint()) {
            integerBinary(op, a, b, out);
            return;
        }
        float[] as = Floats.read(a);
        float[] bs = Floats.read(b);
        float[] os = Floats.writable(out);
        StridedLoop.forEach(out.shape(), new int[][] {out.strides(), a.strides(), b.strides()},
                new int[] {out.offset(), a.offset(), b.offset()},
                (n, off, st) -> binaryRun(op, as, off[1], st[1], bs, off[2], st[2], os, off[0], st[0], n));
        Floats.commit(out, os);
    }

    /**
     * a op b for integer a and b (one dtype, I32 or I64) in long arithmetic: exact where a detour through float would
     * round every value above 2^24 (ids, positions, counts). Integer results wrap on overflow, as in PyTorch;
     * comparisons write 1 or 0 to their F32 output. DIV and POW never get here: they promote integers to F32 first.
     */
    private static void integerBinary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        CpuStorage as = Floats.storage(a);
        CpuStorage bs = Floats.storage(b);
        CpuStorage os = Floats.storage(out);
        boolean integerOut = !out.dtype().isFloatingPoint();
        StridedLoop.forEach(out.shape(), new int[][] {out.strides(), a.strides(), b.strides()},
                new int[] {out.offset(), a.offset(), b.offset()}, (n, off, st) -> {
                    for (int i = 0, o = off[0], p = off[1], q = off[2]; i < n; i++, o += st[0], p += st[1], q += st[2]) {
                        long x = as.getLong(p);
                        long y = bs.getLong(q);
                        long r = switch (op) {
                            case ADD -> x + y;
                            case SUB -> x - y;
                            case MUL -> x * y;
                            case MAXIMUM -> Math.max(x, y);
                            case MINIMUM -> Math.min(x, y);
                            case EQ -> x == y ? 1 : 0;
                            case NE -> x != y ? 1 : 0;
                            case LT -> x < y ? 1 : 0;
                            case LE -> x <= y ? 1 : 0;
                            case GT -> x > y ? 1 : 0;
                            case GE -> x >= y ? 1 : 0;
                            case DIV, POW -> throw new AssertionError(op + " on integers is promoted to F32 before the kernel");
                        };
                        if (integerOut) os.setLong(o, r);
                        else os.setFloat(o, r);
                    }
                });
    }

    private static void binaryRun(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs,
                                  float[] o, int oo, int os, int n) {
        if (os == 1 && as == 1 && (bs == 1 || bs == 0) && VectorApi.ENABLED
                && LaneElementwise.binary(op, a, ao, b, bo, bs, o, oo, n)) return;
        for (int i = 0; i < n; i++, ao += as, bo += bs, oo += os) {
            float x = a[ao];
            float y = b[bo];
            o[oo] = switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case MAXIMUM -> Float.isNaN(x) || Float.isNaN(y) ? Float.NaN : Math.max(x, y);
                case MINIMUM -> Float.isNaN(x) || Float.isNaN(y) ? Float.NaN : Math.min(x, y);
                case POW -> pow(x, y);
                case EQ -> x == y ? 1f : 0f;
                case NE -> x != y ? 1f : 0f;
                case LT -> x < y ? 1f : 0f;
                case LE -> x <= y ? 1f : 0f;
                case GT -> x > y ? 1f : 0f;
                case GE -> x >= y ? 1f : 0f;
            };
        }
    }

    // ------------------------------------------------------------------------------------------ where

    static void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        if (!out.dtype().isFloatingPoint()) {
            integerWhere(cond, a, b, out);
            return;
        }
        float[] cs = Floats.read(cond);
        float[] as = Floats.read(a);
        float[] bs = Floats.read(b);
        float[] os = Floats.writable(out);
        StridedLoop.forEach(out.shape(), new int[][] {out.strides(), cond.strides(), a.strides(), b.strides()},
                new int[] {out.offset(), cond.offset(), a.offset(), b.offset()}, (n, off, st) -> {
                    if (VectorApi.ENABLED && st[0] == 1 && st[1] == 1 && (st[2] | 1) == 1 && (st[3] | 1) == 1) {
                        LaneElementwise.where(cs, off[1], as, off[2], st[2], bs, off[3], st[3], os, off[0], n);   // masks, maskedFill
                        return;
                    }
                    for (int i = 0, o = off[0], c = off[1], x = off[2], y = off[3]; i < n;
                         i++, o += st[0], c += st[1], x += st[2], y += st[3]) {
                        os[o] = cs[c] != 0f ? as[x] : bs[y];
                    }
                });
        Floats.commit(out, os);
    }

    /** where() for integer a, b and out, copying longs so that values above 2^24 stay exact. */
    private static void integerWhere(Tensor cond, Tensor a, Tensor b, Tensor out) {
        float[] cs = Floats.read(cond);
        CpuStorage as = Floats.storage(a);
        CpuStorage bs = Floats.storage(b);
        CpuStorage os = Floats.storage(out);
        StridedLoop.forEach(out.shape(), new int[][] {out.strides(), cond.strides(), a.strides(), b.strides()},
                new int[] {out.offset(), cond.offset(), a.offset(), b.offset()}, (n, off, st) -> {
                    for (int i = 0, o = off[0], c = off[1], x = off[2], y = off[3]; i < n;
                         i++, o += st[0], c += st[1], x += st[2], y += st[3]) {
                        os.setLong(o, cs[c] != 0f ? as.getLong(x) : bs.getLong(y));
                    }
                });
    }
}

package org.racro4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.Tensor;
import org.racro4j.core.UnaryOp;

/** copy, fill, unary, binary and where on the CPU. Contiguous runs use the Vector API where it pays. */
final class CpuElementwise {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

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
            StridedLoop.forEach(dst.shape(), strides, offsets, (n, off, st) -> {
                if (st[0] == 1 && st[1] == 1) {
                    System.arraycopy(sa, off[1], da, off[0], n);
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

    static void copyStrided(Object sa, int so, int ss, Object da, int dof, int ds, int n) {
        if (sa instanceof float[] a) {
            float[] b = (float[]) da;
            for (int i = 0; i < n; i++, so += ss, dof += ds) b[dof] = a[so];
        } else if (sa instanceof short[] a) {
            short[] b = (short[]) da;
            for (int i = 0; i < n; i++, so += ss, dof += ds) b[dof] = a[so];
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
        if (xs == 1 && os == 1 && vectorUnary(op, x, xo, o, oo, n, p0, p1)) return;
        for (int i = 0; i < n; i++, xo += xs, oo += os) {
            float v = x[xo];
            o[oo] = switch (op) {
                case NEG -> -v;
                case ABS -> Math.abs(v);
                case SIGN -> Math.signum(v);
                case EXP -> (float) Math.exp(v);
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

    /*
     * Only ops whose lanes round exactly like the scalar loop are vectorised. Transcendental lanewise ops (EXP, TANH, ...)
     * are not: before C2 compiles a loop they run through a scalar Java fallback and afterwards through SVML stubs,
     * whose results differ in the last bits, so a run would depend on JIT timing (a SiLU in lanes broke the bitwise
     * equality of a killed-and-resumed run with an uninterrupted one in the same JVM).
     */
    private static boolean vectorUnary(UnaryOp op, float[] x, int xo, float[] o, int oo, int n, float p0, float p1) {
        int i = 0;
        int bound = F.loopBound(n);
        switch (op) {
            case NEG -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).neg().intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = -x[xo + i];
            }
            case RELU -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).max(0f).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = Math.max(x[xo + i], 0f);
            }
            case ADD_SCALAR -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).add(p0).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = x[xo + i] + p0;
            }
            case MUL_SCALAR -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).mul(p0).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = x[xo + i] * p0;
            }
            case CLAMP -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).max(p0).min(p1).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = Math.min(Math.max(x[xo + i], p0), p1);
            }
            case ABS -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).abs().intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = Math.abs(x[xo + i]);
            }
            case SQRT -> {
                for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, xo + i).lanewise(VectorOperators.SQRT).intoArray(o, oo + i);
                for (; i < n; i++) o[oo + i] = (float) Math.sqrt(x[xo + i]);
            }
            // exp and the sigmoid family through LaneExp, which gives exactly the scalar loop's bits
            case EXP -> LaneExp.exp(x, xo, 0f, o, oo, n);
            case SIGMOID -> LaneExp.sigmoid(x, xo, o, oo, n);
            case SILU -> {
                if (x == o) return false;   // in place: the sigmoid would overwrite the x still needed
                LaneExp.silu(x, xo, o, oo, n);
            }
            case SILU_GRAD -> {
                if (x == o) return false;
                LaneExp.siluGrad(x, xo, o, oo, n);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ binary

    static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        float[] as = Floats.read(a);
        float[] bs = Floats.read(b);
        float[] os = Floats.writable(out);
        StridedLoop.forEach(out.shape(), new int[][] {out.strides(), a.strides(), b.strides()},
                new int[] {out.offset(), a.offset(), b.offset()},
                (n, off, st) -> binaryRun(op, as, off[1], st[1], bs, off[2], st[2], os, off[0], st[0], n));
        Floats.commit(out, os);
    }

    private static void binaryRun(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs,
                                  float[] o, int oo, int os, int n) {
        if (os == 1 && as == 1 && (bs == 1 || bs == 0) && vectorBinary(op, a, ao, b, bo, bs, o, oo, n)) return;
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

    /**
     * Vector loops for the arithmetic ops on unit-stride a and out, b unit-stride or a broadcast scalar. One loop
     * per operator: C2 only compiles lanewise operators to vector instructions when the operator is a constant.
     */
    private static boolean vectorBinary(BinaryOp op, float[] a, int ao, float[] b, int bo, int bs, float[] o, int oo, int n) {
        if (op != BinaryOp.ADD && op != BinaryOp.SUB && op != BinaryOp.MUL && op != BinaryOp.DIV) return false;
        int i = 0;
        int bound = F.loopBound(n);
        if (bs == 1) {
            switch (op) {
                case ADD -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).add(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
                }
                case SUB -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).sub(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
                }
                case MUL -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).mul(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
                }
                default -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).div(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
                }
            }
            for (; i < n; i++) o[oo + i] = scalar(op, a[ao + i], b[bo + i]);
        } else {
            float y = b[bo];
            switch (op) {
                case ADD -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).add(y).intoArray(o, oo + i);
                }
                case SUB -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).sub(y).intoArray(o, oo + i);
                }
                case MUL -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).mul(y).intoArray(o, oo + i);
                }
                default -> {
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, ao + i).div(y).intoArray(o, oo + i);
                }
            }
            for (; i < n; i++) o[oo + i] = scalar(op, a[ao + i], y);
        }
        return true;
    }

    private static float scalar(BinaryOp op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            default -> throw new AssertionError(op);
        };
    }

    // ------------------------------------------------------------------------------------------ where

    static void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        float[] cs = Floats.read(cond);
        float[] as = Floats.read(a);
        float[] bs = Floats.read(b);
        float[] os = Floats.writable(out);
        StridedLoop.forEach(out.shape(), new int[][] {out.strides(), cond.strides(), a.strides(), b.strides()},
                new int[] {out.offset(), cond.offset(), a.offset(), b.offset()}, (n, off, st) -> {
                    for (int i = 0, o = off[0], c = off[1], x = off[2], y = off[3]; i < n;
                         i++, o += st[0], c += st[1], x += st[2], y += st[3]) {
                        os[o] = cs[c] != 0f ? as[x] : bs[y];
                    }
                });
        Floats.commit(out, os);
    }
}

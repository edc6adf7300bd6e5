package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;

import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * tril/triu, flip, roll, oneHot, linspace, outer, repeat/tile and constant pad: forward values against float64
 * references written here as coordinate loops, gradients against finite differences, non-contiguous inputs,
 * negative dims, and the errors for bad arguments.
 */
@ExtendWith(ScopePerTest.class)
class ShapeOpsTest {
    private static final int[] S = {3, 5, 7};
    private static final int N = 105;

    // ------------------------------------------------------------------------------------------ reference helpers

    private static int[] coords(int flat, int[] shape) {
        int[] c = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            c[d] = flat % shape[d];
            flat /= shape[d];
        }
        return c;
    }

    private static int flat(int[] c, int[] shape) {
        int f = 0;
        for (int d = 0; d < shape.length; d++) f = f * shape[d] + c[d];
        return f;
    }

    /**
     * out[c] = x[source(c)] for every output coordinate c, or fill where source gives null: the shape of every
     * reference below (they only say where each output element comes from).
     */
    private static double[] gatherRef(float[] x, int[] xShape, int[] outShape, double fill, Function<int[], int[]> source) {
        double[] out = new double[TestSupport.numel(outShape)];
        for (int i = 0; i < out.length; i++) {
            int[] src = source.apply(coords(i, outShape));
            out[i] = src == null ? fill : x[flat(src, xShape)];
        }
        return out;
    }

    private static void assertExact(String what, double[] expected, Tensor actual, int[] shape) {
        assertArrayEquals(shape, actual.shape(), what + ": shape");
        assertClose(what, expected, actual.toFloatArray(), 0, 0);
    }

    private static void assertError(String what, Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, what);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), what + ": message '" + e.getMessage() + "' lacks '" + f + "'");
        assertTrue(!e.getMessage().contains("\n"), what + ": the message is one line");
    }

    // ------------------------------------------------------------------------------------------ tril / triu

    private static double[] triangleRef(float[] x, int[] shape, int diagonal, boolean lower) {
        int r = shape.length - 2;
        return gatherRef(x, shape, shape, 0, c -> {
            int off = c[r + 1] - c[r];
            return (lower ? off <= diagonal : off >= diagonal) ? c : null;
        });
    }

    @Test
    void trilAndTriuKeepTheRightDiagonalsOfBatchedMatrices() {
        float[] xs = normal(1, N);
        Tensor x = Tensor.of(xs, S);
        for (int k : new int[] {0, 1, 3, -1, -2, 6, 7, -4, -5, 100, -100}) {
            assertExact("tril(" + k + ")", triangleRef(xs, S, k, true), x.tril(k), S);
            assertExact("triu(" + k + ")", triangleRef(xs, S, k, false), x.triu(k), S);
        }
        assertExact("tril()", triangleRef(xs, S, 0, true), x.tril(), S);
        assertExact("triu()", triangleRef(xs, S, 0, false), x.triu(), S);
        // tall matrices, a 1x1 matrix, and a transposed (non-contiguous) input
        float[] tall = normal(2, 7 * 3);
        assertExact("tril(-1) of 7x3", triangleRef(tall, new int[] {7, 3}, -1, true), Tensor.of(tall, 7, 3).tril(-1), new int[] {7, 3});
        assertExact("triu of 1x1", new double[] {tall[0]}, Tensor.of(new float[] {tall[0]}, 1, 1).triu(), new int[] {1, 1});
        Tensor t = Tensor.of(xs, 3, 7, 5).transpose(-1, -2);
        float[] logical = t.toFloatArray();
        assertExact("triu(1) of a transpose", triangleRef(logical, S, 1, false), t.triu(1), S);
    }

    @Test
    void trilZeroesInfinityAndNaNOutsideTheTriangle() {
        Tensor x = Tensor.of(new float[] {1, Float.POSITIVE_INFINITY, Float.NaN, 4}, 2, 2);
        assertArrayEquals(new float[] {1, 0, Float.NaN, 4}, x.tril().toFloatArray());
        assertArrayEquals(new float[] {1, Float.POSITIVE_INFINITY, 0, 4}, x.triu().toFloatArray());
    }

    @Test
    void trilOfAnIntegerTensorKeepsItsDtype() {
        Tensor x = Tensor.ofLongs(new long[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor y = x.tril(1);
        assertEquals(DType.I64, y.dtype());
        assertArrayEquals(new long[] {1, 2, 0, 4, 5, 6}, y.toLongArray());
    }

    @Test
    void trilAndTriuGradients() {
        check("tril(1)", x -> x[0].tril(1), in(normal(3, N), S));
        check("triu(-2) of a transpose", x -> x[0].transpose(-1, -2).triu(-2), in(normal(4, N), S));
        check("tril() of a strided slice", x -> x[0].slice(2, 0, 7, 2).tril(), in(normal(5, N), S));
    }

    @Test
    void trilNeedsTwoDims() {
        assertError("tril of 1-D", () -> Tensor.of(normal(6, 5), 5).tril(), "tril", "[5]");
        assertError("triu of 0-D", () -> Tensor.scalar(1f).triu(), "triu");
    }

    // ------------------------------------------------------------------------------------------ flip

    private static double[] flipRef(float[] x, int[] shape, int... dims) {
        return gatherRef(x, shape, shape, 0, c -> {
            int[] s = c.clone();
            for (int d : dims) s[d] = shape[d] - 1 - c[d];
            return s;
        });
    }

    @Test
    void flipReversesTheGivenDims() {
        float[] xs = normal(10, N);
        Tensor x = Tensor.of(xs, S);
        assertExact("flip(0)", flipRef(xs, S, 0), x.flip(0), S);
        assertExact("flip(-1)", flipRef(xs, S, 2), x.flip(-1), S);
        assertExact("flip(0, 2)", flipRef(xs, S, 0, 2), x.flip(0, -1), S);
        assertExact("flip(1, 0, 2)", flipRef(xs, S, 0, 1, 2), x.flip(1, 0, 2), S);
        Tensor none = x.flip();
        assertExact("flip()", flipRef(xs, S), none, S);
        assertNotSame(x.storage(), none.storage(), "flip() copies");
        Tensor t = Tensor.of(xs, 7, 5, 3).permute(2, 1, 0);
        assertExact("flip(1) of a permute", flipRef(t.toFloatArray(), S, 1), t.flip(1), S);
        float[] ones = normal(11, 13);
        assertExact("flip of [13, 1]", flipRef(ones, new int[] {13, 1}, 0, 1), Tensor.of(ones, 13, 1).flip(0, 1), new int[] {13, 1});
    }

    @Test
    void flipOfLargeIntegersIsExact() {
        long big = (1L << 40) + 1;
        Tensor y = Tensor.ofLongs(new long[] {big, 2, 3}, 3).flip(0);
        assertArrayEquals(new long[] {3, 2, big}, y.toLongArray());
    }

    @Test
    void flipGradients() {
        check("flip(0, -1)", x -> x[0].flip(0, -1), in(normal(12, N), S));
        check("flip(1) of a transpose", x -> x[0].transpose(0, 2).flip(1), in(normal(13, N), S));
    }

    @Test
    void flipRejectsRepeatedAndBadDims() {
        Tensor x = Tensor.of(normal(14, N), S);
        assertError("repeated dim", () -> x.flip(1, -2), "flip", "dim 1");
        assertError("bad dim", () -> x.flip(3), "flip", "dim 3");
    }

    // ------------------------------------------------------------------------------------------ roll

    private static double[] rollRef(float[] x, int[] shape, int[] shifts, int[] dims) {
        return gatherRef(x, shape, shape, 0, c -> {
            int[] s = c.clone();
            for (int i = 0; i < dims.length; i++) {
                int d = dims[i] < 0 ? dims[i] + shape.length : dims[i];
                s[d] = Math.floorMod(s[d] - shifts[i], shape[d]);
            }
            return s;
        });
    }

    @Test
    void rollAlongDimsWrapsNegativeAndLargeShifts() {
        float[] xs = normal(20, N);
        Tensor x = Tensor.of(xs, S);
        for (int shift : new int[] {0, 1, 3, -1, -4, 7, 12, -23, 1_000_003}) {
            assertExact("roll(" + shift + ", -1)", rollRef(xs, S, new int[] {shift}, new int[] {-1}), x.roll(shift, -1), S);
            assertExact("roll(" + shift + ", 1)", rollRef(xs, S, new int[] {shift}, new int[] {1}), x.roll(shift, 1), S);
        }
        assertExact("roll([2, -3], [0, -1])", rollRef(xs, S, new int[] {2, -3}, new int[] {0, 2}),
                x.roll(new int[] {2, -3}, new int[] {0, -1}), S);
        assertExact("roll([1, 2], [1, 1]) adds up", rollRef(xs, S, new int[] {3}, new int[] {1}),
                x.roll(new int[] {1, 2}, new int[] {1, 1}), S);
        Tensor t = Tensor.of(xs, 7, 5, 3).transpose(0, 2);
        assertExact("roll(2, 0) of a transpose", rollRef(t.toFloatArray(), S, new int[] {2}, new int[] {0}), t.roll(2, 0), S);
    }

    @Test
    void rollWithoutDimsRollsTheFlattenedTensor() {
        float[] xs = normal(21, N);
        Tensor x = Tensor.of(xs, S);
        for (int shift : new int[] {0, 1, 8, -9, 105, 212, -1000}) {
            assertExact("roll(" + shift + ")", rollRef(xs, new int[] {N}, new int[] {shift}, new int[] {0}), x.roll(shift), S);
        }
        assertExact("roll([5], [])", rollRef(xs, new int[] {N}, new int[] {5}, new int[] {0}), x.roll(new int[] {5}, new int[0]), S);
        Tensor t = Tensor.of(xs, 7, 5, 3).permute(2, 0, 1);
        assertExact("roll(4) of a permute", rollRef(t.toFloatArray(), new int[] {N}, new int[] {4}, new int[] {0}), t.roll(4),
                new int[] {3, 7, 5});
        Tensor same = x.roll(0);
        assertNotSame(x.storage(), same.storage(), "roll by 0 copies");
    }

    @Test
    void rollGradients() {
        check("roll(2, -1)", x -> x[0].roll(2, -1), in(normal(22, N), S));
        check("roll(-7)", x -> x[0].roll(-7), in(normal(23, N), S));
        check("roll([1, -6], [0, 2]) of a strided slice", x -> x[0].slice(1, 1, 5, 2).roll(new int[] {1, -6}, new int[] {0, 2}),
                in(normal(24, N), S));
    }

    @Test
    void rollRejectsMismatchedShiftsAndBadDims() {
        Tensor x = Tensor.of(normal(25, N), S);
        assertError("lengths", () -> x.roll(new int[] {1, 2}, new int[] {0}), "roll", "[1, 2]", "[0]");
        assertError("bad dim", () -> x.roll(1, -4), "roll", "dim -4");
    }

    // ------------------------------------------------------------------------------------------ oneHot

    private static long[] oneHotRef(long[] idx, int classes) {
        long[] out = new long[idx.length * classes];
        for (int i = 0; i < idx.length; i++) out[i * classes + (int) idx[i]] = 1;
        return out;
    }

    @Test
    void oneHotOfI64AndI32Indices() {
        long[] idx = TestSupport.indices(30, 3 * 4, 5);
        Tensor x = Tensor.ofLongs(idx, 3, 4);
        Tensor y = x.oneHot(6);
        assertEquals(DType.I64, y.dtype());
        assertArrayEquals(new int[] {3, 4, 6}, y.shape());
        assertArrayEquals(oneHotRef(idx, 6), y.toLongArray());
        long max = 0;
        for (long v : idx) max = Math.max(max, v);
        Tensor inferred = Tensor.ofInts(TestSupport.toInts(idx), 3, 4).oneHot(-1);
        assertArrayEquals(new int[] {3, 4, (int) max + 1}, inferred.shape());
        assertArrayEquals(oneHotRef(idx, (int) max + 1), inferred.toLongArray());
        // a transposed index tensor
        Tensor t = Tensor.ofLongs(idx, 4, 3).t();
        long[] logical = t.toLongArray();
        assertArrayEquals(oneHotRef(logical, 5), t.oneHot(5).toLongArray());
        // 0-d and empty inputs
        assertArrayEquals(new long[] {0, 0, 1}, Tensor.ofLongs(new long[] {2}).oneHot(3).toLongArray());
        assertArrayEquals(new int[] {0, 4}, Tensor.ofLongs(new long[0], 0).oneHot(4).shape());
    }

    @Test
    void oneHotNamesTheBadIndex() {
        Tensor x = Tensor.ofLongs(new long[] {0, 3, 7, 1}, 4);
        assertError("too large", () -> x.oneHot(5), "oneHot", "7", "5");
        assertError("equal to numClasses", () -> x.oneHot(7), "oneHot", "7");
        assertError("negative", () -> Tensor.ofLongs(new long[] {0, -2}, 2).oneHot(3), "oneHot", "-2");
        assertError("empty with -1", () -> Tensor.ofLongs(new long[0], 0).oneHot(-1), "oneHot", "empty");
        assertError("numClasses -2", () -> x.oneHot(-2), "oneHot", "-2");
        assertError("float input", () -> Tensor.of(new float[] {1}, 1).oneHot(2), "oneHot", "F32");
    }

    // ------------------------------------------------------------------------------------------ linspace

    @Test
    void linspaceMatchesFloat64AndHitsBothEndsExactly() {
        double[][] cases = {{0, 1, 5}, {-3, 7.5, 8}, {2, -2, 7}, {0.1, 0.7, 13}, {-1e3, 1e3, 1001}, {5, 5, 4}};
        for (double[] c : cases) {
            int steps = (int) c[2];
            Tensor y = Tensor.linspace(c[0], c[1], steps);
            assertEquals(DType.F32, y.dtype());
            double[] ref = new double[steps];
            for (int i = 0; i < steps; i++) ref[i] = c[0] + (c[1] - c[0]) * i / (steps - 1);
            float[] v = y.toFloatArray();
            assertClose("linspace" + java.util.Arrays.toString(c), ref, v, 1e-6 * Math.max(Math.abs(c[0]), Math.abs(c[1])), 1e-6);
            assertEquals((float) c[0], v[0], 0f, "first value is start");
            assertEquals((float) c[1], v[steps - 1], 0f, "last value is end");
        }
    }

    @Test
    void linspaceUsesPyTorchsTwoHalves() {
        // torch.linspace(0, 1, 10): step = 1/9 in float; the second half counts down from end
        float step = 1f / 9;
        float[] v = Tensor.linspace(0, 1, 10).toFloatArray();
        for (int i = 0; i < 10; i++) assertEquals(i < 5 ? 0f + step * i : 1f - step * (9 - i), v[i], 0f, "element " + i);
    }

    @Test
    void linspaceEdgeCountsAndIntegerTypes() {
        assertArrayEquals(new int[] {0}, Tensor.linspace(1, 2, 0).shape());
        assertArrayEquals(new float[] {3.5f}, Tensor.linspace(3.5, 9, 1).toFloatArray());
        // torch.linspace(0, 10, 4, dtype=torch.int64) == [0, 3, 6, 10]: double steps, truncated
        Tensor ints = Tensor.linspace(0, 10, 4, DType.I64, Device.CPU);
        assertEquals(DType.I64, ints.dtype());
        assertArrayEquals(new long[] {0, 3, 6, 10}, ints.toLongArray());
        assertArrayEquals(new long[] {5, 3, 1, -1, -3}, Tensor.linspace(5, -3, 5, DType.I32, Device.CPU).toLongArray());
        Tensor half = Tensor.linspace(-1, 1, 5, DType.BF16, Device.CPU);
        assertEquals(DType.BF16, half.dtype());
        assertArrayEquals(new float[] {-1, -0.5f, 0, 0.5f, 1}, half.toFloatArray());
        assertError("negative steps", () -> Tensor.linspace(0, 1, -1), "linspace", "-1");
    }

    // ------------------------------------------------------------------------------------------ outer

    @Test
    void outerIsEveryProduct() {
        float[] a = normal(40, 13);
        float[] b = normal(41, 5);
        double[] ref = new double[13 * 5];
        for (int i = 0; i < 13; i++) for (int j = 0; j < 5; j++) ref[i * 5 + j] = (double) a[i] * b[j];
        Tensor y = Tensor.of(a, 13).outer(Tensor.of(b, 5));
        assertArrayEquals(new int[] {13, 5}, y.shape());
        assertClose("outer", ref, y.toFloatArray(), 0, 1e-7);
        // a strided slice as the left operand: elements 0, 2, ..., 12
        double[] strided = new double[7 * 5];
        for (int i = 0; i < 7; i++) for (int j = 0; j < 5; j++) strided[i * 5 + j] = (double) a[2 * i] * b[j];
        assertClose("outer of a strided slice", strided, Tensor.of(a, 13).slice(0, 0, 13, 2).outer(Tensor.of(b, 5)).toFloatArray(), 0, 1e-7);
        assertArrayEquals(new int[] {1, 5}, Tensor.of(new float[] {2}, 1).outer(Tensor.of(b, 5)).shape());
    }

    @Test
    void outerGradientAndErrors() {
        check("outer", x -> x[0].outer(x[1]), in(normal(42, 13), 13), in(normal(43, 5), 5));
        check("outer of a strided slice", x -> x[0].slice(0, 1, 13, 3).outer(x[1]), in(normal(44, 13), 13), in(normal(45, 1), 1));
        assertError("2-D", () -> Tensor.of(normal(46, 6), 2, 3).outer(Tensor.of(normal(47, 3), 3)), "outer", "[2, 3]");
    }

    // ------------------------------------------------------------------------------------------ repeat / tile

    /** out[c] = x[c mod shape], ignoring the leading dims that repeat adds. */
    private static double[] repeatRef(float[] x, int[] shape, int[] outShape) {
        int lead = outShape.length - shape.length;
        return gatherRef(x, shape, outShape, 0, c -> {
            int[] s = new int[shape.length];
            for (int d = 0; d < shape.length; d++) s[d] = c[d + lead] % shape[d];
            return s;
        });
    }

    @Test
    void repeatTilesAndAddsLeadingDims() {
        float[] xs = normal(50, 15);
        Tensor x = Tensor.of(xs, 3, 5);
        assertExact("repeat(2, 3)", repeatRef(xs, new int[] {3, 5}, new int[] {6, 15}), x.repeat(2, 3), new int[] {6, 15});
        assertExact("repeat(1, 1)", repeatRef(xs, new int[] {3, 5}, new int[] {3, 5}), x.repeat(1, 1), new int[] {3, 5});
        assertExact("repeat(4, 1, 2)", repeatRef(xs, new int[] {3, 5}, new int[] {4, 3, 10}), x.repeat(4, 1, 2), new int[] {4, 3, 10});
        assertArrayEquals(new int[] {0, 10}, x.repeat(0, 2).shape());
        Tensor col = Tensor.of(normal(57, 3), 3, 1);
        Tensor wide = col.repeat(1, 4);
        assertNotSame(col.storage(), wide.storage(), "repeat copies, even where a stride-0 view would do");
        assertTrue(wide.isContiguous(), "repeat's result is contiguous");
        assertNotSame(x.storage(), x.repeat(1, 1).storage(), "repeat(1, 1) copies");
        Tensor t = Tensor.of(xs, 5, 3).t();
        assertExact("repeat of a transpose", repeatRef(t.toFloatArray(), new int[] {3, 5}, new int[] {2, 3, 10}), t.repeat(2, 1, 2),
                new int[] {2, 3, 10});
        float[] one = normal(51, 7);
        assertExact("repeat of [7, 1]", repeatRef(one, new int[] {7, 1}, new int[] {7, 3}), Tensor.of(one, 7, 1).repeat(1, 3),
                new int[] {7, 3});
    }

    @Test
    void tilePadsRepsWithLeadingOnes() {
        float[] xs = normal(52, N);
        Tensor x = Tensor.of(xs, S);
        assertExact("tile(2)", repeatRef(xs, S, new int[] {3, 5, 14}), x.tile(2), new int[] {3, 5, 14});
        assertExact("tile(2, 1)", repeatRef(xs, S, new int[] {3, 10, 7}), x.tile(2, 1), new int[] {3, 10, 7});
        assertExact("tile(2, 1, 1, 1)", repeatRef(xs, S, new int[] {2, 3, 5, 7}), x.tile(2, 1, 1, 1), new int[] {2, 3, 5, 7});
        assertExact("tile()", repeatRef(xs, S, S), x.tile(), S);
    }

    @Test
    void repeatAndTileGradients() {
        check("repeat(2, 1, 3)", x -> x[0].repeat(2, 1, 3), in(normal(53, 15), 3, 5));
        check("repeat(2, 1, 1, 2) of a transpose", x -> x[0].transpose(0, 2).repeat(2, 1, 1, 2), in(normal(54, N), S));
        check("tile(3) of a strided slice", x -> x[0].slice(0, 0, 13, 4).tile(3), in(normal(55, 13), 13));
    }

    @Test
    void repeatRejectsTooFewOrNegativeSizes() {
        Tensor x = Tensor.of(normal(56, N), S);
        assertError("too few", () -> x.repeat(2, 2), "repeat", "[2, 2]");
        assertError("negative", () -> x.repeat(1, -1, 1), "repeat", "-1");
    }

    // ------------------------------------------------------------------------------------------ pad

    /** Constant pad: (before, after) pairs from the last dim backwards; the source coordinate is c - before. */
    private static double[] padRef(float[] x, int[] shape, int[] pad, double value, int[] outShape) {
        return gatherRef(x, shape, outShape, value, c -> {
            int[] s = c.clone();
            for (int k = 0; k < pad.length / 2; k++) {
                int d = shape.length - 1 - k;
                s[d] = c[d] - pad[2 * k];
                if (s[d] < 0 || s[d] >= shape[d]) return null;
            }
            return s;
        });
    }

    private static int[] padShape(int[] shape, int[] pad) {
        int[] out = shape.clone();
        for (int k = 0; k < pad.length / 2; k++) out[shape.length - 1 - k] += pad[2 * k] + pad[2 * k + 1];
        return out;
    }

    @Test
    void padAddsAndCropsFromTheLastDimBackwards() {
        float[] xs = normal(60, N);
        Tensor x = Tensor.of(xs, S);
        int[][] pads = {{1, 2}, {0, 0}, {1, 2, 0, 3}, {-1, 2, 3, -2, 1, 1}, {-3, -4}, {2, -1, -5, 0}, {0, 0, 0, 0, 2, 0}};
        for (int[] p : pads) {
            int[] shape = padShape(S, p);
            assertExact("pad" + java.util.Arrays.toString(p), padRef(xs, S, p, 2.5, shape), x.pad(p, 2.5f), shape);
        }
        Tensor t = Tensor.of(xs, 7, 5, 3).permute(2, 1, 0);
        int[] p = {2, -3, -1, 1};
        assertExact("pad of a permute", padRef(t.toFloatArray(), S, p, -1, padShape(S, p)), t.pad(p, -1f), padShape(S, p));
        Tensor crop = x.pad(new int[] {-1, -1}, 0f);
        assertNotSame(x.storage(), crop.storage(), "a crop-only pad copies");
        assertArrayEquals(new long[] {9, 1, 2, 9}, Tensor.ofLongs(new long[] {1, 2}, 2).pad(new int[] {1, 1}, 9f).toLongArray());
    }

    @Test
    void padGradients() {
        check("pad(1, 2, 0, 3)", x -> x[0].pad(new int[] {1, 2, 0, 3}, 0.5f), in(normal(61, N), S));
        check("pad(-1, 2, 3, -2) of a transpose", x -> x[0].transpose(0, 2).pad(new int[] {-1, 2, 3, -2}, 0f), in(normal(62, N), S));
        check("pad(-2, -3) crop only", x -> x[0].pad(new int[] {-2, -3}, 1f), in(normal(63, N), S));
    }

    @Test
    void padRejectsOddLongAndOverCroppingPads() {
        Tensor x = Tensor.of(normal(64, N), S);
        assertError("odd", () -> x.pad(new int[] {1, 2, 3}, 0f), "pad", "[1, 2, 3]");
        assertError("too long", () -> x.pad(new int[] {1, 1, 1, 1, 1, 1, 1, 1}, 0f), "pad", "4 dims");
        assertError("negative size", () -> x.pad(new int[] {-4, -4}, 0f), "pad", "dim 2", "size 7");
    }
}

package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.normal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * sort / argsort / topk against a float64 reference built on Java's stable sort of boxed (value, position) pairs,
 * and gather / scatterAdd / scatter with PyTorch's shape rules and strided operands against plain loops; gradients
 * against finite differences.
 */
class SortScatterTest {
    private static final int[] S = {3, 5, 7};

    // ================================================================================================ reference

    /** PyTorch's order: NaN above +inf, -0.0 equal to +0.0. */
    private static final Comparator<Double> VALUE_ORDER = (a, b) -> {
        boolean na = Double.isNaN(a);
        boolean nb = Double.isNaN(b);
        if (na || nb) return na == nb ? 0 : na ? 1 : -1;
        return a < b ? -1 : a > b ? 1 : 0;
    };

    /** A reference result laid out like the op's output: values and positions along dim. */
    private record Ref(double[] values, long[] indices, int[] shape) {}

    /**
     * For every line along dim of row-major data: the pairs (value, position) sorted by Java's stable List.sort
     * (descending by a reversed value order, so equal values stay by position), cut to the first k; unsorted
     * results are then put in position order.
     */
    private static Ref reference(float[] data, int[] shape, int dim, boolean descending, int k, boolean sorted) {
        int d = dim < 0 ? dim + shape.length : dim;
        int[] st = TestSupport.stridesOf(shape);
        int[] outShape = shape.clone();
        outShape[d] = k;
        int[] ost = TestSupport.stridesOf(outShape);
        int lines = TestSupport.numel(shape) / shape[d];
        double[] values = new double[lines * k];
        long[] indices = new long[lines * k];
        Comparator<double[]> byValue = (a, b) -> VALUE_ORDER.compare(a[0], b[0]);
        Comparator<double[]> order = descending ? byValue.reversed() : byValue;
        for (int flat = 0; flat < TestSupport.numel(shape); flat++) {
            if ((flat / st[d]) % shape[d] != 0) continue; // visit each line once, from its first element
            List<double[]> pairs = new ArrayList<>();
            for (int j = 0; j < shape[d]; j++) pairs.add(new double[] {data[flat + j * st[d]], j});
            pairs.sort(order);
            List<double[]> best = new ArrayList<>(pairs.subList(0, k));
            if (!sorted) best.sort(Comparator.comparingDouble(p -> p[1]));
            int outBase = 0;
            int rest = flat;
            for (int a = 0; a < shape.length; a++) {
                int c = rest / st[a];
                rest %= st[a];
                if (a != d) outBase += c * ost[a];
            }
            for (int j = 0; j < k; j++) {
                values[outBase + j * ost[d]] = best.get(j)[0];
                indices[outBase + j * ost[d]] = (long) best.get(j)[1];
            }
        }
        return new Ref(values, indices, outShape);
    }

    /** Values must match exactly (they are copies), NaN matching NaN; indices exactly. */
    private static void assertMatches(String what, Ref ref, Tensor.ValuesIndices got) {
        assertArrayEquals(ref.shape(), got.values().shape(), what + ": values shape");
        assertArrayEquals(ref.shape(), got.indices().shape(), what + ": indices shape");
        assertEquals(DType.I64, got.indices().dtype(), what + ": index dtype");
        assertArrayEquals(ref.indices(), got.indices().toLongArray(), what + ": indices");
        float[] v = got.values().toFloatArray();
        for (int i = 0; i < v.length; i++) {
            double e = ref.values()[i];
            assertTrue(Double.isNaN(e) ? Float.isNaN(v[i]) : v[i] == e, what + ": value " + i + " is " + v[i] + ", expected " + e);
        }
    }

    /** Row-major copy of a possibly strided tensor's values, read independently of the op under test. */
    private static float[] valuesOf(Tensor t) {
        return t.contiguous().toFloatArray();
    }

    // ================================================================================================ sort

    @Test
    void sortMatchesTheReferenceAlongEveryDimBothWays() {
        float[] data = normal(1, 105);
        Tensor x = Tensor.of(data, S);
        for (int dim : new int[] {0, 1, 2, -1, -3}) {
            for (boolean desc : new boolean[] {false, true}) {
                int n = S[dim < 0 ? dim + 3 : dim];
                assertMatches("sort(" + dim + ", " + desc + ")", reference(data, S, dim, desc, n, true), x.sort(dim, desc));
            }
        }
        assertMatches("sort()", reference(data, S, -1, false, 7, true), x.sort());
    }

    @Test
    void sortOfANonContiguousInputMatchesTheReference() {
        float[] data = normal(2, 105);
        Tensor xt = Tensor.of(data, S).transpose(0, 2);              // [7, 5, 3], strided
        Tensor xs = Tensor.of(normal(3, 3 * 10 * 7), 3, 10, 7).slice(1, 1, 10, 2); // [3, 5, 7], every 2nd row
        for (Tensor x : new Tensor[] {xt, xs}) {
            float[] flat = valuesOf(x);
            int[] shape = x.shape();
            assertMatches("strided sort(1, true)", reference(flat, shape, 1, true, shape[1], true), x.sort(1, true));
            assertMatches("strided sort(-1)", reference(flat, shape, -1, false, shape[2], true), x.sort(-1, false));
        }
    }

    @Test
    void sortIsStableForTiesAndSignedZerosInBothDirections() {
        // few distinct values, so every row is full of ties; -0.0 and +0.0 must count as equal
        SplittableRandom r = new SplittableRandom(4);
        float[] pool = {-1f, -0f, 0f, 2f, 2f};
        float[] data = new float[4 * 13];
        for (int i = 0; i < data.length; i++) data[i] = pool[r.nextInt(pool.length)];
        Tensor x = Tensor.of(data, 4, 13);
        for (boolean desc : new boolean[] {false, true}) {
            Ref ref = reference(data, new int[] {4, 13}, 1, desc, 13, true);
            Tensor.ValuesIndices got = x.sort(1, desc);
            assertMatches("ties sort " + desc, ref, got);
            // the zeros come out with their own signs, in position order
            float[] v = got.values().toFloatArray();
            long[] idx = got.indices().toLongArray();
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.floatToRawIntBits(data[(i / 13) * 13 + (int) idx[i]]), Float.floatToRawIntBits(v[i]), "sign of element " + i);
            }
        }
    }

    @Test
    void nanSortsAboveInfinity() {
        float nan = Float.NaN;
        float inf = Float.POSITIVE_INFINITY;
        float[] data = {3f, nan, -inf, inf, nan, -2f, inf, 0.5f, -inf, nan, 1f, 1f};
        Tensor x = Tensor.of(data, 2, 6);
        for (boolean desc : new boolean[] {false, true}) {
            assertMatches("NaN sort " + desc, reference(data, new int[] {2, 6}, 1, desc, 6, true), x.sort(1, desc));
            assertMatches("NaN sort dim 0 " + desc, reference(data, new int[] {2, 6}, 0, desc, 2, true), x.sort(0, desc));
        }
        // spelled out for row 1 (inf, 0.5, -inf, NaN, 1, 1): NaN after +inf ascending, before it descending
        assertArrayEquals(new long[] {2, 1, 4, 5, 0, 3}, x.select(0, 1).sort(0, false).indices().toLongArray());
        assertArrayEquals(new long[] {3, 0, 4, 5, 1, 2}, x.select(0, 1).sort(0, true).indices().toLongArray());
    }

    @Test
    void argsortGivesSortsIndices() {
        float[] data = normal(5, 105);
        Tensor x = Tensor.of(data, S).transpose(1, 2);
        for (boolean desc : new boolean[] {false, true}) {
            Tensor a = x.argsort(-2, desc);
            assertEquals(DType.I64, a.dtype());
            assertArrayEquals(x.sort(-2, desc).indices().toLongArray(), a.toLongArray());
            assertArrayEquals(reference(valuesOf(x), x.shape(), 1, desc, 7, true).indices(), a.toLongArray());
        }
    }

    @Test
    void integerAndHalfTensorsSortByTheirExactValues() {
        // I64 values beyond 2^53 (a float or double would merge them) and the extremes of the range
        long big = 1L << 60;
        long[] longs = {big + 3, Long.MIN_VALUE, big + 1, 7, Long.MAX_VALUE, big + 1, -5, big + 2};
        Tensor xl = Tensor.ofLongs(longs, 2, 4);
        Tensor.ValuesIndices up = xl.sort(1, false);
        assertEquals(DType.I64, up.values().dtype());
        assertArrayEquals(new long[] {1, 3, 2, 0, 2, 1, 3, 0}, up.indices().toLongArray());
        assertArrayEquals(new long[] {Long.MIN_VALUE, 7, big + 1, big + 3, -5, big + 1, big + 2, Long.MAX_VALUE}, up.values().toLongArray());
        assertArrayEquals(new long[] {0, 2, 3, 1, 0, 3, 1, 2}, xl.sort(1, true).indices().toLongArray());

        int[] ints = {Integer.MAX_VALUE, -4, Integer.MIN_VALUE, -4, 0};
        Tensor xi = Tensor.ofInts(ints, 5);
        assertArrayEquals(new long[] {2, 1, 3, 4, 0}, xi.argsort(0, false).toLongArray());
        assertArrayEquals(new long[] {0, 4, 1, 3, 2}, xi.argsort(0, true).toLongArray());
        assertEquals(DType.I32, xi.sort().values().dtype());

        float[] data = normal(6, 3 * 9);
        for (DType half : new DType[] {DType.BF16, DType.F16}) {
            Tensor h = Tensor.of(data, 3, 9).to(half);
            float[] rounded = h.toFloatArray();
            Tensor.ValuesIndices got = h.sort(1, true);
            assertEquals(half, got.values().dtype());
            assertMatches(half + " sort", reference(rounded, new int[] {3, 9}, 1, true, 9, true), got);
        }
    }

    @Test
    void aZeroDimTensorAndAnEmptyDimSort() {
        Tensor s = Tensor.scalar(2.5f);
        Tensor.ValuesIndices r = s.sort(0, false);
        assertArrayEquals(new int[0], r.values().shape());
        assertArrayEquals(new int[0], r.indices().shape());
        assertEquals(2.5f, r.values().item());
        assertEquals(0L, r.indices().toLongArray()[0]);
        Tensor empty = Tensor.zeros(3, 0);
        assertArrayEquals(new int[] {3, 0}, empty.sort(1, false).values().shape());
        assertArrayEquals(new int[] {0, 4}, Tensor.zeros(3, 4).topk(0, 0, true, true).indices().shape());
    }

    // ================================================================================================ topk

    @Test
    void topkMatchesTheReferenceForSmallAndLargeK() {
        // a row of 100 takes the heap path for small k and the full sort for large k; ties from rounding to 0.25
        float[] data = normal(7, 6 * 100);
        for (int i = 0; i < data.length; i++) data[i] = Math.round(data[i] * 4) / 4f;
        data[17] = Float.NaN;
        data[230] = Float.NaN;
        data[231] = Float.NaN;
        data[400] = Float.POSITIVE_INFINITY;
        Tensor x = Tensor.of(data, 6, 100);
        for (int k : new int[] {0, 1, 3, 12, 13, 50, 99, 100}) {
            for (boolean largest : new boolean[] {true, false}) {
                for (boolean sorted : new boolean[] {true, false}) {
                    String what = "topk(" + k + ", 1, " + largest + ", " + sorted + ")";
                    assertMatches(what, reference(data, new int[] {6, 100}, 1, largest, k, sorted), x.topk(k, 1, largest, sorted));
                }
            }
        }
        assertMatches("topk(5)", reference(data, new int[] {6, 100}, -1, true, 5, true), x.topk(5));
    }

    @Test
    void topkTiesGoToTheLowerIndexFirst() {
        float[] data = {1f, 4f, 4f, 2f, 4f, 1f, 1f, 4f, 0f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f};
        Tensor x = Tensor.of(data, 20);
        assertArrayEquals(new long[] {1, 2}, x.topk(2, 0, true, true).indices().toLongArray());
        assertArrayEquals(new long[] {8, 0}, x.topk(2, 0, false, true).indices().toLongArray());
        assertArrayEquals(new long[] {0, 5, 6, 8}, x.topk(4, 0, false, false).indices().toLongArray());
        assertArrayEquals(new long[] {8, 0, 5, 6}, x.topk(4, 0, false, true).indices().toLongArray());
    }

    @Test
    void topkOfANonContiguousInputAlongANegativeDim() {
        Tensor base = Tensor.of(normal(8, 3 * 40 * 2), 3, 40, 2);
        Tensor x = base.select(2, 1).transpose(0, 1); // [40, 3], strides (2, 80)
        float[] flat = valuesOf(x);
        for (int k : new int[] {2, 30}) {
            assertMatches("strided topk " + k, reference(flat, new int[] {40, 3}, -2, true, k, true), x.topk(k, -2, true, true));
        }
    }

    @Test
    void badKAndBadDimAreOneLineErrors() {
        Tensor x = Tensor.of(normal(9, 15), 3, 5);
        fails(IllegalArgumentException.class, () -> x.topk(6, 1, true, true), "topk", "k 6", "[0, 5]");
        fails(IllegalArgumentException.class, () -> x.topk(-1), "topk", "k -1");
        fails(IllegalArgumentException.class, () -> x.topk(4, 0, true, true), "topk", "k 4", "[0, 3]");
        fails(IllegalArgumentException.class, () -> x.sort(2, false), "sort", "dim 2");
        fails(IllegalArgumentException.class, () -> x.argsort(-3, true), "sort", "dim -3");
        fails(IllegalArgumentException.class, () -> x.topk(1, 2, true, true), "topk", "dim 2");
    }

    // ------------------------------------------------------------------------------------------ gradients

    /** n distinct values at least 0.05 apart (in random order), so a finite-difference step never reorders them. */
    private static float[] distinct(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (-2.5 + i * 0.05 + 0.01 * r.nextDouble());
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    @Test
    void sortAndTopkValuesDifferentiateBackToTheirPositions() {
        check("sort(1) values", x -> x[0].sort(1, false).values(), in(distinct(10, 105), S));
        check("sort(-1, descending) values", x -> x[0].sort(-1, true).values(), in(distinct(11, 105), S));
        check("sort of a transpose", x -> x[0].transpose(0, 2).sort(1, true).values(), in(distinct(12, 105), S));
        check("topk(2, 0)", x -> x[0].topk(2, 0, true, true).values(), in(distinct(13, 105), S));
        check("topk(3, -1, smallest, unsorted)", x -> x[0].topk(3, -1, false, false).values(), in(distinct(14, 105), S));
        check("topk(4) of 13", x -> x[0].topk(4).values(), in(distinct(15, 13), 13));
    }

    // ================================================================================================ gather

    /** out[..] = src[.., index[..], ..] along d, by loops over index's shape (any src larger outside d). */
    private static double[] gatherRef(float[] src, int[] srcShape, long[] index, int[] indexShape, int d) {
        int[] sst = TestSupport.stridesOf(srcShape);
        int[] ist = TestSupport.stridesOf(indexShape);
        double[] out = new double[index.length];
        for (int e = 0; e < index.length; e++) {
            int at = 0;
            for (int a = 0; a < indexShape.length; a++) {
                int c = (e / ist[a]) % indexShape[a];
                at += (a == d ? (int) index[e] : c) * sst[a];
            }
            out[e] = src[at];
        }
        return out;
    }

    @Test
    void gatherWithASmallerIndexAndStridedOperandsMatchesLoops() {
        // src [4, 6, 5] read through a transpose; index [3, 9, 2] smaller than src outside dim 1
        Tensor src = Tensor.of(normal(20, 5 * 6 * 4), 5, 6, 4).permute(2, 1, 0);
        long[] idx = TestSupport.indices(21, 3 * 9 * 2, 6);
        int[] ishape = {3, 9, 2};
        double[] ref = gatherRef(valuesOf(src), src.shape(), idx, ishape, 1);
        TestSupport.assertClose("gather(1) strided src", ref, src.gather(1, Tensor.ofLongs(idx, ishape)).toFloatArray(), 0, 0);
        TestSupport.assertClose("gather(-2) strided src", ref, src.gather(-2, Tensor.ofLongs(idx, ishape)).toFloatArray(), 0, 0);
        // the same index as a transposed view of a [2, 9, 3] tensor
        long[] idxT = new long[idx.length];
        for (int a = 0; a < 3; a++) for (int b = 0; b < 9; b++) for (int c = 0; c < 2; c++) idxT[c * 27 + b * 3 + a] = idx[a * 18 + b * 2 + c];
        Tensor indexView = Tensor.ofLongs(idxT, 2, 9, 3).permute(2, 1, 0);
        TestSupport.assertClose("gather(1) strided index", ref, src.gather(1, indexView).toFloatArray(), 0, 0);
    }

    @Test
    void gatherRejectsAnIndexLargerThanTheInputOutsideDim() {
        Tensor x = Tensor.of(normal(22, 15), 3, 5);
        fails(IllegalArgumentException.class, () -> x.gather(1, Tensor.ofLongs(new long[8], 4, 2)), "gather", "[4, 2]", "[3, 5]", "dim 0");
        fails(IllegalArgumentException.class, () -> x.gather(0, Tensor.ofLongs(new long[4], 4)), "gather", "rank 1", "rank 2");
    }

    // ================================================================================================ scatterAdd

    /** self + src scattered by loops over index's shape (src read at the same coordinates, possibly larger). */
    private static double[] scatterRef(float[] self, int[] selfShape, long[] index, int[] indexShape, float[] src, int[] srcShape,
                                       int d, boolean add) {
        int[] dst = TestSupport.stridesOf(selfShape);
        int[] ist = TestSupport.stridesOf(indexShape);
        int[] sst = TestSupport.stridesOf(srcShape);
        double[] out = TestSupport.toDouble(self);
        for (int e = 0; e < index.length; e++) { // row-major: a later entry overwrites an earlier one
            int to = 0;
            int from = 0;
            for (int a = 0; a < indexShape.length; a++) {
                int c = (e / ist[a]) % indexShape[a];
                to += (a == d ? (int) index[e] : c) * dst[a];
                from += c * sst[a];
            }
            out[to] = add ? out[to] + src[from] : src[from];
        }
        return out;
    }

    @Test
    void scatterAddReadsOnlyThePartOfSrcThatIndexCovers() {
        // self [4, 6, 5], index [3, 8, 2] (dim 1), src [5, 9, 3]: index smaller than src everywhere, than self outside dim
        float[] self = normal(30, 120);
        float[] src = normal(31, 135);
        long[] idx = TestSupport.indices(32, 48, 6);
        int[] ishape = {3, 8, 2};
        double[] ref = scatterRef(self, new int[] {4, 6, 5}, idx, ishape, src, new int[] {5, 9, 3}, 1, true);
        Tensor got = Tensor.of(self, 4, 6, 5).scatterAdd(1, Tensor.ofLongs(idx, ishape), Tensor.of(src, 5, 9, 3));
        TestSupport.assertClose("scatterAdd(1) small index", ref, got.toFloatArray(), 1e-6, 1e-6);
        Tensor neg = Tensor.of(self, 4, 6, 5).scatterAdd(-2, Tensor.ofLongs(idx, ishape), Tensor.of(src, 5, 9, 3));
        TestSupport.assertClose("scatterAdd(-2) small index", ref, neg.toFloatArray(), 1e-6, 1e-6);
    }

    @Test
    void scatterAddWithStridedSelfIndexAndSrcMatchesLoops() {
        // self: a transpose; index: a strided slice; src: a permuted view, all non-contiguous
        Tensor self = Tensor.of(normal(33, 120), 5, 6, 4).transpose(0, 2);             // [4, 6, 5]
        Tensor index = Tensor.ofLongs(TestSupport.indices(34, 3 * 16 * 2, 6), 3, 16, 2).slice(1, 0, 16, 2); // [3, 8, 2]
        Tensor src = Tensor.of(normal(35, 135), 3, 9, 5).permute(2, 1, 0);            // [5, 9, 3]
        double[] ref = scatterRef(valuesOf(self), self.shape(), index.contiguous().toLongArray(), index.shape(), valuesOf(src),
                src.shape(), 1, true);
        TestSupport.assertClose("scatterAdd strided", ref, self.scatterAdd(1, index, src).toFloatArray(), 1e-6, 1e-6);
        TestSupport.assertClose("scatterAdd strided = contiguous", self.contiguous().scatterAdd(1, index.contiguous(), src.contiguous())
                .toFloatArray(), self.scatterAdd(1, index, src).toFloatArray(), 0, 0);
    }

    @Test
    void scatterAddNamesTheDimWherePyTorchsRuleBreaks() {
        Tensor self = Tensor.zeros(3, 5);
        fails(IllegalArgumentException.class, () -> self.scatterAdd(1, Tensor.ofLongs(new long[12], 2, 6), Tensor.ones(2, 4)),
                "scatterAdd", "[2, 6]", "src [2, 4]", "dim 1");
        fails(IllegalArgumentException.class, () -> self.scatterAdd(1, Tensor.ofLongs(new long[4], 4, 1), Tensor.ones(5, 1)),
                "scatterAdd", "[4, 1]", "self [3, 5]", "dim 0");
        fails(IllegalArgumentException.class, () -> self.scatterAdd(0, Tensor.ofLongs(new long[2], 2), Tensor.ones(2)),
                "scatterAdd", "rank 1", "rank 2");
        // larger than self along dim itself is allowed, as in PyTorch
        Tensor ok = self.scatterAdd(0, Tensor.ofLongs(new long[] {0, 2, 2, 1, 0}, 5, 1), Tensor.ones(5, 1));
        assertArrayEquals(new float[] {2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0}, ok.toFloatArray());
    }

    @Test
    void scatterAddGradientReachesOnlyTheCoveredPartOfSrc() {
        long[] idx = TestSupport.indices(36, 2 * 4 * 5, 5);
        check("scatterAdd(1) small index", x -> x[0].scatterAdd(1, Tensor.ofLongs(idx, 2, 4, 5), x[1]),
                in(normal(37, 105), S), in(normal(38, 3 * 6 * 7), 3, 6, 7));
        check("scatterAdd(-1) transposed src", x -> x[0].scatterAdd(-1, Tensor.ofLongs(TestSupport.indices(39, 15, 7), 3, 5, 1),
                x[1].transpose(0, 2)), in(normal(40, 105), S), in(normal(41, 2 * 5 * 3), 2, 5, 3));
    }

    // ================================================================================================ scatter

    @Test
    void scatterWritesAndTheLastDuplicateInRowMajorOrderWins() {
        // index [3, 4, 7] into dim 1 of size 5: many duplicates; src [3, 6, 7] larger than index
        float[] self = normal(50, 105);
        float[] src = normal(51, 126);
        src[0] = Float.NaN;
        src[1] = -0f;
        src[9] = Float.NEGATIVE_INFINITY;
        long[] idx = TestSupport.indices(52, 84, 5);
        idx[1] = 4; // make sure -0.0 lands somewhere and wins there: no later entry of column 1 in slice 0 writes row 4
        for (int row = 1; row < 4; row++) if (idx[row * 7 + 1] == 4) idx[row * 7 + 1] = 3;
        double[] ref = scatterRef(self, S, idx, new int[] {3, 4, 7}, src, new int[] {3, 6, 7}, 1, false);
        float[] got = Tensor.of(self, S).scatter(1, Tensor.ofLongs(idx, 3, 4, 7), Tensor.of(src, 3, 6, 7)).toFloatArray();
        float[] expected = new float[ref.length];
        for (int i = 0; i < ref.length; i++) expected[i] = (float) ref[i];
        TestSupport.assertBitsEqual("scatter(1) with duplicates, NaN and -0.0", expected, got);
        float[] neg = Tensor.of(self, S).scatter(-2, Tensor.ofLongs(idx, 3, 4, 7), Tensor.of(src, 3, 6, 7)).toFloatArray();
        TestSupport.assertBitsEqual("scatter(-2)", expected, neg);
    }

    @Test
    void scatterWithStridedOperandsMatchesLoops() {
        Tensor self = Tensor.of(normal(53, 105), 7, 5, 3).permute(2, 1, 0);            // [3, 5, 7]
        Tensor index = Tensor.ofLongs(TestSupport.indices(54, 2 * 7 * 6, 7), 2, 7, 6).transpose(1, 2).slice(1, 0, 6, 2); // [2, 3, 7]
        Tensor src = Tensor.of(normal(55, 4 * 3 * 7 * 2), 4, 3, 7, 2).select(3, 1);     // [4, 3, 7]
        double[] ref = scatterRef(valuesOf(self), self.shape(), index.contiguous().toLongArray(), index.shape(), valuesOf(src),
                src.shape(), 2, false);
        TestSupport.assertClose("scatter strided", ref, self.scatter(2, index, src).toFloatArray(), 0, 0);
        TestSupport.assertClose("scatter strided, dim -1", ref, self.scatter(-1, index, src).toFloatArray(), 0, 0);
    }

    @Test
    void scatterOfAValueMakesOneHotRowsAndKeepsTheRest() {
        long[] cls = {2, 0, 4, 4};
        Tensor oneHot = Tensor.zeros(4, 5).scatter(1, Tensor.ofLongs(cls, 4, 1), 1f);
        assertArrayEquals(new float[] {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, oneHot.toFloatArray());
        float[] self = normal(56, 105);
        long[] idx = TestSupport.indices(57, 3 * 2 * 7, 5);
        Tensor index = Tensor.ofLongs(idx, 3, 2, 7);
        float[] filled = new float[42];
        java.util.Arrays.fill(filled, -3.5f);
        double[] ref = scatterRef(self, S, idx, new int[] {3, 2, 7}, filled, new int[] {3, 2, 7}, 1, false);
        TestSupport.assertClose("scatter value", ref, Tensor.of(self, S).transpose(0, 1).contiguous().transpose(0, 1)
                .scatter(1, index, -3.5f).toFloatArray(), 0, 0);
    }

    @Test
    void scatterGradientsFollowTheWrittenValues() {
        long[] idx = TestSupport.indices(58, 3 * 4 * 7, 5); // duplicates: overwritten src entries get no gradient
        check("scatter(1) src", x -> x[0].scatter(1, Tensor.ofLongs(idx, 3, 4, 7), x[1]),
                in(normal(59, 105), S), in(normal(60, 3 * 6 * 7), 3, 6, 7));
        check("scatter(-1) strided src", x -> x[0].scatter(-1, Tensor.ofLongs(TestSupport.indices(61, 30, 7), 3, 5, 2),
                x[1].transpose(0, 2)), in(normal(62, 105), S), in(normal(63, 2 * 5 * 3), 2, 5, 3));
        check("scatter(0) value", x -> x[0].scatter(0, Tensor.ofLongs(TestSupport.indices(64, 35, 3), 1, 5, 7), 2f).mul(x[0]),
                in(normal(65, 105), S));
    }

    @Test
    void scatterGradientOfAnOverwrittenEntryIsZero() {
        try (Scope s = Scope.open()) {
            Tensor self = Tensor.of(normal(66, 4), 4).requiresGrad(true);
            Tensor src = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
            Tensor out = self.scatter(0, Tensor.ofLongs(new long[] {2, 0, 2}, 3), src);
            assertArrayEquals(new float[] {2, self.toFloatArray()[1], 3, self.toFloatArray()[3]}, out.toFloatArray());
            out.mul(Tensor.of(new float[] {10, 20, 30, 40}, 4)).sum().backward();
            assertArrayEquals(new float[] {0, 20, 0, 40}, self.grad().toFloatArray());
            assertArrayEquals(new float[] {0, 10, 30}, src.grad().toFloatArray());
        }
    }

    @Test
    void scatterErrorsNameTheOp() {
        Tensor self = Tensor.zeros(3, 5);
        fails(IndexOutOfBoundsException.class, () -> self.scatter(1, Tensor.ofLongs(new long[] {1, 5}, 1, 2), Tensor.ones(1, 2)),
                "scatter", "5", "size 5");
        fails(IndexOutOfBoundsException.class, () -> self.scatter(0, Tensor.ofLongs(new long[] {-1}, 1, 1), 1f), "scatter:", "-1", "3");
        fails(IllegalArgumentException.class, () -> self.scatter(0, Tensor.ofLongs(new long[6], 1, 6), 1f), "scatter", "[1, 6]", "self [3, 5]", "dim 1");
        fails(IllegalArgumentException.class, () -> self.scatter(1, Tensor.ofLongs(new long[6], 3, 2), Tensor.ones(2, 2)),
                "scatter", "[3, 2]", "src [2, 2]", "dim 0");
        fails(IllegalArgumentException.class, () -> Tensor.ofLongs(new long[4], 2, 2).scatter(1, Tensor.ofLongs(new long[2], 2, 1), 1f),
                "scatter", "I64");
        fails(IllegalArgumentException.class, () -> self.scatter(1, Tensor.of(new float[2], 2, 1), 1f), "scatter", "I32 or I64");
    }

    // ================================================================================================ memory

    private static long inUse() {
        return org.racro4j.core.cpu.CpuBackend.INSTANCE.memoryStats().bytesInUse();
    }

    @Test
    void theOpsFreeTheirTemporariesInAndOutsideScopes() {
        long base = inUse();
        long[] idx = TestSupport.indices(70, 3 * 4 * 7, 5);
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(distinct(71, 105), S).requiresGrad(true);
            Tensor y = x.sort(1, true).values().mul(x.topk(2, 0, true, false).values().sum(0, true))
                    .scatter(1, Tensor.ofLongs(idx, 3, 4, 7), x.exp()).scatter(2, Tensor.ofLongs(new long[] {6, 0, 6}, 3, 1, 1), 0.5f)
                    .scatterAdd(-1, Tensor.ofLongs(TestSupport.indices(72, 15, 7), 3, 5, 1), x);
            y.sum().backward();
            assertTrue(x.grad() != null);
            x.zeroGrad();
        }
        assertEquals(base, inUse(), "bytes in use after the scope closed");
        // outside any scope and with nothing requiring grad: closing the inputs and results frees everything
        Tensor x = Tensor.of(normal(73, 105), S);
        Tensor index = Tensor.ofLongs(idx, 3, 4, 7);
        Tensor src = Tensor.of(normal(74, 3 * 6 * 7), 3, 6, 7);
        Tensor.ValuesIndices sorted = x.sort(0, false);
        Tensor.ValuesIndices top = x.topk(2);
        Tensor[] all = {x, index, src, sorted.values(), sorted.indices(), top.values(), top.indices(), x.argsort(1, true),
                x.scatter(1, index, src), x.scatter(1, index, 2f), x.scatterAdd(1, index, src), x.gather(1, index)};
        for (Tensor t : all) t.close();
        assertEquals(base, inUse(), "bytes in use after closing the results of ops called outside any scope");
    }

    private static void fails(Class<? extends Throwable> type, Executable body, String... mustMention) {
        Throwable e = assertThrows(type, body);
        for (String s : mustMention) assertTrue(e.getMessage().contains(s), "message should mention '" + s + "': " + e.getMessage());
    }
}

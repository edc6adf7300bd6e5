package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.function.BinaryOperator;
import java.util.function.LongBinaryOperator;

import org.junit.jupiter.api.Test;

/**
 * Integer tensors stay exact: ids, positions and counts above 2^24, where float32 can no longer hold every integer,
 * go through add, sub, mul, maximum, minimum, the comparisons, where and the integer scans as longs.
 */
class IntegerOpsTest {
    /** Values around 2^24 and 2^40 with neighbours one apart, and a broadcast partner. */
    static long[] values(long seed, int n) {
        Random r = new Random(seed);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            long base = switch (i % 3) {
                case 0 -> 1L << 24;
                case 1 -> 1L << 40;
                default -> -(1L << 33);
            };
            v[i] = base + r.nextInt(5) - 2;
        }
        return v;
    }

    @Test
    void arithmeticAndComparisonsOfLargeI64AreExact() {
        long[] a = values(1, 3 * 7);
        long[] b = values(2, 7);
        Tensor ta = Tensor.ofLongs(a, 3, 7);
        Tensor tb = Tensor.ofLongs(b, 7);
        check("add", ta, tb, Tensor::add, a, b, Long::sum);
        check("sub", ta, tb, Tensor::sub, a, b, (x, y) -> x - y);
        check("mul", ta, tb, Tensor::mul, a, b, (x, y) -> x * y);
        check("maximum", ta, tb, Tensor::maximum, a, b, Math::max);
        check("minimum", ta, tb, Tensor::minimum, a, b, Math::min);
        check("eq", ta, tb, Tensor::eq, a, b, (x, y) -> x == y ? 1 : 0);
        check("lt", ta, tb, Tensor::lt, a, b, (x, y) -> x < y ? 1 : 0);
        check("ge", ta, tb, Tensor::ge, a, b, (x, y) -> x >= y ? 1 : 0);
        // a transposed (non-contiguous) operand
        Tensor tt = Tensor.ofLongs(a, 7, 3).t();
        long[] at = new long[a.length];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 7; j++) at[i * 7 + j] = a[j * 3 + i];
        check("add of a transpose", tt, tb, Tensor::add, at, b, Long::sum);
    }

    @Test
    void i32AroundTwoToThe24IsExact() {
        int[] a = {16777217, 16777219, -16777217, 2147483000};
        int[] b = {1, 2, -2, 600};
        Tensor s = Tensor.ofInts(a, 4).add(Tensor.ofInts(b, 4));
        assertEquals(DType.I32, s.dtype());
        assertArrayEquals(new int[] {16777218, 16777221, -16777219, 2147483600}, s.toIntArray());
        assertArrayEquals(new float[] {0, 0, 1, 0}, Tensor.ofInts(a, 4).eq(Tensor.ofInts(new int[] {16777216, 16777218, -16777217, 2147483001}, 4)).toFloatArray());
    }

    @Test
    void whereAndScansOfLargeI64AreExact() {
        long[] a = values(3, 11);
        long[] b = values(4, 11);
        float[] cond = new float[11];
        for (int i = 0; i < 11; i++) cond[i] = i % 2;
        long[] w = Tensor.where(Tensor.of(cond, 11), Tensor.ofLongs(a, 11), Tensor.ofLongs(b, 11)).toLongArray();
        long[] cum = Tensor.ofLongs(a, 11).cumsum(0).toLongArray();
        long run = 0;
        for (int i = 0; i < 11; i++) {
            assertEquals(i % 2 == 1 ? a[i] : b[i], w[i], "where at " + i);
            run += a[i];
            assertEquals(run, cum[i], "cumsum at " + i);
        }
    }

    private static void check(String name, Tensor ta, Tensor tb, BinaryOperator<Tensor> op, long[] a, long[] b, LongBinaryOperator ref) {
        Tensor out = op.apply(ta, tb);
        int cols = b.length;
        long[] expected = new long[a.length];
        for (int i = 0; i < a.length; i++) expected[i] = ref.applyAsLong(a[i], b[i % cols]);
        if (out.dtype().isFloatingPoint()) {
            float[] got = out.toFloatArray();
            for (int i = 0; i < a.length; i++) assertEquals((float) expected[i], got[i], name + " at " + i);
        } else {
            assertEquals(DType.I64, out.dtype(), name);
            assertArrayEquals(expected, out.toLongArray(), name);
        }
    }
}

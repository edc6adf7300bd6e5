package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.assertClose;
import static org.racro4j.core.TestSupport.normal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * einsum against a generic float64 reference that loops over every assignment of the letters, for the
 * transformer contractions, diagonals and traces, ellipsis batch dims, implicit outputs, size-1 broadcasting and
 * chains of three operands; gradients against finite differences; that pairs go through matmul; and the errors.
 */
@ExtendWith(ScopePerTest.class)
class EinsumTest {
    // ------------------------------------------------------------------------------------------ reference

    /**
     * The float64 einsum of an explicit, letters-only equation (the caller spells out ellipsis dims with letters
     * of its own): loops over every assignment of every letter, multiplies the operands' elements (a size-1 dim
     * broadcasts: index 0) and adds the product into the output element the output letters pick.
     */
    static double[] reference(String equation, float[][] data, int[][] shapes) {
        String[] sides = equation.split("->", -1);
        String[] terms = sides[0].split(",");
        String out = sides[1];
        Map<Character, Integer> size = new LinkedHashMap<>();
        for (int i = 0; i < terms.length; i++) {
            for (int d = 0; d < terms[i].length(); d++) size.merge(terms[i].charAt(d), shapes[i][d], Math::max);
        }
        List<Character> letters = new ArrayList<>(size.keySet());
        int[] outShape = new int[out.length()];
        for (int d = 0; d < out.length(); d++) outShape[d] = size.get(out.charAt(d));
        double[] result = new double[TestSupport.numel(outShape)];
        int[] value = new int[letters.size()];
        long total = 1;
        for (char c : letters) total *= size.get(c);
        for (long n = 0; n < total; n++) {
            long rest = n;
            for (int j = letters.size() - 1; j >= 0; j--) {
                int s = size.get(letters.get(j));
                value[j] = (int) (rest % s);
                rest /= s;
            }
            double product = 1;
            for (int i = 0; i < terms.length; i++) {
                int flat = 0;
                for (int d = 0; d < terms[i].length(); d++) {
                    int v = shapes[i][d] == 1 ? 0 : value[letters.indexOf(terms[i].charAt(d))];
                    flat = flat * shapes[i][d] + v;
                }
                product *= data[i][flat];
            }
            int at = 0;
            for (int d = 0; d < out.length(); d++) at = at * outShape[d] + value[letters.indexOf(out.charAt(d))];
            result[at] += product;
        }
        return result;
    }

    private static int[] outShape(String refEquation, int[][] shapes) {
        String[] sides = refEquation.split("->", -1);
        String[] terms = sides[0].split(",");
        Map<Character, Integer> size = new LinkedHashMap<>();
        for (int i = 0; i < terms.length; i++) {
            for (int d = 0; d < terms[i].length(); d++) size.merge(terms[i].charAt(d), shapes[i][d], Math::max);
        }
        int[] out = new int[sides[1].length()];
        for (int d = 0; d < out.length; d++) out[d] = size.get(sides[1].charAt(d));
        return out;
    }

    /**
     * Runs {@code equation} on random contiguous operands of the given shapes and compares it with the reference of
     * {@code refEquation} (the same contraction written explicitly with letters only).
     */
    private static void compare(String equation, String refEquation, int[]... shapes) {
        float[][] data = new float[shapes.length][];
        Tensor[] ops = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            data[i] = normal(equation.hashCode() * 31L + i, TestSupport.numel(shapes[i]));
            ops[i] = Tensor.of(data[i], shapes[i]);
        }
        compare(equation, refEquation, ops, data, shapes);
    }

    private static void compare(String equation, String refEquation, Tensor[] ops, float[][] logical, int[][] shapes) {
        Tensor y = Tensor.einsum(equation, ops);
        assertArrayEquals(outShape(refEquation, shapes), y.shape(), equation + ": shape");
        int longestSum = 1;
        for (int[] s : shapes) for (int v : s) longestSum = Math.max(longestSum, v);
        assertClose(equation, reference(refEquation, logical, shapes), y.toFloatArray(), 2e-6 * longestSum * shapes.length, 1e-5);
    }

    // ------------------------------------------------------------------------------------------ forward

    @Test
    void transformerContractions() {
        compare("bhqd,bhkd->bhqk", "bhqd,bhkd->bhqk", new int[] {2, 3, 5, 4}, new int[] {2, 3, 6, 4});
        compare("bhqk,bhkd->bhqd", "bhqk,bhkd->bhqd", new int[] {2, 3, 5, 6}, new int[] {2, 3, 6, 4});
        compare("bsd,de->bse", "bsd,de->bse", new int[] {3, 5, 7}, new int[] {7, 4});
        compare("ij,jk->ik", "ij,jk->ik", new int[] {3, 5}, new int[] {5, 7});
        compare("bi,bi->b", "bi,bi->b", new int[] {4, 7}, new int[] {4, 7});
        compare("i,j->ij", "i,j->ij", new int[] {13}, new int[] {5});
        compare("ij->ji", "ij->ji", new int[] {3, 5});
        compare("bhqd,bhkd->bhkq", "bhqd,bhkd->bhkq", new int[] {1, 2, 3, 5}, new int[] {1, 2, 4, 5});
    }

    @Test
    void diagonalsTracesAndSums() {
        compare("ii->i", "ii->i", new int[] {5, 5});
        compare("ii->", "ii->", new int[] {5, 5});
        compare("ii", "ii->", new int[] {4, 4});
        compare("bii->bi", "bii->bi", new int[] {3, 4, 4});
        compare("iji->j", "iji->j", new int[] {3, 5, 3});
        compare("iii->i", "iii->i", new int[] {4, 4, 4});
        compare("ij->", "ij->", new int[] {3, 5});
        compare("ijk->j", "ijk->j", new int[] {3, 5, 7});
        compare("ij,jj->i", "ij,jj->i", new int[] {3, 4}, new int[] {4, 4});
        compare("i,i->", "i,i->", new int[] {13}, new int[] {13});
    }

    @Test
    void implicitOutputIsTheLettersThatOccurOnceAlphabetically() {
        compare("ij,jk", "ij,jk->ik", new int[] {3, 5}, new int[] {5, 7});
        compare("ba,ac", "ba,ac->bc", new int[] {3, 5}, new int[] {5, 4});
        compare("kj,ji", "kj,ji->ik", new int[] {3, 5}, new int[] {5, 4});
        // upper case sorts before lower case (ASCII), as in PyTorch
        compare("bA,Cb", "bA,Cb->AC", new int[] {3, 5}, new int[] {4, 3});
        compare("ji", "ji->ij", new int[] {3, 5});
        compare("i,i", "i,i->", new int[] {7}, new int[] {7});
    }

    @Test
    void ellipsisBatchDimsBroadcast() {
        compare("...ij,...jk->...ik", "xyij,yjk->xyik", new int[] {2, 3, 4, 5}, new int[] {3, 5, 6});
        compare("...ij,...jk->...ik", "xyij,yjk->xyik", new int[] {2, 1, 4, 5}, new int[] {3, 5, 6});
        compare("...ij,...jk", "xyij,yjk->xyik", new int[] {2, 3, 4, 5}, new int[] {3, 5, 6});
        compare("...ij,jk->...ik", "ij,jk->ik", new int[] {4, 5}, new int[] {5, 6});
        compare("i...j->j...i", "ixyj->jxyi", new int[] {3, 4, 5, 6});
        compare("...ii->...i", "xii->xi", new int[] {3, 4, 4});
        compare("b...,b...->...", "bxy,bxy->xy", new int[] {3, 4, 5}, new int[] {3, 4, 5});
        // no "..." in an explicit output: the ellipsis dims are summed (PyTorch)
        compare("...ij->ij", "xyij->ij", new int[] {2, 3, 4, 5});
        compare("...->...", "x->x", new int[] {7});
    }

    @Test
    void sizeOneDimsBroadcast() {
        compare("ij,ij->ij", "ij,ij->ij", new int[] {3, 1}, new int[] {3, 4});
        compare("ij,jk->ik", "ij,jk->ik", new int[] {3, 1}, new int[] {5, 4});
        compare("bij,bjk->bik", "bij,bjk->bik", new int[] {1, 3, 5}, new int[] {4, 5, 2});
        compare("bi,bi->b", "bi,bi->b", new int[] {1, 7}, new int[] {4, 7});
        compare("bij,bjk->ik", "bij,bjk->ik", new int[] {1, 3, 5}, new int[] {4, 5, 2});
    }

    @Test
    void threeAndFourOperandsContractLeftToRight() {
        compare("ij,jk,kl->il", "ij,jk,kl->il", new int[] {3, 5}, new int[] {5, 4}, new int[] {4, 6});
        compare("i,i,i->", "i,i,i->", new int[] {13}, new int[] {13}, new int[] {13});
        compare("bi,ij,bj->b", "bi,ij,bj->b", new int[] {4, 3}, new int[] {3, 5}, new int[] {4, 5});
        compare("a,b,c,d->abcd", "a,b,c,d->abcd", new int[] {2}, new int[] {3}, new int[] {1}, new int[] {4});
        compare("ab,bc,ca", "ab,bc,ca->", new int[] {3, 4}, new int[] {4, 5}, new int[] {5, 3});
    }

    @Test
    void spacesAreIgnoredAndSizeOneOperandsWork() {
        compare(" b i , b i -> b ", "bi,bi->b", new int[] {4, 7}, new int[] {4, 7});
        compare("ij,jk->ik", "ij,jk->ik", new int[] {1, 1}, new int[] {1, 1});
        compare("i->", "i->", new int[] {1});
    }

    @Test
    void nonContiguousOperands() {
        float[] a = normal(70, 3 * 5 * 7);
        float[] b = normal(71, 7 * 4 * 2);
        Tensor at = Tensor.of(a, 7, 5, 3).permute(2, 1, 0);            // [3, 5, 7]
        Tensor bt = Tensor.of(b, 7, 4, 2).slice(2, 0, 2, 2);            // [7, 4, 1], stride 2 in the last dim
        compare("bsd,dek->bsek", "bsd,dek->bsek", new Tensor[] {at, bt}, new float[][] {at.toFloatArray(), bt.toFloatArray()},
                new int[][] {{3, 5, 7}, {7, 4, 1}});
        Tensor sq = Tensor.of(normal(72, 36), 6, 6).t().slice(0, 0, 6, 2).slice(1, 1, 6, 2);   // [3, 3], strided
        compare("ii->i", "ii->i", new Tensor[] {sq}, new float[][] {sq.toFloatArray()}, new int[][] {{3, 3}});
        Tensor q = Tensor.of(normal(73, 2 * 5 * 3 * 4), 2, 5, 3, 4).transpose(1, 2);   // [b, h, q, d] from [b, q, h, d]
        Tensor k = Tensor.of(normal(74, 2 * 6 * 3 * 4), 2, 6, 3, 4).transpose(1, 2);
        compare("bhqd,bhkd->bhqk", "bhqd,bhkd->bhqk", new Tensor[] {q, k}, new float[][] {q.toFloatArray(), k.toFloatArray()},
                new int[][] {{2, 3, 5, 4}, {2, 3, 6, 4}});
    }

    @Test
    void anIdentityEquationReturnsANewViewNotTheOperand() {
        Tensor x = Tensor.of(normal(77, 15), 3, 5).requiresGrad(true);
        Tensor y = Tensor.einsum("ij->ij", x);
        assertNotSame(x, y, "closing the result must not close the operand");
        assertTrue(y.requiresGrad(), "the view keeps the autograd history");
        assertArrayEquals(x.toFloatArray(), y.toFloatArray());
    }

    @Test
    void emptyDimsGiveZerosOrEmptyResults() {
        Tensor y = Tensor.einsum("ij,jk->ik", Tensor.zeros(3, 0), Tensor.zeros(0, 4));
        assertArrayEquals(new int[] {3, 4}, y.shape());
        assertArrayEquals(new float[12], y.toFloatArray());
        assertArrayEquals(new int[] {0, 4}, Tensor.einsum("ij,jk->ik", Tensor.zeros(0, 5), Tensor.ones(5, 4)).shape());
    }

    @Test
    void mixedFloatingTypesArePromoted() {
        float[] a = normal(75, 15);
        float[] b = normal(76, 5);
        Tensor y = Tensor.einsum("ij,j->i", Tensor.of(a, 3, 5), Tensor.of(b, 5).to(DType.BF16));
        assertTrue(y.dtype() == DType.F32);
        float[] bRounded = Tensor.of(b, 5).to(DType.BF16).toFloatArray();
        assertClose("ij,j->i mixed", reference("ij,j->i", new float[][] {a, bRounded}, new int[][] {{3, 5}, {5}}), y.toFloatArray(), 1e-5, 1e-5);
    }

    // ------------------------------------------------------------------------------------------ how it computes

    /** The names of every op in the autograd graph below t. */
    private static Set<String> graphOps(Tensor t) {
        Set<String> names = new HashSet<>();
        Set<Node> seen = new HashSet<>();
        Deque<Node> todo = new ArrayDeque<>();
        if (t.gradFn() != null) todo.add(t.gradFn());
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!seen.add(n)) continue;
            names.add(n.op);
            for (Tensor in : n.inputs) if (in != null && in.gradFn() != null) todo.add(in.gradFn());
        }
        return names;
    }

    @Test
    void pairsGoThroughMatmulWithoutCopiesForAttentionLayouts() {
        String[][] cases = {
                {"bhqd,bhkd->bhqk", "2,3,5,4", "2,3,6,4"},
                {"bhqk,bhkd->bhqd", "2,3,5,6", "2,3,6,4"},
                {"bsd,de->bse", "3,5,7", "7,4"},
                {"ij,jk->ik", "3,5", "5,7"},
                {"bi,bi->b", "4,7", "4,7"},
                {"i,j->ij", "13", "5"},
                {"...ij,...jk->...ik", "2,3,4,5", "2,3,5,6"}};
        for (String[] c : cases) {
            Tensor a = Tensor.of(normal(80, TestSupport.numel(dims(c[1]))), dims(c[1])).requiresGrad(true);
            Tensor b = Tensor.of(normal(81, TestSupport.numel(dims(c[2]))), dims(c[2])).requiresGrad(true);
            Set<String> ops = graphOps(Tensor.einsum(c[0], a, b));
            assertTrue(ops.contains("matmul"), c[0] + " runs a matmul: " + ops);
            assertFalse(ops.contains("mul") || ops.contains("sum"), c[0] + " does no broadcast multiply and sum: " + ops);
            assertFalse(ops.contains("contiguous") || ops.contains("copy"), c[0] + " copies no operand: " + ops);
        }
    }

    private static int[] dims(String csv) {
        String[] p = csv.split(",");
        int[] d = new int[p.length];
        for (int i = 0; i < p.length; i++) d[i] = Integer.parseInt(p[i]);
        return d;
    }

    // ------------------------------------------------------------------------------------------ gradients

    @Test
    void gradientsOfContractions() {
        check("bhqd,bhkd->bhqk", x -> Tensor.einsum("bhqd,bhkd->bhqk", x[0], x[1]),
                in(normal(90, 2 * 2 * 3 * 4), 2, 2, 3, 4), in(normal(91, 2 * 2 * 5 * 4), 2, 2, 5, 4));
        check("bsd,de->bse", x -> Tensor.einsum("bsd,de->bse", x[0], x[1]), in(normal(92, 3 * 5 * 7), 3, 5, 7), in(normal(93, 7 * 4), 7, 4));
        check("bi,bi->b", x -> Tensor.einsum("bi,bi->b", x[0], x[1]), in(normal(94, 4 * 7), 4, 7), in(normal(95, 4 * 7), 4, 7));
        check("i,j->ij", x -> Tensor.einsum("i,j->ij", x[0], x[1]), in(normal(96, 13), 13), in(normal(97, 5), 5));
        check("ij,jk,kl->il", x -> Tensor.einsum("ij,jk,kl->il", x[0], x[1], x[2]),
                in(normal(98, 6), 2, 3), in(normal(99, 12), 3, 4), in(normal(100, 8), 4, 2));
    }

    @Test
    void gradientsOfDiagonalsEllipsisAndBroadcasts() {
        check("ii->i", x -> Tensor.einsum("ii->i", x[0]), in(normal(101, 25), 5, 5));
        check("ii-> (trace)", x -> Tensor.einsum("ii->", x[0]), in(normal(102, 25), 5, 5));
        check("iji->j of a transpose", x -> Tensor.einsum("iji->j", x[0].transpose(0, 1)), in(normal(103, 45), 5, 3, 3));
        check("ij->ji", x -> Tensor.einsum("ij->ji", x[0]), in(normal(104, 15), 3, 5));
        check("...ij,...jk->...ik", x -> Tensor.einsum("...ij,...jk->...ik", x[0], x[1]),
                in(normal(105, 2 * 1 * 3 * 4), 2, 1, 3, 4), in(normal(106, 3 * 4 * 2), 3, 4, 2));
        check("ij,jk->ik with j broadcast", x -> Tensor.einsum("ij,jk->ik", x[0], x[1]), in(normal(107, 3), 3, 1), in(normal(108, 20), 5, 4));
        check("bij,bjk->bik with b broadcast", x -> Tensor.einsum("bij,bjk->bik", x[0], x[1]),
                in(normal(109, 6), 1, 2, 3), in(normal(110, 24), 4, 3, 2));
        check("bsd,de->bse of a strided slice", x -> Tensor.einsum("bsd,de->bse", x[0].slice(1, 0, 5, 2), x[1]),
                in(normal(111, 3 * 5 * 7), 3, 5, 7), in(normal(112, 7 * 4), 7, 4));
    }

    // ------------------------------------------------------------------------------------------ errors

    private static void assertError(String equation, String fragment, Tensor... ops) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.einsum(equation, ops), equation);
        assertTrue(e.getMessage().contains(equation), "the message names the equation: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' lacks '" + fragment + "'");
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void malformedEquationsAreOneLineErrorsNamingTheEquation() {
        Tensor m35 = Tensor.of(normal(120, 15), 3, 5);
        Tensor m57 = Tensor.of(normal(121, 35), 5, 7);
        Tensor m45 = Tensor.of(normal(122, 20), 4, 5);
        assertError("ij,jk->ik", "1 operands", m35);
        assertError("ij->ik", "'k' does not appear", m35);
        assertError("ij->ii", "'i' appears more than once", m35);
        assertError("ijk->i", "has 2 dims", m35);
        assertError("i->i", "has 2 dims", m35);
        assertError("ij,jk->ik", "'j' has size 5 in operand 0 but 7", m35, m57.t());
        assertError("ij,jk->ik", "'j' has size 5 in operand 0 but 4", m35, m45);
        assertError("ii->i", "repeated in operand 0 with different sizes 3 and 5", m35);
        assertError("ij,jk->ik", "I64", m35, Tensor.ofLongs(new long[35], 5, 7));
        assertError("i1,jk->ik", "'1'", m35, m57);
        assertError("i..j->ij", "'.'", m35);
        assertError("ij->i->j", "'->'", m35);
        assertError("", "at least one operand");
    }
}

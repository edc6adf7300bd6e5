package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * Random chains of view ops (permute, transpose, slice with steps, narrow, select, unsqueeze, squeeze, expand,
 * reshape, view, flatten) checked against an explicit model: for every logical element, the position in the
 * base tensor it reads. Values, copies, kernels and writes through the views must all agree with the model.
 */
class ViewChainPropertyTest {

    /** The model: a shape and, per logical element in row-major order, the base element it refers to. */
    private record Model(int[] shape, int[] at) {
        int numel() {
            return at.length;
        }
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    private static int ravel(int[] idx, int[] shape) {
        int f = 0;
        for (int d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
        return f;
    }

    private interface IndexMap {
        int[] source(int[] newIndex);
    }

    private static Model remap(Model m, int[] newShape, IndexMap map) {
        int n = TestSupport.numel(newShape);
        int[] at = new int[n];
        for (int i = 0; i < n; i++) at[i] = m.at()[ravel(map.source(unravel(i, newShape)), m.shape())];
        return new Model(newShape, at);
    }

    @Test
    void randomViewChainsAgreeWithAnExplicitIndexModel() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 300; trial++) {
            try (Scope s = Scope.open()) {
                runChain(r, trial);
            }
        }
    }

    private static void runChain(SplittableRandom r, int trial) {
        int[] baseShape = {2 + r.nextInt(3), 1 + r.nextInt(4), 2 + r.nextInt(4)};
        int n = TestSupport.numel(baseShape);
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = i + 1;
        Tensor base = Tensor.of(data, baseShape);
        int[] ident = new int[n];
        for (int i = 0; i < n; i++) ident[i] = i;
        Model m = new Model(baseShape, ident);
        Tensor t = base;
        List<String> log = new ArrayList<>();
        for (int step = 0; step < 6; step++) {
            int[] sh = m.shape();
            int rank = sh.length;
            int op = r.nextInt(9);
            if (rank == 0) op = 4; // only unsqueeze applies to a 0-d tensor
            final Model cur = m;
            switch (op) {
                case 0 -> { // permute
                    int[] perm = new int[rank];
                    for (int i = 0; i < rank; i++) perm[i] = i;
                    for (int i = rank - 1; i > 0; i--) {
                        int j = r.nextInt(i + 1);
                        int tmp = perm[i];
                        perm[i] = perm[j];
                        perm[j] = tmp;
                    }
                    int[] ns = new int[rank];
                    for (int i = 0; i < rank; i++) ns[i] = sh[perm[i]];
                    m = remap(cur, ns, idx -> {
                        int[] src = new int[rank];
                        for (int i = 0; i < rank; i++) src[perm[i]] = idx[i];
                        return src;
                    });
                    t = t.permute(perm);
                    log.add("permute" + Arrays.toString(perm));
                }
                case 1 -> { // slice with a step
                    int d = r.nextInt(rank);
                    int size = sh[d];
                    int start = r.nextInt(size);
                    int end = start + 1 + r.nextInt(size - start);
                    int stepBy = 1 + r.nextInt(3);
                    int len = (end - start + stepBy - 1) / stepBy;
                    int[] ns = sh.clone();
                    ns[d] = len;
                    m = remap(cur, ns, idx -> {
                        int[] src = idx.clone();
                        src[d] = start + idx[d] * stepBy;
                        return src;
                    });
                    t = t.slice(d, start, end, stepBy);
                    log.add("slice(" + d + ", " + start + ", " + end + ", " + stepBy + ")");
                }
                case 2 -> { // select
                    int d = r.nextInt(rank);
                    int i0 = r.nextInt(sh[d]);
                    int[] ns = new int[rank - 1];
                    for (int i = 0, j = 0; i < rank; i++) if (i != d) ns[j++] = sh[i];
                    m = remap(cur, ns, idx -> {
                        int[] src = new int[rank];
                        for (int i = 0, j = 0; i < rank; i++) src[i] = i == d ? i0 : idx[j++];
                        return src;
                    });
                    t = t.select(d, i0);
                    log.add("select(" + d + ", " + i0 + ")");
                }
                case 3 -> { // transpose
                    int a = r.nextInt(rank);
                    int b = r.nextInt(rank);
                    int[] ns = sh.clone();
                    ns[a] = sh[b];
                    ns[b] = sh[a];
                    m = remap(cur, ns, idx -> {
                        int[] src = idx.clone();
                        src[a] = idx[b];
                        src[b] = idx[a];
                        return src;
                    });
                    t = t.transpose(a, b);
                    log.add("transpose(" + a + ", " + b + ")");
                }
                case 4 -> { // unsqueeze
                    int d = r.nextInt(rank + 1);
                    int[] ns = new int[rank + 1];
                    for (int i = 0, j = 0; i <= rank; i++) ns[i] = i == d ? 1 : sh[j++];
                    m = remap(cur, ns, idx -> {
                        int[] src = new int[rank];
                        for (int i = 0, j = 0; i <= rank; i++) if (i != d) src[j++] = idx[i];
                        return src;
                    });
                    t = t.unsqueeze(d);
                    log.add("unsqueeze(" + d + ")");
                }
                case 5 -> { // expand a size-1 dim (or squeeze it)
                    int d = -1;
                    for (int i = 0; i < rank; i++) if (sh[i] == 1) d = i;
                    if (d < 0) break;
                    int dd = d;
                    if (r.nextBoolean()) {
                        int[] ns = sh.clone();
                        ns[dd] = 2 + r.nextInt(3);
                        m = remap(cur, ns, idx -> {
                            int[] src = idx.clone();
                            src[dd] = 0;
                            return src;
                        });
                        t = t.expand(ns);
                        log.add("expand" + Arrays.toString(ns));
                    } else {
                        int[] ns = new int[rank - 1];
                        for (int i = 0, j = 0; i < rank; i++) if (i != dd) ns[j++] = sh[i];
                        m = remap(cur, ns, idx -> {
                            int[] src = new int[rank];
                            for (int i = 0, j = 0; i < rank; i++) src[i] = i == dd ? 0 : idx[j++];
                            return src;
                        });
                        t = t.squeeze(dd);
                        log.add("squeeze(" + dd + ")");
                    }
                }
                case 6, 7 -> { // reshape / view into a random factorisation (row-major order is unchanged)
                    int total = cur.numel();
                    List<Integer> dims = new ArrayList<>();
                    int rest = total;
                    while (rest > 1 && dims.size() < 3) {
                        List<Integer> divisors = new ArrayList<>();
                        for (int f = 2; f <= rest; f++) if (rest % f == 0) divisors.add(f);
                        int f = divisors.get(r.nextInt(divisors.size()));
                        dims.add(f);
                        rest /= f;
                    }
                    if (rest > 1) dims.add(rest);
                    if (r.nextInt(4) == 0) dims.add(r.nextInt(dims.size() + 1), 1);
                    int[] ns = dims.stream().mapToInt(Integer::intValue).toArray();
                    m = new Model(ns, cur.at());
                    if (op == 6) {
                        t = t.reshape(ns);
                        log.add("reshape" + Arrays.toString(ns));
                    } else {
                        int[] st = Shapes.viewStrides(t.shape(), t.strides(), ns);
                        if (st == null) {
                            Tensor tt = t;
                            try {
                                tt.view(ns);
                                fail("view" + Arrays.toString(ns) + " should fail when viewStrides says it is impossible");
                            } catch (IllegalArgumentException expected) {
                                t = t.reshape(ns);
                            }
                        } else {
                            t = t.view(ns);
                        }
                        log.add("view" + Arrays.toString(ns));
                    }
                }
                default -> { // narrow
                    int d = r.nextInt(rank);
                    int start = r.nextInt(sh[d]);
                    int len = 1 + r.nextInt(sh[d] - start);
                    int[] ns = sh.clone();
                    ns[d] = len;
                    m = remap(cur, ns, idx -> {
                        int[] src = idx.clone();
                        src[d] = start + idx[d];
                        return src;
                    });
                    t = t.narrow(d, start, len);
                    log.add("narrow(" + d + ", " + start + ", " + len + ")");
                }
            }
            String where = "trial " + trial + " base " + Arrays.toString(baseShape) + " after " + log;
            assertArrayEquals(m.shape(), t.shape(), where);
            float[] expected = new float[m.numel()];
            for (int i = 0; i < expected.length; i++) expected[i] = data[m.at()[i]];
            assertArrayEquals(expected, t.toFloatArray(), where);
            // a kernel over the view, and a contiguous copy, read the same elements
            float[] plus = t.add(0.5f).toFloatArray();
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i] + 0.5f, plus[i], 0f, where);
            assertArrayEquals(expected, t.contiguous().toFloatArray(), where);
            if (t.numel() > 0) assertEquals(sum(expected), t.sum().item(), 1e-3, where);
        }
        // writes through a view that still shares the base's storage land exactly on the modelled elements
        if (t.storage() == base.storage()) {
            t.fill(-1f);
            float[] after = base.toFloatArray();
            boolean[] hit = new boolean[n];
            for (int a : m.at()) hit[a] = true;
            for (int i = 0; i < n; i++) {
                assertEquals(hit[i] ? -1f : data[i], after[i], 0f, "trial " + trial + " write through " + log + " at base element " + i);
            }
        }
    }

    private static double sum(float[] a) {
        double s = 0;
        for (float v : a) s += v;
        return s;
    }
}

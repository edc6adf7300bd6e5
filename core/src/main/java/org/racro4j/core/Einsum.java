package org.racro4j.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * torch.einsum. The equation is parsed into integer labels per operand dim (a letter is its char code; the
 * dims an ellipsis stands for get labels {@link #ELLIPSIS} + j, right-aligned across operands so they broadcast
 * like batch dims). Then, using only differentiable ops:
 * <ol>
 * <li>a letter repeated within one operand takes that operand's diagonal (a strided view);</li>
 * <li>operands are contracted left to right; each pair goes through one batched {@link Tensor#matmul}
 * ([B, M, K] @ [B, K, N], built by permute + reshape, which are views for the usual transformer layouts),
 * after summing away labels that only one side has and nobody needs later;</li>
 * <li>labels absent from the output are summed, and the result is permuted into the output order.</li>
 * </ol>
 */
final class Einsum {
    /** Labels of ellipsis dims start here, above every char code of a letter. */
    private static final int ELLIPSIS = 1000;

    private Einsum() {}

    /** An operand during the evaluation: a tensor and one distinct label per dim. */
    private record Operand(Tensor t, int[] labels) {
        int position(int label) {
            for (int i = 0; i < labels.length; i++) if (labels[i] == label) return i;
            return -1;
        }

        boolean has(int label) {
            return position(label) >= 0;
        }
    }

    static Tensor einsum(String equation, Tensor... operands) {
        Parsed p = parse(equation, operands);
        List<Operand> ops = new ArrayList<>(operands.length);
        for (int i = 0; i < operands.length; i++) ops.add(diagonal(operands[i].to(p.dtype), p.labels[i]));
        Operand acc = ops.get(0);
        for (int i = 1; i < ops.size(); i++) {
            Set<Integer> keep = new HashSet<>();
            for (int l : p.output) keep.add(l);
            for (int j = i + 1; j < ops.size(); j++) for (int l : ops.get(j).labels) keep.add(l);
            acc = contract(acc, ops.get(i), keep);
        }
        Set<Integer> outputSet = new HashSet<>();
        for (int l : p.output) outputSet.add(l);
        acc = sumOut(acc, outputSet);
        int[] perm = new int[p.output.length];
        for (int i = 0; i < perm.length; i++) perm[i] = acc.position(p.output[i]);
        Tensor out = isIdentity(perm) ? acc.t : acc.t.permute(perm);
        // A plain relabelling returns a view as PyTorch does, but never the caller's own tensor object.
        for (Tensor t : operands) if (out == t) return out.view(out.shape());
        return out;
    }

    // ------------------------------------------------------------------------------------------ parsing

    /** The labels of each operand's dims (repeats allowed), the output labels, and the dtype to compute in. */
    private record Parsed(int[][] labels, int[] output, DType dtype) {}

    private static Parsed parse(String equation, Tensor[] operands) {
        String eq = equation.replaceAll("\\s", "");
        String where = "einsum(\"" + equation + "\"): ";
        if (operands.length == 0) throw new IllegalArgumentException(where + "needs at least one operand");
        int arrow = eq.indexOf("->");
        if (arrow >= 0 && eq.indexOf("->", arrow + 1) >= 0) throw new IllegalArgumentException(where + "more than one '->'");
        String lhs = arrow >= 0 ? eq.substring(0, arrow) : eq;
        String[] terms = lhs.split(",", -1);
        if (terms.length != operands.length) {
            throw new IllegalArgumentException(where + "the equation has " + terms.length + " operand subscripts but "
                    + operands.length + " operands were given");
        }
        DType dtype = operands[0].dtype();
        for (int i = 0; i < operands.length; i++) {
            operands[i].checkOpen("einsum");
            Elementwise.checkSameDevice("einsum", operands[0], operands[i]);
            if (!operands[i].dtype().isFloatingPoint()) {
                throw new IllegalArgumentException(where + "operand " + i + " is " + operands[i].dtype() + "; einsum needs floating operands");
            }
            dtype = DType.promote(dtype, operands[i].dtype());
        }
        // Letters per term, and where its ellipsis is (-1 if none).
        int[][] letters = new int[terms.length][];
        int[] ellipsisAt = new int[terms.length];
        int ellipsisDims = 0;
        for (int i = 0; i < terms.length; i++) {
            ellipsisAt[i] = -1;
            letters[i] = letters(terms[i], where, "operand " + i);
            int e = terms[i].indexOf("...");
            if (e >= 0) ellipsisAt[i] = countLetters(terms[i].substring(0, e));
            int rank = operands[i].dim();
            if (e < 0 && rank != letters[i].length) {
                throw new IllegalArgumentException(where + "operand " + i + " has " + rank + " dims (shape "
                        + Shapes.str(operands[i].shape()) + ") but subscripts '" + terms[i] + "' name " + letters[i].length);
            }
            if (e >= 0 && rank < letters[i].length) {
                throw new IllegalArgumentException(where + "operand " + i + " has " + rank + " dims (shape "
                        + Shapes.str(operands[i].shape()) + ") but subscripts '" + terms[i] + "' name at least " + letters[i].length);
            }
            if (e >= 0) ellipsisDims = Math.max(ellipsisDims, rank - letters[i].length);
        }
        int[][] labels = new int[terms.length][];
        Map<Integer, Integer> count = new HashMap<>();
        for (int i = 0; i < terms.length; i++) {
            labels[i] = dimLabels(letters[i], ellipsisAt[i], operands[i].dim(), ellipsisDims);
            for (int c : letters[i]) count.merge(c, 1, Integer::sum);
        }
        checkSizes(where, labels, operands);
        int[] output = arrow >= 0 ? explicitOutput(eq.substring(arrow + 2), where, count.keySet(), ellipsisDims)
                : implicitOutput(count, ellipsisDims);
        return new Parsed(labels, output, dtype);
    }

    /**
     * One label per dim: the letters, with the e = rank - letters dims of an ellipsis (placed before letter
     * ellipsisAt) labelled as the LAST e of all ellipsisDims ellipsis labels, so they broadcast right-aligned.
     */
    private static int[] dimLabels(int[] letters, int ellipsisAt, int rank, int ellipsisDims) {
        int[] labels = new int[rank];
        int e = rank - letters.length;
        int k = 0;
        for (int j = 0; j <= letters.length; j++) {
            if (j == ellipsisAt) for (int q = 0; q < e; q++) labels[k++] = ELLIPSIS + ellipsisDims - e + q;
            if (j < letters.length) labels[k++] = letters[j];
        }
        return labels;
    }

    /** The letters of one term, left to right, skipping one "..."; anything else is an error. */
    private static int[] letters(String term, String where, String what) {
        int[] out = new int[term.length()];
        int n = 0;
        boolean ellipsis = false;
        for (int i = 0; i < term.length(); i++) {
            char c = term.charAt(i);
            if (isLetter(c)) {
                out[n++] = c;
            } else if (c == '.' && term.startsWith("...", i) && !ellipsis) {
                ellipsis = true;
                i += 2;
            } else if (c == '.') {
                throw new IllegalArgumentException(where + what + " has a '.' that is not part of a single '...' in '" + term + "'");
            } else {
                throw new IllegalArgumentException(where + what + " has the invalid subscript '" + c + "' (only letters a-z, A-Z and '...')");
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int countLetters(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (isLetter(s.charAt(i))) n++;
        return n;
    }

    private static boolean isLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** The output as written after "->": each letter once and present in some input; "..." stands for the ellipsis dims. */
    private static int[] explicitOutput(String rhs, String where, Set<Integer> inputLetters, int ellipsisDims) {
        int[] letters = letters(rhs, where, "the output");
        Set<Integer> seen = new HashSet<>();
        for (int c : letters) {
            if (!seen.add(c)) throw new IllegalArgumentException(where + "output subscript '" + (char) c + "' appears more than once");
            if (!inputLetters.contains(c)) {
                throw new IllegalArgumentException(where + "output subscript '" + (char) c + "' does not appear in any input");
            }
        }
        int e = rhs.indexOf("...");
        if (e < 0) return letters;   // ellipsis dims, if any, are summed (as in PyTorch)
        int before = countLetters(rhs.substring(0, e));
        int[] out = new int[letters.length + ellipsisDims];
        int k = 0;
        for (int j = 0; j < before; j++) out[k++] = letters[j];
        for (int q = 0; q < ellipsisDims; q++) out[k++] = ELLIPSIS + q;
        for (int j = before; j < letters.length; j++) out[k++] = letters[j];
        return out;
    }

    /** Implicit output: the ellipsis dims, then the letters that occur exactly once, in alphabetical (ASCII) order. */
    private static int[] implicitOutput(Map<Integer, Integer> count, int ellipsisDims) {
        List<Integer> once = new ArrayList<>();
        for (Map.Entry<Integer, Integer> e : count.entrySet()) if (e.getValue() == 1) once.add(e.getKey());
        once.sort(null);
        int[] out = new int[ellipsisDims + once.size()];
        for (int q = 0; q < ellipsisDims; q++) out[q] = ELLIPSIS + q;
        for (int j = 0; j < once.size(); j++) out[ellipsisDims + j] = once.get(j);
        return out;
    }

    /**
     * Within an operand a repeated letter needs equal sizes (a diagonal); across operands a label's sizes must
     * agree or be 1 (broadcast).
     */
    private static void checkSizes(String where, int[][] labels, Tensor[] operands) {
        Map<Integer, Integer> size = new HashMap<>();
        Map<Integer, Integer> from = new HashMap<>();
        for (int i = 0; i < labels.length; i++) {
            Map<Integer, Integer> own = new HashMap<>();
            for (int d = 0; d < labels[i].length; d++) {
                int l = labels[i][d];
                int s = operands[i].size(d);
                Integer prev = own.putIfAbsent(l, s);
                if (prev != null && prev != s) {
                    throw new IllegalArgumentException(where + "subscript " + name(l) + " is repeated in operand " + i
                            + " with different sizes " + prev + " and " + s + " (shape " + Shapes.str(operands[i].shape()) + ")");
                }
                if (s == 1) continue;
                Integer known = size.putIfAbsent(l, s);
                if (known == null) {
                    from.put(l, i);
                } else if (known != s) {
                    throw new IllegalArgumentException(where + "subscript " + name(l) + " has size " + known + " in operand "
                            + from.get(l) + " but " + s + " in operand " + i + " (sizes must match or be 1)");
                }
            }
        }
    }

    private static String name(int label) {
        return label >= ELLIPSIS ? "'...' dim " + (label - ELLIPSIS) : "'" + (char) label + "'";
    }

    // ------------------------------------------------------------------------------------------ evaluation

    /**
     * Merges the dims of a repeated label into one dim of the summed stride: a view of the diagonal. Its
     * gradient is scattered back onto the same diagonal of a zero tensor, as slice's gradient is.
     */
    private static Operand diagonal(Tensor x, int[] labels) {
        int[] distinct = Arrays.stream(labels).distinct().toArray();
        if (distinct.length == labels.length) return new Operand(x, labels);
        int[] shape = x.shape();
        int[] strides = x.strides();
        int[] dense = Shapes.contiguousStrides(shape);
        int[] dShape = new int[distinct.length];
        int[] dStrides = new int[distinct.length];
        int[] denseStrides = new int[distinct.length];
        for (int j = 0; j < distinct.length; j++) {
            for (int d = 0; d < labels.length; d++) {
                if (labels[d] != distinct[j]) continue;
                dShape[j] = shape[d];
                dStrides[j] += strides[d];
                denseStrides[j] += dense[d];
            }
        }
        Tensor view = x.rawView(dShape, dStrides, x.offset());
        Tensor diag = Node.record(view, "einsumDiagonal", x, g -> {
            Tensor z = Tensor.zeros(g.dtype(), g.device(), shape);
            Tensor region = z.rawView(dShape, denseStrides, 0);
            z.backend().copy(g, region);
            region.close();
            return z;
        });
        return new Operand(diag, distinct);
    }

    /** Sums away every label of op that is not in keep. */
    private static Operand sumOut(Operand op, Set<Integer> keep) {
        List<Integer> dims = new ArrayList<>();
        List<Integer> left = new ArrayList<>();
        for (int d = 0; d < op.labels.length; d++) {
            if (keep.contains(op.labels[d])) left.add(op.labels[d]);
            else dims.add(d);
        }
        if (dims.isEmpty()) return op;
        Tensor summed = op.t.sum(dims.stream().mapToInt(Integer::intValue).toArray(), false);
        return new Operand(summed, left.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Removes one size-1 dim (a broadcast label) from op. */
    private static Operand squeeze(Operand op, int label) {
        int d = op.position(label);
        int[] left = new int[op.labels.length - 1];
        for (int i = 0, j = 0; i < op.labels.length; i++) if (i != d) left[j++] = op.labels[i];
        return new Operand(op.t.squeeze(d), left);
    }

    /**
     * Contracts a with b, keeping the labels in keep: labels both have become the batch (kept) or K (summed),
     * labels of one side only become M or N, and one matmul [B, M, K] @ [B, K, N] does the work.
     */
    private static Operand contract(Operand a, Operand b, Set<Integer> keep) {
        // A shared label of size 1 on one side only broadcasts: drop it there, so it belongs to the other side.
        for (int l : a.labels.clone()) {
            if (!b.has(l)) continue;
            int sa = a.t.size(a.position(l));
            int sb = b.t.size(b.position(l));
            if (sa == sb) continue;
            if (sa == 1) a = squeeze(a, l);
            else b = squeeze(b, l);
        }
        // Labels only one side has and nobody needs later are summed before the product (a smaller matmul).
        a = sumOut(a, union(keep, b.labels));
        b = sumOut(b, union(keep, a.labels));
        List<Integer> batch = new ArrayList<>();
        List<Integer> summed = new ArrayList<>();
        List<Integer> aOnly = new ArrayList<>();
        List<Integer> bOnly = new ArrayList<>();
        for (int l : a.labels) {
            if (!b.has(l)) aOnly.add(l);
            else if (keep.contains(l)) batch.add(l);
            else summed.add(l);
        }
        for (int l : b.labels) if (!a.has(l)) bOnly.add(l);
        int bSize = product(a, batch);
        int m = product(a, aOnly);
        int k = product(a, summed);
        int n = product(b, bOnly);
        Tensor a3 = arrange(a, batch, aOnly, summed).reshape(bSize, m, k);
        Tensor b3 = arrange(b, batch, summed, bOnly).reshape(bSize, k, n);
        Tensor c = a3.matmul(b3);
        List<Integer> labels = new ArrayList<>(batch);
        labels.addAll(aOnly);
        labels.addAll(bOnly);
        int[] shape = new int[labels.size()];
        int at = 0;
        for (int l : batch) shape[at++] = a.t.size(a.position(l));
        for (int l : aOnly) shape[at++] = a.t.size(a.position(l));
        for (int l : bOnly) shape[at++] = b.t.size(b.position(l));
        return new Operand(c.reshape(shape), labels.stream().mapToInt(Integer::intValue).toArray());
    }

    /** op's tensor permuted so its dims follow the three label groups in order. */
    @SafeVarargs
    private static Tensor arrange(Operand op, List<Integer>... groups) {
        int[] perm = new int[op.labels.length];
        int at = 0;
        for (List<Integer> g : groups) for (int l : g) perm[at++] = op.position(l);
        return isIdentity(perm) ? op.t : op.t.permute(perm);
    }

    private static int product(Operand op, List<Integer> labels) {
        int p = 1;
        for (int l : labels) p = Math.multiplyExact(p, op.t.size(op.position(l)));
        return p;
    }

    private static Set<Integer> union(Set<Integer> keep, int[] labels) {
        Set<Integer> s = new HashSet<>(keep);
        for (int l : labels) s.add(l);
        return s;
    }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) if (perm[i] != i) return false;
        return true;
    }
}

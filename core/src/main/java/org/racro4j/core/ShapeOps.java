package org.racro4j.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.racro4j.core.cpu.CpuStorage;

/**
 * PyTorch's shape ops built from existing differentiable ops (views, narrow, cat, indexSelect, where, mul,
 * expand, reshape), so autograd and every backend come for free: tril/triu, flip, roll, oneHot, linspace,
 * outer, repeat/tile and constant pad.
 */
final class ShapeOps {
    private ShapeOps() {}

    // ------------------------------------------------------------------------------------------ tril / triu

    /**
     * Keeps the elements on and below ({@code lower}) or on and above the given diagonal of the last two dims.
     * A where() against a broadcast [rows, cols] mask rather than a multiply, so inf/NaN above the diagonal
     * still become 0 as in PyTorch; the gradient flows only through the kept elements.
     */
    static Tensor triangle(Tensor x, int diagonal, boolean lower) {
        String op = lower ? "tril" : "triu";
        x.checkOpen(op);
        if (x.dim() < 2) {
            throw new IllegalArgumentException(op + ": input needs at least 2 dims, got shape " + Shapes.str(x.shape()));
        }
        int rows = x.size(-2);
        int cols = x.size(-1);
        // (col - row) compared with the diagonal; exact in F32 for every size a tensor can have along one dim.
        Tensor row = Tensor.arange(0, rows, 1, DType.F32, x.device()).unsqueeze(1);
        Tensor col = Tensor.arange(0, cols, 1, DType.F32, x.device()).unsqueeze(0);
        Tensor offset = col.sub(row);
        Tensor keep = lower ? offset.le((float) diagonal) : offset.ge((float) diagonal);
        return Tensor.where(keep, x, Tensor.zeros(x.dtype(), x.device()));
    }

    // ------------------------------------------------------------------------------------------ flip / roll

    /** Reverses the order of elements along each of dims, one indexSelect per dim of size greater than 1. */
    static Tensor flip(Tensor x, int[] dims) {
        x.checkOpen("flip");
        boolean[] flipped = new boolean[x.dim()];
        for (int dim : dims) {
            int d = Shapes.dim("flip", dim, x.dim());
            if (flipped[d]) throw new IllegalArgumentException("flip: dim " + d + " appears more than once in " + Arrays.toString(dims));
            flipped[d] = true;
        }
        Tensor out = x;
        for (int d = 0; d < x.dim(); d++) {
            int n = x.size(d);
            if (!flipped[d] || n <= 1) continue;
            Tensor reversed = Tensor.arange(n - 1, -1, -1, DType.I64, x.device());
            out = out.indexSelect(d, reversed);
        }
        // flip always returns a new tensor, never a view of its input (as in PyTorch)
        return out == x ? x.copy() : out;
    }

    /** Rolls the flattened tensor by shift and restores the shape (torch.roll without dims). */
    static Tensor roll(Tensor x, int shift) {
        x.checkOpen("roll");
        return rollDim(x.reshape(-1), shift, 0).reshape(x.shape());
    }

    /** Rolls along each dims[i] by shifts[i], one after another (dims may repeat: the shifts then add up). */
    static Tensor roll(Tensor x, int[] shifts, int[] dims) {
        x.checkOpen("roll");
        if (dims.length == 0 && shifts.length == 1) return roll(x, shifts[0]);
        if (shifts.length != dims.length || dims.length == 0) {
            throw new IllegalArgumentException("roll: shifts " + Arrays.toString(shifts) + " and dims " + Arrays.toString(dims)
                    + " must have the same, non-zero length");
        }
        for (int dim : dims) Shapes.dim("roll", dim, x.dim());
        Tensor out = x;
        for (int i = 0; i < dims.length; i++) out = rollDim(out, shifts[i], dims[i]);
        return out;
    }

    /** out[(i + shift) mod n] = x[i] along dim: the last shift elements move to the front. */
    static Tensor rollDim(Tensor x, int shift, int dim) {
        int d = Shapes.dim("roll", dim, x.dim());
        int n = x.size(d);
        if (n == 0) return x.copy();
        int s = Math.floorMod(shift, n);
        if (s == 0) return x.copy();
        return Tensor.cat(List.of(x.narrow(d, n - s, s), x.narrow(d, 0, n - s)), d);
    }

    // ------------------------------------------------------------------------------------------ oneHot

    /**
     * torch.nn.functional.one_hot: I64 of shape + [numClasses], 1 at each index. The indices are checked on the
     * host first (like PyTorch, which also synchronises to check them), so an error names the bad value.
     */
    static Tensor oneHot(Tensor x, int numClasses) {
        x.checkOpen("oneHot");
        if (x.dtype() != DType.I32 && x.dtype() != DType.I64) {
            throw new IllegalArgumentException("oneHot: input must be an I32 or I64 index tensor, got " + x.dtype());
        }
        if (numClasses < -1) throw new IllegalArgumentException("oneHot: numClasses must be -1 or non-negative, got " + numClasses);
        long[] values = x.toLongArray();
        if (numClasses == -1 && values.length == 0) {
            throw new IllegalArgumentException("oneHot: cannot infer numClasses (-1) from an empty tensor");
        }
        long max = Long.MIN_VALUE;
        for (long v : values) {
            if (v < 0) throw new IllegalArgumentException("oneHot: class index " + v + " is negative");
            max = Math.max(max, v);
        }
        int classes = numClasses;
        if (numClasses == -1) {
            if (max >= Integer.MAX_VALUE) throw new IllegalArgumentException("oneHot: class index " + max + " is too large");
            classes = (int) max + 1;
        } else if (values.length > 0 && max >= numClasses) {
            throw new IllegalArgumentException("oneHot: class index " + max + " is out of range for numClasses " + numClasses);
        }
        Tensor classIds = Tensor.arange(0, classes, 1, DType.I64, x.device());
        return x.unsqueeze(-1).eq(classIds).to(DType.I64);
    }

    // ------------------------------------------------------------------------------------------ linspace

    /**
     * torch.linspace: steps values from start to end inclusive. Each value is computed as PyTorch's CPU kernel
     * does, in the output type (double steps for integer types, truncated): start + i*step for the first half,
     * end - (steps-1-i)*step for the second, so the last value is exactly end.
     */
    static Tensor linspace(double start, double end, int steps, DType dtype, Device device) {
        if (steps < 0) throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
        Tensor host = Tensor.empty(dtype, Device.CPU, steps);
        CpuStorage cs = (CpuStorage) host.storage();
        if (steps == 1) {
            cs.setDouble(0, start);
        } else if (steps > 1) {
            int halfway = steps / 2;
            if (dtype.isFloatingPoint()) {
                // PyTorch computes in the output's scalar type; F32 arithmetic here (BF16/F16 are rounded from it).
                float s = (float) start;
                float e = (float) end;
                float step = (e - s) / (steps - 1);
                for (int i = 0; i < steps; i++) cs.setDouble(i, i < halfway ? s + step * i : e - step * (steps - i - 1));
            } else {
                long s = (long) start;
                long e = (long) end;
                double step = ((double) e - (double) s) / (steps - 1);
                for (int i = 0; i < steps; i++) cs.setDouble(i, i < halfway ? s + step * i : e - step * (steps - i - 1));
            }
        }
        if (device.isCpu()) return host;
        Tensor moved = host.to(device);
        host.close();
        return moved;
    }

    // ------------------------------------------------------------------------------------------ outer

    /** torch.outer: a[i] * b[j], a broadcast multiply (no sum, so no rounding beyond the product). */
    static Tensor outer(Tensor a, Tensor b) {
        a.checkOpen("outer");
        b.checkOpen("outer");
        if (a.dim() != 1 || b.dim() != 1) {
            throw new IllegalArgumentException("outer: both operands must be 1-D, got shapes " + Shapes.str(a.shape())
                    + " and " + Shapes.str(b.shape()));
        }
        return a.unsqueeze(1).mul(b.unsqueeze(0));
    }

    // ------------------------------------------------------------------------------------------ repeat / tile

    /**
     * torch.Tensor.repeat: x (with leading size-1 dims added up to sizes.length) viewed as [1, s0, 1, s1, ...],
     * expanded to [r0, s0, r1, s1, ...] and copied into [r0*s0, r1*s1, ...]. The gradient of the expand sums
     * the copies back onto x.
     */
    static Tensor repeat(Tensor x, int[] sizes) {
        x.checkOpen("repeat");
        int rank = sizes.length;
        if (rank < x.dim()) {
            throw new IllegalArgumentException("repeat: " + rank + " repeat sizes " + Arrays.toString(sizes)
                    + " are fewer than the " + x.dim() + " dims of shape " + Shapes.str(x.shape()));
        }
        for (int r : sizes) {
            if (r < 0) throw new IllegalArgumentException("repeat: negative repeat size " + r + " in " + Arrays.toString(sizes));
        }
        int[] padded = new int[rank];
        Arrays.fill(padded, 1);
        System.arraycopy(x.shape(), 0, padded, rank - x.dim(), x.dim());
        Tensor v = x.reshape(padded);
        int[] interleaved = new int[2 * rank];
        int[] result = new int[rank];
        for (int i = 0; i < rank; i++) {
            v = v.unsqueeze(2 * i);
            interleaved[2 * i] = sizes[i];
            interleaved[2 * i + 1] = padded[i];
            result[i] = sizes[i] * padded[i];
        }
        Tensor out = v.expand(interleaved).reshape(result);
        // Repeats of size-1 dims (or all-1 sizes) can still be a stride-0 view; repeat always returns new memory.
        return out.storage() == x.storage() ? out.copy() : out;
    }

    /** torch.tile: repeat, with reps padded by leading 1s when shorter than the rank. */
    static Tensor tile(Tensor x, int[] reps) {
        x.checkOpen("tile");
        if (reps.length >= x.dim()) return repeat(x, reps);
        int[] padded = new int[x.dim()];
        Arrays.fill(padded, 1);
        System.arraycopy(reps, 0, padded, x.dim() - reps.length, reps.length);
        return repeat(x, padded);
    }

    // ------------------------------------------------------------------------------------------ pad

    /**
     * torch.nn.functional.pad in constant mode: pad = (left, right) pairs from the last dim backwards. Negative
     * amounts crop (a narrow), positive ones cat a block of value on that side.
     */
    static Tensor pad(Tensor x, int[] pad, float value) {
        x.checkOpen("pad");
        if (pad.length % 2 != 0) throw new IllegalArgumentException("pad: padding length must be even, got " + Arrays.toString(pad));
        if (pad.length / 2 > x.dim()) {
            throw new IllegalArgumentException("pad: padding " + Arrays.toString(pad) + " covers " + pad.length / 2
                    + " dims, more than the " + x.dim() + " of shape " + Shapes.str(x.shape()));
        }
        Tensor out = x;
        for (int k = 0; k < pad.length / 2; k++) {
            int d = x.dim() - 1 - k;
            int before = pad[2 * k];
            int after = pad[2 * k + 1];
            int n = x.size(d);
            int kept = n + Math.min(before, 0) + Math.min(after, 0);
            if (n + before + after < 0 || kept < 0) {
                throw new IllegalArgumentException("pad: padding (" + before + ", " + after + ") of dim " + d + " of size " + n
                        + " gives a negative size (shape " + Shapes.str(x.shape()) + ", pad " + Arrays.toString(pad) + ")");
            }
            if (before < 0 || after < 0) out = out.narrow(d, Math.max(-before, 0), kept);
            List<Tensor> parts = new ArrayList<>(3);
            if (before > 0) parts.add(block(out, d, before, value));
            parts.add(out);
            if (after > 0) parts.add(block(out, d, after, value));
            if (parts.size() > 1) out = Tensor.cat(parts, d);
        }
        // pad always returns a new tensor, never a view of its input (as in PyTorch), even when it only crops
        return out.storage() == x.storage() ? out.copy() : out;
    }

    /** A tensor of value shaped like t except size n along d. */
    private static Tensor block(Tensor t, int d, int n, float value) {
        int[] shape = t.shape();
        shape[d] = n;
        return Tensor.full(value, t.dtype(), t.device(), shape);
    }
}

package org.racro4j.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import org.racro4j.core.cpu.CpuBackend;
import org.racro4j.core.cpu.CpuStorage;
import org.racro4j.core.random.Generator;

/**
 * An n-dimensional array on a device, with autograd. A tensor is a view of a {@link Storage}: shape, strides
 * and an element offset. Views (reshape, transpose, permute, narrow, expand, ...) share storage.
 *
 * <p>Names follow PyTorch in Java camelCase. Ops that record autograd history do so when any input
 * {@link #requiresGrad()} and {@link Autograd#isEnabled()}.
 *
 * <p>Memory is released deterministically: {@link #close()} drops this view's reference to its storage, and a
 * {@link Scope} closes every tensor created inside it.
 */
public final class Tensor implements AutoCloseable {
    // Not final only so that setData can swap a parameter's contents (PyTorch's param.data = ...).
    private Storage storage;
    private int[] shape;
    private int[] strides;
    private int offset;

    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;
    private boolean closed;
    /** The scope that will close this tensor, or null if the creator owns it. Maintained by {@link Scope}. */
    Scope scope;

    Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        storage.retain();
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        Scope.register(this);
    }

    // ============================================================================================ creation

    /** A new uninitialised contiguous tensor. */
    public static Tensor empty(DType dtype, Device device, int... shape) {
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("empty: negative dimension in shape " + Shapes.str(shape));
        }
        Storage st = device.backend().allocate(dtype, Shapes.numel(shape));
        return new Tensor(st, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /**
     * Zeros that take no memory until first used (on the CPU; elsewhere plain zeros): the place a checkpoint's weights
     * are then copied or mapped into, so that a model built to be loaded costs nothing before its weights arrive.
     */
    public static Tensor placeholder(DType dtype, Device device, int... shape) {
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("placeholder: negative dimension in shape " + Shapes.str(shape));
        }
        if (!(device.backend() instanceof CpuBackend cpu)) return zeros(dtype, device, shape);
        return new Tensor(cpu.placeholder(dtype, Shapes.numel(shape)), shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** A new F32 tensor on the CPU holding a copy of {@code data} in the given shape. */
    public static Tensor of(float[] data, int... shape) {
        checkDataLength("of", data.length, shape);
        Tensor t = empty(DType.F32, Device.CPU, shape);
        System.arraycopy(data, 0, ((CpuStorage) t.storage).floats(), 0, data.length);
        return t;
    }

    /** A new I64 tensor on the CPU (the index dtype) holding a copy of {@code data}. */
    public static Tensor ofLongs(long[] data, int... shape) {
        checkDataLength("ofLongs", data.length, shape);
        Tensor t = empty(DType.I64, Device.CPU, shape);
        System.arraycopy(data, 0, ((CpuStorage) t.storage).longs(), 0, data.length);
        return t;
    }

    /** A new I32 tensor on the CPU holding a copy of {@code data}. */
    public static Tensor ofInts(int[] data, int... shape) {
        checkDataLength("ofInts", data.length, shape);
        Tensor t = empty(DType.I32, Device.CPU, shape);
        System.arraycopy(data, 0, ((CpuStorage) t.storage).ints(), 0, data.length);
        return t;
    }

    /** A 0-dimensional F32 tensor on the CPU. */
    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    private static void checkDataLength(String op, int length, int[] shape) {
        if (Shapes.numel(shape) != length) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape " + Shapes.str(shape)
                    + " (" + Shapes.numel(shape) + " elements)");
        }
    }

    public static Tensor full(float value, DType dtype, Device device, int... shape) {
        Tensor t = empty(dtype, device, shape);
        t.backend().fill(t, value);
        return t;
    }

    public static Tensor zeros(int... shape) {
        return full(0f, DType.F32, Device.CPU, shape);
    }

    public static Tensor zeros(DType dtype, Device device, int... shape) {
        return full(0f, dtype, device, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, DType.F32, Device.CPU, shape);
    }

    public static Tensor ones(DType dtype, Device device, int... shape) {
        return full(1f, dtype, device, shape);
    }

    public static Tensor full(float value, int... shape) {
        return full(value, DType.F32, Device.CPU, shape);
    }

    public Tensor zerosLike() {
        return zeros(dtype(), device(), shape);
    }

    public Tensor onesLike() {
        return ones(dtype(), device(), shape);
    }

    /** 0, 1, ..., n-1 as F32 on the CPU. */
    public static Tensor arange(int n) {
        return arange(0, n, 1, DType.F32, Device.CPU);
    }

    /** start, start+step, ... below end (or above it for a negative step). */
    public static Tensor arange(double start, double end, double step, DType dtype, Device device) {
        if (step == 0) throw new IllegalArgumentException("arange: step must not be 0");
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        Tensor host = empty(dtype, Device.CPU, n);
        CpuStorage cs = (CpuStorage) host.storage;
        for (int i = 0; i < n; i++) cs.setDouble(i, start + i * step);
        return device.isCpu() ? host : host.transferTo(device);
    }

    /** Standard normal samples from the generator's Philox stream (same numbers on every backend). */
    public static Tensor randn(Generator gen, int... shape) {
        return randn(gen, DType.F32, Device.CPU, shape);
    }

    public static Tensor randn(Generator gen, DType dtype, Device device, int... shape) {
        return random(gen, true, 0f, 1f, dtype, device, shape);
    }

    /** Uniform samples in [0, 1). */
    public static Tensor rand(Generator gen, int... shape) {
        return rand(gen, DType.F32, Device.CPU, shape);
    }

    public static Tensor rand(Generator gen, DType dtype, Device device, int... shape) {
        return random(gen, false, 0f, 1f, dtype, device, shape);
    }

    /** Uniform samples in [low, high). */
    public static Tensor uniform(Generator gen, float low, float high, DType dtype, Device device, int... shape) {
        return random(gen, false, low, high, dtype, device, shape);
    }

    private static Tensor random(Generator gen, boolean normal, float a, float b, DType dtype, Device device, int[] shape) {
        if (!dtype.isFloatingPoint()) throw new IllegalArgumentException("random: dtype must be floating, got " + dtype);
        Tensor t = empty(dtype, device, shape);
        long offset = gen.reserve(t.numel());
        t.backend().random(t, gen.seed(), offset, normal, a, b);
        return t;
    }

    // ============================================================================================ metadata

    /** The shape (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    public int size(int dim) {
        return shape[Shapes.dim("size", dim, shape.length)];
    }

    /** The strides in elements (a copy). */
    public int[] strides() {
        return strides.clone();
    }

    public int stride(int dim) {
        return strides[Shapes.dim("stride", dim, shape.length)];
    }

    public int offset() {
        return offset;
    }

    public int dim() {
        return shape.length;
    }

    public long numel() {
        return Shapes.numel(shape);
    }

    public DType dtype() {
        return storage.dtype();
    }

    public Device device() {
        return storage.backend().device();
    }

    public Backend backend() {
        return storage.backend();
    }

    /** The underlying storage, for backends. */
    public Storage storage() {
        checkOpen("storage");
        return storage;
    }

    public boolean isContiguous() {
        return Shapes.isContiguous(shape, strides);
    }

    public boolean isClosed() {
        return closed;
    }

    // ============================================================================================ autograd

    /** Marks a leaf tensor as a parameter whose gradient {@link #backward()} accumulates. Returns this. */
    public Tensor requiresGrad(boolean requires) {
        if (requires && !dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("requiresGrad: only floating tensors can require grad, this is " + dtype());
        }
        if (gradFn != null && !requires) {
            throw new IllegalStateException("requiresGrad(false) on a tensor computed by '" + gradFn.op + "': use detach()");
        }
        this.requiresGrad = requires;
        return this;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The accumulated gradient of a leaf, or null before any backward. */
    public Tensor grad() {
        return grad;
    }

    /** Frees and forgets the gradient. */
    public void zeroGrad() {
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    void setGrad(Tensor g) {
        Scope.escape(g);
        this.grad = g;
    }

    Node gradFn() {
        return gradFn;
    }

    /** The name of the op that produced this tensor, or null for a leaf. */
    public String gradFnName() {
        return gradFn == null ? null : gradFn.op;
    }

    void attachGradFn(Node node) {
        this.gradFn = node;
        this.requiresGrad = true;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /** Back-propagates from this single-element tensor; gradients accumulate into leaves' {@link #grad()}. */
    public void backward() {
        GradEngine.backward(this, null, false);
    }

    /** Back-propagates with an explicit output gradient of this tensor's shape. */
    public void backward(Tensor gradient) {
        GradEngine.backward(this, gradient, false);
    }

    public void backward(Tensor gradient, boolean retainGraph) {
        GradEngine.backward(this, gradient, retainGraph);
    }

    /** A view of the same data with no autograd history. */
    public Tensor detach() {
        checkOpen("detach");
        return new Tensor(storage, shape, strides, offset);
    }

    /** A second reference to this exact view (no autograd history); closing one leaves the other valid. */
    Tensor alias() {
        checkOpen("alias");
        return new Tensor(storage, shape, strides, offset);
    }

    // ============================================================================================ memory

    /** Releases this view's reference to its storage, and the gradient this tensor owns. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        storage.release();
        zeroGrad();
    }

    void checkOpen(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": tensor " + Shapes.str(shape) + " " + storage.dtype()
                    + " was already closed (freed by close() or by the Scope that owned it)");
        }
    }

    // ============================================================================================ host data

    /** Copies the elements, in row-major order, converted to float. */
    public float[] toFloatArray() {
        checkOpen("toFloatArray");
        Tensor src = dtype() == DType.F32 && isContiguous() ? this : Scope.unscoped(() -> rawCast(DType.F32));
        try {
            float[] out = new float[(int) numel()];
            if (src.storage instanceof CpuStorage cs) {
                System.arraycopy(cs.floats(), src.offset, out, 0, out.length);
            } else {
                ByteBuffer bb = ByteBuffer.allocate(out.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                src.backend().download(src.storage, (long) src.offset * 4, bb);
                bb.flip();
                bb.asFloatBuffer().get(out);
            }
            return out;
        } finally {
            if (src != this) src.close();
        }
    }

    /** Copies integer (or floating, truncated) elements as longs, in row-major order. */
    public long[] toLongArray() {
        checkOpen("toLongArray");
        Tensor src = dtype() == DType.I64 && isContiguous() && device().isCpu() ? this : Scope.unscoped(() -> {
            Tensor onCpu = device().isCpu() ? this : transferTo(Device.CPU);
            Tensor cast = onCpu.rawCast(DType.I64);
            if (onCpu != this) onCpu.close();
            return cast;
        });
        try {
            long[] out = new long[(int) numel()];
            System.arraycopy(((CpuStorage) src.storage).longs(), src.offset, out, 0, out.length);
            return out;
        } finally {
            if (src != this) src.close();
        }
    }

    public int[] toIntArray() {
        long[] l = toLongArray();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = Math.toIntExact(l[i]);
        return out;
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new IllegalStateException("item: tensor has " + numel() + " elements, shape " + Shapes.str(shape));
        return toFloatArray()[0];
    }

    /** Copies src's values into this tensor in place (shapes must match; dtype converts). No autograd. */
    public Tensor copyFrom(Tensor src) {
        checkOpen("copyFrom");
        if (!Arrays.equals(shape, src.shape)) {
            throw new IllegalArgumentException("copyFrom: source shape " + Shapes.str(src.shape) + " does not match "
                    + Shapes.str(shape));
        }
        if (src.device().equals(device())) {
            backend().copy(src, this);
        } else {
            try (Tensor moved = Scope.unscoped(() -> src.transferTo(device()))) {
                backend().copy(moved, this);
            }
        }
        return this;
    }

    /**
     * Replaces the contents of a leaf tensor (a parameter) with src's, keeping this object, its requiresGrad
     * flag and its identity in modules and optimizers: how a model moves to another device or dtype. The
     * gradient is dropped. src stays valid and owned by the caller.
     */
    public void setData(Tensor src) {
        checkOpen("setData");
        src.checkOpen("setData");
        if (gradFn != null) throw new IllegalStateException("setData: only leaf tensors can have their data replaced");
        if (requiresGrad && !src.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("setData: a tensor that requires grad cannot take " + src.dtype() + " data");
        }
        src.storage.retain();
        Storage old = storage;
        storage = src.storage;
        shape = src.shape.clone();
        strides = src.strides.clone();
        offset = src.offset;
        old.release();
        zeroGrad();
    }

    /** Sets every element to value in place. No autograd. */
    public Tensor fill(float value) {
        checkOpen("fill");
        backend().fill(this, value);
        return this;
    }

    /** this += other in place (shapes must match). No autograd: for gradient accumulation and optimizers. */
    public Tensor addInPlace(Tensor other) {
        checkOpen("addInPlace");
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("addInPlace: shape " + Shapes.str(other.shape) + " does not match " + Shapes.str(shape));
        }
        backend().binary(BinaryOp.ADD, this, other, this);
        return this;
    }

    /** this *= s in place. No autograd. */
    public Tensor mulInPlace(float s) {
        checkOpen("mulInPlace");
        backend().unary(UnaryOp.MUL_SCALAR, this, this, s, 0f);
        return this;
    }

    // ============================================================================================ conversion

    /** A copy on another device (autograd flows back). Returns this if already there. */
    public Tensor to(Device device) {
        if (device.equals(device())) return this;
        Device from = device();
        Tensor out = transferTo(device);
        return Node.record(out, "to(" + device + ")", this, g -> g.to(from));
    }

    public Tensor to(String device) {
        return to(Device.of(device));
    }

    /** A copy in another dtype (autograd flows back for floating types). Returns this if already that dtype. */
    public Tensor to(DType dtype) {
        if (dtype == dtype()) return this;
        DType from = dtype();
        Tensor out = rawCast(dtype);
        if (!dtype.isFloatingPoint()) return out;
        return Node.record(out, "to(" + dtype + ")", this, g -> g.to(from));
    }

    /** A contiguous copy of this view, or this tensor if it is already contiguous. */
    public Tensor contiguous() {
        if (isContiguous()) return this;
        return Node.record(rawCast(dtype()), "contiguous", this, g -> g);
    }

    /** A contiguous copy that never shares storage with this one. */
    public Tensor copy() {
        return Node.record(rawCast(dtype()), "copy", this, g -> g);
    }

    /** Contiguous copy in dtype, no autograd. */
    Tensor rawCast(DType dtype) {
        checkOpen("to");
        Tensor out = empty(dtype, device(), shape);
        backend().copy(this, out);
        return out;
    }

    /** Moves data between backends through host memory. No autograd. */
    Tensor transferTo(Device target) {
        checkOpen("to");
        Tensor src = isContiguous() ? this : rawCast(dtype());
        try {
            Tensor out = empty(dtype(), target, shape);
            long bytes = numel() * dtype().byteSize();
            ByteBuffer bb = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
            src.backend().download(src.storage, (long) src.offset * dtype().byteSize(), bb);
            bb.flip();
            target.backend().upload(out.storage, 0, bb);
            return out;
        } finally {
            if (src != this) src.close();
        }
    }

    // ============================================================================================ views

    /** A view with another shape (one dim may be -1); fails if the strides do not allow it (see reshape). */
    public Tensor view(int... newShape) {
        int[] s = Shapes.inferShape("view", newShape, numel(), shape);
        int[] st = Shapes.viewStrides(shape, strides, s);
        if (st == null) {
            throw new IllegalArgumentException("view: shape " + Shapes.str(shape) + " with strides " + Shapes.str(strides)
                    + " cannot be viewed as " + Shapes.str(s) + "; use reshape() to copy");
        }
        int[] from = shape;
        return Node.record(rawView(s, st, offset), "view", this, g -> g.reshape(from));
    }

    /** A view with another shape where the strides allow it, else a contiguous copy. */
    public Tensor reshape(int... newShape) {
        int[] s = Shapes.inferShape("reshape", newShape, numel(), shape);
        int[] st = Shapes.viewStrides(shape, strides, s);
        if (st != null) {
            int[] from = shape;
            return Node.record(rawView(s, st, offset), "reshape", this, g -> g.reshape(from));
        }
        return contiguous().view(s);
    }

    /** Flattens dims start..end (inclusive) into one. */
    public Tensor flatten(int start, int end) {
        int s = Shapes.dim("flatten", start, shape.length);
        int e = Shapes.dim("flatten", end, shape.length);
        int[] ns = new int[shape.length - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) ns[k++] = shape[i];
        int m = 1;
        for (int i = s; i <= e; i++) m *= shape[i];
        ns[k++] = m;
        for (int i = e + 1; i < shape.length; i++) ns[k++] = shape[i];
        return reshape(ns);
    }

    public Tensor flatten() {
        return reshape(-1);
    }

    public Tensor permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute: got " + dims.length + " dims for a tensor of rank " + shape.length);
        }
        int[] ns = new int[dims.length];
        int[] nst = new int[dims.length];
        int[] inverse = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.dim("permute", dims[i], shape.length);
            if (seen[d]) throw new IllegalArgumentException("permute: dim " + d + " repeated in " + Arrays.toString(dims));
            seen[d] = true;
            ns[i] = shape[d];
            nst[i] = strides[d];
            inverse[d] = i;
        }
        return Node.record(rawView(ns, nst, offset), "permute", this, g -> g.permute(inverse));
    }

    public Tensor transpose(int dim0, int dim1) {
        int a = Shapes.dim("transpose", dim0, shape.length);
        int b = Shapes.dim("transpose", dim1, shape.length);
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** The transpose of a 2-D tensor. */
    public Tensor t() {
        if (shape.length != 2) throw new IllegalArgumentException("t: expected a 2-D tensor, got shape " + Shapes.str(shape));
        return transpose(0, 1);
    }

    /** Elements start..start+length-1 along dim, as a view; they must all exist (unlike slice, nothing is clipped). */
    public Tensor narrow(int dim, int start, int length) {
        int d = Shapes.dim("narrow", dim, shape.length);
        int s = start < 0 ? start + shape[d] : start;
        if (s < 0 || length < 0 || s + length > shape[d]) {
            throw new IllegalArgumentException("narrow: start " + start + " and length " + length + " do not fit in dim " + d
                    + " of size " + shape[d] + " in shape " + Shapes.str(shape));
        }
        return slice(d, s, s + length, 1);
    }

    /** Elements start, start+step, ... below end along dim (Python's x[start:end:step]), as a view. */
    public Tensor slice(int dim, int start, int end, int step) {
        int d = Shapes.dim("slice", dim, shape.length);
        int n = shape[d];
        int s = start < 0 ? start + n : start;
        int e = end < 0 ? end + n : Math.min(end, n);
        if (step <= 0) throw new IllegalArgumentException("slice: step must be positive, got " + step);
        if (s < 0 || s > n || e < s) {
            throw new IllegalArgumentException("slice: range [" + start + ", " + end + ") is out of bounds for dim " + d
                    + " of size " + n + " in shape " + Shapes.str(shape));
        }
        int[] ns = shape.clone();
        int[] nst = strides.clone();
        ns[d] = (e - s + step - 1) / step;
        nst[d] = strides[d] * step;
        int[] from = shape;
        int fs = s;
        return Node.record(rawView(ns, nst, offset + s * strides[d]), "slice", this, g -> {
            Tensor z = zeros(g.dtype(), g.device(), from);
            Tensor region = z.rawSlice(d, fs, ns[d], step);
            z.backend().copy(g, region);
            region.close();
            return z;
        });
    }

    public Tensor slice(int dim, int start, int end) {
        return slice(dim, start, end, 1);
    }

    /** Selects one index along dim and removes that dim (a view). */
    public Tensor select(int dim, int index) {
        int d = Shapes.dim("select", dim, shape.length);
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d]) {
            throw new IllegalArgumentException("select: index " + index + " is out of bounds for dim " + d + " of size " + shape[d]);
        }
        return narrow(d, i, 1).squeeze(d);
    }

    Tensor rawSlice(int d, int start, int len, int step) {
        int[] ns = shape.clone();
        int[] nst = strides.clone();
        ns[d] = len;
        nst[d] = strides[d] * step;
        return rawView(ns, nst, offset + start * strides[d]);
    }

    /** Broadcasts size-1 dims (and new leading dims) to a larger shape without copying; -1 keeps a dim. */
    public Tensor expand(int... newShape) {
        if (newShape.length < shape.length) {
            throw new IllegalArgumentException("expand: target " + Shapes.str(newShape) + " has fewer dims than " + Shapes.str(shape));
        }
        int[] target = newShape.clone();
        int lead = newShape.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                if (i < lead) throw new IllegalArgumentException("expand: -1 is not allowed for a new leading dim");
                target[i] = shape[i - lead];
            }
        }
        Tensor v = expandRaw(target, "expand");
        if (v == this) return this;
        int[] from = shape;
        return Node.record(v, "expand", this, g -> sumToShape(g, from));
    }

    /** Stride-0 view broadcasting this tensor to {@code target} (which must be broadcast-compatible). */
    Tensor expandRaw(int[] target, String op) {
        if (Arrays.equals(target, shape)) return this;
        int lead = target.length - shape.length;
        int[] nst = new int[target.length];
        for (int i = 0; i < target.length; i++) {
            if (i < lead) {
                nst[i] = 0;
            } else if (shape[i - lead] == target[i]) {
                nst[i] = strides[i - lead];
            } else if (shape[i - lead] == 1) {
                nst[i] = 0;
            } else {
                throw new IllegalArgumentException(op + ": cannot broadcast shape " + Shapes.str(shape) + " to " + Shapes.str(target));
            }
        }
        return rawView(target.clone(), nst, offset);
    }

    /** Sums a broadcast gradient back down to {@code target}'s shape. */
    static Tensor sumToShape(Tensor g, int[] target) {
        if (Arrays.equals(g.shape, target)) return g;
        int lead = g.shape.length - target.length;
        Tensor r = g;
        for (int i = g.shape.length - 1; i >= 0; i--) {
            boolean reduce = i < lead || (target[i - lead] == 1 && g.shape[i] != 1);
            if (reduce) r = r.sum(i, true);
        }
        return r.reshape(target);
    }

    public Tensor unsqueeze(int dim) {
        int d = Shapes.dim("unsqueeze", dim, shape.length + 1);
        int[] ns = new int[shape.length + 1];
        int[] nst = new int[shape.length + 1];
        for (int i = 0, j = 0; i < ns.length; i++) {
            if (i == d) {
                ns[i] = 1;
                nst[i] = d < shape.length ? strides[d] * shape[d] : 1;
            } else {
                ns[i] = shape[j];
                nst[i] = strides[j];
                j++;
            }
        }
        int[] from = shape;
        return Node.record(rawView(ns, nst, offset), "unsqueeze", this, g -> g.reshape(from));
    }

    /** Removes dim, which must have size 1. */
    public Tensor squeeze(int dim) {
        int d = Shapes.dim("squeeze", dim, shape.length);
        if (shape[d] != 1) return this;
        int[] ns = new int[shape.length - 1];
        int[] nst = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i == d) continue;
            ns[j] = shape[i];
            nst[j++] = strides[i];
        }
        int[] from = shape;
        return Node.record(rawView(ns, nst, offset), "squeeze", this, g -> g.reshape(from));
    }

    /** Removes every size-1 dim. */
    public Tensor squeeze() {
        int n = 0;
        for (int s : shape) if (s != 1) n++;
        int[] ns = new int[n];
        for (int i = 0, j = 0; i < shape.length; i++) if (shape[i] != 1) ns[j++] = shape[i];
        return reshape(ns);
    }

    /** op(x) with no autograd (derivative kernels and masks). */
    Tensor unaryRaw(UnaryOp op) {
        return unaryRaw(op, 0f, 0f);
    }

    Tensor unaryRaw(UnaryOp op, float p0, float p1) {
        checkOpen(op.name().toLowerCase());
        Tensor out = empty(dtype().isFloatingPoint() ? dtype() : DType.F32, device(), shape);
        backend().unary(op, this, out, p0, p1);
        return out;
    }

    Tensor rawView(int[] newShape, int[] newStrides, int newOffset) {
        checkOpen("view");
        return new Tensor(storage, newShape, newStrides, newOffset);
    }

    // ============================================================================================ elementwise

    public Tensor add(Tensor other) {
        return Elementwise.binary(BinaryOp.ADD, this, other);
    }

    public Tensor sub(Tensor other) {
        return Elementwise.binary(BinaryOp.SUB, this, other);
    }

    public Tensor mul(Tensor other) {
        return Elementwise.binary(BinaryOp.MUL, this, other);
    }

    public Tensor div(Tensor other) {
        return Elementwise.binary(BinaryOp.DIV, this, other);
    }

    public Tensor pow(Tensor exponent) {
        return Elementwise.binary(BinaryOp.POW, this, exponent);
    }

    public Tensor maximum(Tensor other) {
        return Elementwise.binary(BinaryOp.MAXIMUM, this, other);
    }

    public Tensor minimum(Tensor other) {
        return Elementwise.binary(BinaryOp.MINIMUM, this, other);
    }

    public Tensor add(float s) {
        return Elementwise.unary(UnaryOp.ADD_SCALAR, this, s, 0f);
    }

    public Tensor sub(float s) {
        return Elementwise.unary(UnaryOp.ADD_SCALAR, this, -s, 0f);
    }

    public Tensor mul(float s) {
        return Elementwise.unary(UnaryOp.MUL_SCALAR, this, s, 0f);
    }

    public Tensor div(float s) {
        return Elementwise.unary(UnaryOp.MUL_SCALAR, this, 1f / s, 0f);
    }

    /** s - this */
    public Tensor rsub(float s) {
        return neg().add(s);
    }

    /** s / this */
    public Tensor rdiv(float s) {
        return Elementwise.unary(UnaryOp.RDIV_SCALAR, this, s, 0f);
    }

    public Tensor pow(float p) {
        return Elementwise.unary(UnaryOp.POW_SCALAR, this, p, 0f);
    }

    public Tensor neg() {
        return Elementwise.unary(UnaryOp.NEG, this, 0f, 0f);
    }

    public Tensor abs() {
        return Elementwise.unary(UnaryOp.ABS, this, 0f, 0f);
    }

    public Tensor sign() {
        return Elementwise.unary(UnaryOp.SIGN, this, 0f, 0f);
    }

    public Tensor exp() {
        return Elementwise.unary(UnaryOp.EXP, this, 0f, 0f);
    }

    public Tensor log() {
        return Elementwise.unary(UnaryOp.LOG, this, 0f, 0f);
    }

    public Tensor sqrt() {
        return Elementwise.unary(UnaryOp.SQRT, this, 0f, 0f);
    }

    public Tensor rsqrt() {
        return Elementwise.unary(UnaryOp.RSQRT, this, 0f, 0f);
    }

    public Tensor reciprocal() {
        return Elementwise.unary(UnaryOp.RECIPROCAL, this, 0f, 0f);
    }

    public Tensor square() {
        return mul(this);
    }

    public Tensor relu() {
        return Elementwise.unary(UnaryOp.RELU, this, 0f, 0f);
    }

    public Tensor tanh() {
        return Elementwise.unary(UnaryOp.TANH, this, 0f, 0f);
    }

    public Tensor sigmoid() {
        return Elementwise.unary(UnaryOp.SIGMOID, this, 0f, 0f);
    }

    /** GELU with the exact erf form (PyTorch's default). */
    public Tensor gelu() {
        return Elementwise.unary(UnaryOp.GELU_ERF, this, 0f, 0f);
    }

    /** GELU with the tanh approximation (GPT-2's "gelu_new"). */
    public Tensor geluTanh() {
        return Elementwise.unary(UnaryOp.GELU_TANH, this, 0f, 0f);
    }

    public Tensor silu() {
        return Elementwise.unary(UnaryOp.SILU, this, 0f, 0f);
    }

    public Tensor clamp(float min, float max) {
        if (min > max) throw new IllegalArgumentException("clamp: min " + min + " > max " + max);
        return Elementwise.unary(UnaryOp.CLAMP, this, min, max);
    }

    /** 1 where this == other, else 0 (F32). */
    public Tensor eq(Tensor other) {
        return Elementwise.binary(BinaryOp.EQ, this, other);
    }

    public Tensor ne(Tensor other) {
        return Elementwise.binary(BinaryOp.NE, this, other);
    }

    public Tensor lt(Tensor other) {
        return Elementwise.binary(BinaryOp.LT, this, other);
    }

    public Tensor le(Tensor other) {
        return Elementwise.binary(BinaryOp.LE, this, other);
    }

    public Tensor gt(Tensor other) {
        return Elementwise.binary(BinaryOp.GT, this, other);
    }

    public Tensor ge(Tensor other) {
        return Elementwise.binary(BinaryOp.GE, this, other);
    }

    public Tensor eq(float s) {
        return eq(scalarLike(s));
    }

    public Tensor ne(float s) {
        return ne(scalarLike(s));
    }

    public Tensor lt(float s) {
        return lt(scalarLike(s));
    }

    public Tensor le(float s) {
        return le(scalarLike(s));
    }

    public Tensor gt(float s) {
        return gt(scalarLike(s));
    }

    public Tensor ge(float s) {
        return ge(scalarLike(s));
    }

    private Tensor scalarLike(float s) {
        return full(s, dtype().isFloatingPoint() ? dtype() : DType.F32, device());
    }

    /** cond != 0 ? a : b, broadcasting all three. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return Elementwise.where(cond, a, b);
    }

    /** This tensor with {@code value} wherever mask != 0 (mask broadcasts). */
    public Tensor maskedFill(Tensor mask, float value) {
        return Elementwise.where(mask, full(value, dtype(), device()), this);
    }

    // ============================================================================================ math

    /** Sine, elementwise (PyTorch's sin); the argument is in radians. */
    public Tensor sin() {
        return Elementwise.unary(UnaryOp.SIN, this, 0f, 0f);
    }

    /** Cosine, elementwise (PyTorch's cos); the argument is in radians. */
    public Tensor cos() {
        return Elementwise.unary(UnaryOp.COS, this, 0f, 0f);
    }

    /** Tangent, elementwise (PyTorch's tan), computed as sin(x) / cos(x). */
    public Tensor tan() {
        return MathOps.tan(this);
    }

    /** log(1 + x), elementwise (PyTorch's log1p), accurate for x near 0 where log(1 + x) loses digits. */
    public Tensor log1p() {
        return Elementwise.unary(UnaryOp.LOG1P, this, 0f, 0f);
    }

    /** exp(x) - 1, elementwise (PyTorch's expm1), accurate for x near 0 where exp(x) - 1 loses digits. */
    public Tensor expm1() {
        return Elementwise.unary(UnaryOp.EXPM1, this, 0f, 0f);
    }

    /** The error function, elementwise (PyTorch's erf). */
    public Tensor erf() {
        return Elementwise.unary(UnaryOp.ERF, this, 0f, 0f);
    }

    /** log(1 + exp(x)), elementwise: PyTorch's softplus with its defaults beta = 1, threshold = 20. */
    public Tensor softplus() {
        return MathOps.softplus(this, 1f, 20f);
    }

    /**
     * PyTorch's softplus(x, beta, threshold): (1/beta) log(1 + exp(beta x)), and x itself where
     * beta x &gt; threshold.
     */
    public Tensor softplus(float beta, float threshold) {
        return MathOps.softplus(this, beta, threshold);
    }

    /**
     * log(sigmoid(x)), elementwise (PyTorch's logsigmoid), computed stably: about x for very negative x (not -inf)
     * and about -exp(-x) for large x.
     */
    public Tensor logSigmoid() {
        return MathOps.logSigmoid(this);
    }

    /**
     * torch.where(cond, a, b) with a scalar a: a where cond != 0, else b (broadcasting). a takes b's floating dtype
     * (F32 if b is an integer tensor); the gradient flows into b only.
     */
    public static Tensor where(Tensor cond, float a, Tensor b) {
        return MathOps.where(cond, a, b);
    }

    /**
     * torch.where(cond, a, b) with a scalar b: a where cond != 0, else b (broadcasting). b takes a's floating dtype
     * (F32 if a is an integer tensor); the gradient flows into a only.
     */
    public static Tensor where(Tensor cond, Tensor a, float b) {
        return MathOps.where(cond, a, b);
    }

    /** torch.where(cond, a, b) with two scalars: an F32 tensor of cond's shape holding a where cond != 0, else b. */
    public static Tensor where(Tensor cond, float a, float b) {
        return MathOps.where(cond, a, b);
    }

    // ============================================================================================ reductions

    /** The sum of all elements (0-dimensional). */
    public Tensor sum() {
        return Reductions.sumAll(this);
    }

    public Tensor sum(int dim, boolean keepdim) {
        return Reductions.sum(this, new int[] {dim}, keepdim);
    }

    public Tensor sum(int[] dims, boolean keepdim) {
        return Reductions.sum(this, dims, keepdim);
    }

    public Tensor mean() {
        return sum().div((float) numel());
    }

    public Tensor mean(int dim, boolean keepdim) {
        return sum(dim, keepdim).div((float) size(dim));
    }

    public Tensor mean(int[] dims, boolean keepdim) {
        long n = 1;
        for (int d : dims) n *= size(d);
        return sum(dims, keepdim).div((float) n);
    }

    /**
     * The largest element (0-dimensional), PyTorch's {@code torch.max(x)}. Its gradient is split evenly among all
     * elements equal to the maximum, as in PyTorch (max(dim) instead sends it to the one index it returns).
     */
    public Tensor max() {
        return Reductions.extremeAll(ReduceOp.MAX, this);
    }

    public Tensor max(int dim, boolean keepdim) {
        return Reductions.extreme(ReduceOp.MAX, this, dim, keepdim).values();
    }

    /** Values and I64 indices of the maximum along dim. */
    public ValuesIndices maxWithIndices(int dim, boolean keepdim) {
        return Reductions.extreme(ReduceOp.MAX, this, dim, keepdim);
    }

    /** The smallest element (0-dimensional), PyTorch's {@code torch.min(x)}; ties share the gradient evenly, as in max(). */
    public Tensor min() {
        return Reductions.extremeAll(ReduceOp.MIN, this);
    }

    public Tensor min(int dim, boolean keepdim) {
        return Reductions.extreme(ReduceOp.MIN, this, dim, keepdim).values();
    }

    public ValuesIndices minWithIndices(int dim, boolean keepdim) {
        return Reductions.extreme(ReduceOp.MIN, this, dim, keepdim);
    }

    /** Index (I64) of the first maximum along dim. */
    public Tensor argmax(int dim, boolean keepdim) {
        try (Autograd.Mode off = Autograd.noGrad()) {
            return Reductions.extreme(ReduceOp.MAX, this, dim, keepdim).indices();
        }
    }

    public Tensor argmin(int dim, boolean keepdim) {
        try (Autograd.Mode off = Autograd.noGrad()) {
            return Reductions.extreme(ReduceOp.MIN, this, dim, keepdim).indices();
        }
    }

    /** log(sum(exp(x))) along dim, computed stably. */
    public Tensor logsumexp(int dim, boolean keepdim) {
        Tensor m;
        try (Autograd.Mode off = Autograd.noGrad()) {
            m = max(dim, true);
        }
        Tensor r = sub(m).exp().sum(dim, true).log().add(m);
        return keepdim ? r : r.squeeze(dim);
    }

    /** Unbiased variance (correction 1) along dim. */
    public Tensor var(int dim, boolean keepdim) {
        return var(dim, keepdim, 1);
    }

    /** Variance along dim: sum((x - mean)^2) / (n - correction). */
    public Tensor var(int dim, boolean keepdim, int correction) {
        int n = size(dim);
        Tensor d = sub(mean(dim, true));
        return d.mul(d).sum(dim, keepdim).div((float) Math.max(0, n - correction));
    }

    /** A pair of tensors from max/min along a dim. */
    public record ValuesIndices(Tensor values, Tensor indices) {}

    // ============================================================================================ scans and norms

    /**
     * PyTorch's {@code torch.cumsum(x, dim)}: element i along dim is x[0] + ... + x[i]. Integer inputs give I64,
     * as in PyTorch; BF16 and F16 are summed in F32 and rounded once.
     */
    public Tensor cumsum(int dim) {
        return Scans.cumsum(this, dim);
    }

    /**
     * PyTorch's {@code torch.cumprod(x, dim)}: element i along dim is x[0] * ... * x[i]. Integer inputs give I64.
     * The gradient is exact when x contains zeros (it never divides by x).
     */
    public Tensor cumprod(int dim) {
        return Scans.cumprod(this, dim);
    }

    /** PyTorch's {@code torch.prod(x)}: the product of all elements, 0-dimensional (1 for an empty tensor). */
    public Tensor prod() {
        return Products.prodAll(this);
    }

    /**
     * PyTorch's {@code torch.prod(x, dim, keepdim)}, multiplied as a pairwise tree; integer inputs give I64. Its
     * gradient (the product of the other elements) is exact with zeros in x, one or several.
     */
    public Tensor prod(int dim, boolean keepdim) {
        return Products.prod(this, dim, keepdim);
    }

    /**
     * PyTorch's {@code torch.amax(x, dim, keepdim)}: the maximum along dim. Unlike {@link #max(int, boolean)}, the
     * gradient is split evenly among all elements that tie for the maximum.
     */
    public Tensor amax(int dim, boolean keepdim) {
        return Reductions.extremes(ReduceOp.MAX, "amax", this, new int[] {dim}, keepdim);
    }

    /** PyTorch's {@code torch.amax(x, dims, keepdim)}: the maximum over several dims; ties share the gradient evenly. */
    public Tensor amax(int[] dims, boolean keepdim) {
        return Reductions.extremes(ReduceOp.MAX, "amax", this, dims, keepdim);
    }

    /** PyTorch's {@code torch.amin(x, dim, keepdim)}: the minimum along dim; ties share the gradient evenly. */
    public Tensor amin(int dim, boolean keepdim) {
        return Reductions.extremes(ReduceOp.MIN, "amin", this, new int[] {dim}, keepdim);
    }

    /** PyTorch's {@code torch.amin(x, dims, keepdim)}: the minimum over several dims; ties share the gradient evenly. */
    public Tensor amin(int[] dims, boolean keepdim) {
        return Reductions.extremes(ReduceOp.MIN, "amin", this, dims, keepdim);
    }

    /** PyTorch's {@code torch.var(x)}: the unbiased (correction 1) variance of all elements, 0-dimensional. */
    public Tensor var() {
        return Norms.varAll(this, 1);
    }

    /**
     * PyTorch's {@code torch.var(x, dims, keepdim=keepdim, correction=correction)}: sum((x - mean)^2) over dims,
     * divided by max(0, N - correction) for N reduced elements.
     */
    public Tensor var(int[] dims, boolean keepdim, int correction) {
        return Norms.var(this, dims, keepdim, correction);
    }

    /**
     * PyTorch's {@code torch.std(x)}: the unbiased (correction 1) standard deviation of all elements,
     * 0-dimensional. As in PyTorch, its gradient is 0 (not NaN) when all elements are equal.
     */
    public Tensor std() {
        return Norms.stdAll(this, 1);
    }

    /** PyTorch's {@code torch.std(x, dim, keepdim)} with correction 1 (unbiased). */
    public Tensor std(int dim, boolean keepdim) {
        return Norms.std(this, new int[] {dim}, keepdim, 1);
    }

    /** PyTorch's {@code torch.std(x, dim, keepdim=keepdim, correction=correction)}: sqrt of {@link #var(int[], boolean, int)}. */
    public Tensor std(int dim, boolean keepdim, int correction) {
        return Norms.std(this, new int[] {dim}, keepdim, correction);
    }

    /**
     * PyTorch's {@code torch.std(x, dims, keepdim=keepdim, correction=correction)}; the gradient is 0 on slices whose
     * elements are all equal, as in PyTorch.
     */
    public Tensor std(int[] dims, boolean keepdim, int correction) {
        return Norms.std(this, dims, keepdim, correction);
    }

    /** PyTorch's {@code torch.norm(x)}: the 2-norm of all elements, 0-dimensional; its gradient at x = 0 is 0. */
    public Tensor norm() {
        return Norms.norm2All(this);
    }

    /**
     * PyTorch's {@code torch.norm(x, p, dim, keepdim)}: (sum |x|^p)^(1/p) along dim, for p &gt; 0 or
     * {@code Float.POSITIVE_INFINITY} (max |x|, whose gradient is split evenly among tied maxima). As in PyTorch,
     * the gradient is 0 where the norm is 0.
     */
    public Tensor norm(float p, int dim, boolean keepdim) {
        return Norms.norm(this, p, new int[] {dim}, keepdim);
    }

    /** PyTorch's {@code torch.norm(x, p, dims, keepdim)}: the p-norm over several dims, as {@link #norm(float, int, boolean)}. */
    public Tensor norm(float p, int[] dims, boolean keepdim) {
        return Norms.norm(this, p, dims, keepdim);
    }

    // ============================================================================================ linear algebra

    /** Matrix product with NumPy semantics: 1-D operands, batched operands and broadcast batch dims. */
    public Tensor matmul(Tensor other) {
        return MatmulOps.matmul(this, other);
    }

    // ============================================================================================ shape ops

    /**
     * The lower triangle of the last two dims (torch.tril): elements with col - row &lt;= 0 are kept, the rest
     * set to 0. Leading dims are batch dims.
     */
    public Tensor tril() {
        return ShapeOps.triangle(this, 0, true);
    }

    /**
     * torch.tril(x, diagonal): keeps elements with col - row &lt;= diagonal (positive: above the main diagonal
     * too, negative: below it), sets the rest to 0.
     */
    public Tensor tril(int diagonal) {
        return ShapeOps.triangle(this, diagonal, true);
    }

    /** The upper triangle of the last two dims (torch.triu): elements with col - row &gt;= 0 are kept, the rest 0. */
    public Tensor triu() {
        return ShapeOps.triangle(this, 0, false);
    }

    /** torch.triu(x, diagonal): keeps elements with col - row &gt;= diagonal, sets the rest to 0. */
    public Tensor triu(int diagonal) {
        return ShapeOps.triangle(this, diagonal, false);
    }

    /** torch.flip: a copy with the order of elements reversed along each of dims (negative dims allowed, none repeated). */
    public Tensor flip(int... dims) {
        return ShapeOps.flip(this, dims);
    }

    /**
     * torch.roll(x, shift) without dims: rolls the flattened tensor by shift (element i moves to i + shift, modulo
     * numel; negative and larger-than-size shifts wrap) and restores the shape.
     */
    public Tensor roll(int shift) {
        return ShapeOps.roll(this, shift);
    }

    /** torch.roll(x, shift, dim): element i along dim moves to (i + shift) mod size. */
    public Tensor roll(int shift, int dim) {
        return ShapeOps.roll(this, new int[] {shift}, new int[] {dim});
    }

    /**
     * torch.roll(x, shifts, dims): rolls along each dims[i] by shifts[i] (equal lengths); an empty dims with one
     * shift rolls the flattened tensor.
     */
    public Tensor roll(int[] shifts, int[] dims) {
        return ShapeOps.roll(this, shifts, dims);
    }

    /**
     * torch.nn.functional.one_hot on this I32/I64 index tensor: an I64 tensor of shape + [numClasses] with 1 at
     * each index. numClasses -1 means max + 1. A negative index, or one &gt;= numClasses, is an error naming it.
     */
    public Tensor oneHot(int numClasses) {
        return ShapeOps.oneHot(this, numClasses);
    }

    /** torch.linspace(start, end, steps): F32 on the CPU. */
    public static Tensor linspace(double start, double end, int steps) {
        return ShapeOps.linspace(start, end, steps, DType.F32, Device.CPU);
    }

    /**
     * torch.linspace: steps evenly spaced values from start to end inclusive, computed like PyTorch (start + i*step
     * for the first half, end - (steps-1-i)*step for the second); steps 0 gives an empty tensor, 1 gives [start].
     */
    public static Tensor linspace(double start, double end, int steps, DType dtype, Device device) {
        return ShapeOps.linspace(start, end, steps, dtype, device);
    }

    /** torch.outer: this[i] * other[j] for 1-D this and other, shape [n, m]. */
    public Tensor outer(Tensor other) {
        return ShapeOps.outer(this, other);
    }

    /**
     * torch.Tensor.repeat: tiles this tensor sizes[i] times along dim i. sizes may be longer than the rank (new
     * leading dims) but not shorter.
     */
    public Tensor repeat(int... sizes) {
        return ShapeOps.repeat(this, sizes);
    }

    /** torch.tile: like repeat, but reps shorter than the rank are padded with leading 1s. */
    public Tensor tile(int... reps) {
        return ShapeOps.tile(this, reps);
    }

    /**
     * torch.nn.functional.pad in constant mode: pad holds (before, after) pairs starting from the LAST dim
     * (pad[0], pad[1] for dim -1, pad[2], pad[3] for dim -2, ...); new elements are value, negative amounts crop.
     */
    public Tensor pad(int[] pad, float value) {
        return ShapeOps.pad(this, pad, value);
    }

    /**
     * torch.einsum: letters label dims ("bhqd,bhkd-&gt;bhqk"); letters absent from the output are summed; without
     * "-&gt;" the output is the letters that occur once, alphabetically; "..." stands for broadcast batch dims; a
     * letter repeated in one operand takes its diagonal ("ii-&gt;i"); size-1 dims broadcast. Operands are contracted
     * left to right, each pair by one batched matmul. Operands must be floating (mixed types are promoted).
     */
    public static Tensor einsum(String equation, Tensor... operands) {
        return Einsum.einsum(equation, operands);
    }

    // ============================================================================================ rows

    public Tensor softmax(int dim) {
        return RowOps.softmax(this, dim, false);
    }

    public Tensor logSoftmax(int dim) {
        return RowOps.softmax(this, dim, true);
    }

    // ============================================================================================ indexing

    /**
     * out[i][j] = this[i][index[i][j]] for dim 1 (likewise other dims); index I32/I64 of out's shape: PyTorch's
     * {@code torch.gather}. As there, index has this tensor's rank and is no larger than it outside dim; any
     * strides are accepted.
     */
    public Tensor gather(int dim, Tensor index) {
        return IndexOps.gather(this, dim, index);
    }

    /** The slices at positions {@code index} (1-D I32/I64) along dim. */
    public Tensor indexSelect(int dim, Tensor index) {
        return IndexOps.indexSelect(this, dim, index);
    }

    /**
     * A copy of this tensor with src added at index along dim: PyTorch's {@code scatter_add} out of place,
     * this[i][index[i][j]] += src[i][j] for dim 1. As in PyTorch, index, src and this have one rank, index is no
     * larger than src in any dim and no larger than this outside dim, and only the part of src that index covers is
     * read. Any strides are accepted.
     */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        return IndexOps.scatterAdd(this, dim, index, src);
    }

    /**
     * A copy of this tensor with src's values written where index points along dim: PyTorch's
     * {@code torch.scatter(self, dim, index, src)} out of place, out[i][index[i][j]] = src[i][j] for dim 1, with
     * scatterAdd's shape rules. Where several index entries hit one position, the last of them in index's row-major
     * order wins (PyTorch leaves this undefined), and only that entry gets a gradient: src's gradient is
     * {@code g.gather(dim, index)} at the winning entries and 0 at overwritten ones; this tensor's is g with the
     * written positions zeroed. Floating tensors only. The index is read on the host to find the winning entries.
     */
    public Tensor scatter(int dim, Tensor index, Tensor src) {
        return IndexOps.scatter(this, dim, index, src);
    }

    /**
     * A copy of this tensor with {@code value} wherever index points along dim: PyTorch's
     * {@code torch.scatter(self, dim, index, value)} out of place (e.g. a one-hot row from zeros). Index as in
     * {@link #scatter(int, Tensor, Tensor)}; the gradient of this tensor is g with the written positions zeroed.
     */
    public Tensor scatter(int dim, Tensor index, float value) {
        return IndexOps.scatter(this, dim, index, value);
    }

    /** A copy of this tensor with src's slices added at positions index (1-D) along dim (index_add). */
    public Tensor indexAdd(int dim, Tensor index, Tensor src) {
        return IndexOps.indexAdd(this, dim, index, src);
    }

    /** Rows of this [V, D] table for each id: out has ids' shape + [D]. */
    public Tensor embedding(Tensor ids) {
        return IndexOps.embedding(this, ids);
    }

    public static Tensor cat(List<Tensor> tensors, int dim) {
        return IndexOps.cat(tensors, dim);
    }

    public static Tensor stack(List<Tensor> tensors, int dim) {
        return IndexOps.stack(tensors, dim);
    }

    /** Splits along dim into pieces of {@code size} (the last may be smaller), as views. */
    public List<Tensor> split(int size, int dim) {
        return IndexOps.split(this, size, dim);
    }

    /** Splits along dim into pieces of the given sizes, as views. */
    public List<Tensor> split(int[] sizes, int dim) {
        return IndexOps.split(this, sizes, dim);
    }

    public List<Tensor> chunk(int chunks, int dim) {
        int n = size(dim);
        return split((n + chunks - 1) / chunks, dim);
    }

    // ============================================================================================ sorting

    /**
     * The elements sorted along dim, with their I64 positions: PyTorch's {@code torch.sort(x, dim, descending,
     * stable=True)}. Stable: equal values keep their order, descending too. NaN counts as larger than +inf (last
     * ascending, first descending); -0.0 and +0.0 are equal. Works on every dtype and device (the order is found on
     * the host); the values are {@code gather(dim, indices)}, so the gradient flows back to where each value came from.
     */
    public ValuesIndices sort(int dim, boolean descending) {
        return SortOps.sort(this, dim, descending);
    }

    /** {@link #sort(int, boolean)} along the last dim, ascending: PyTorch's {@code x.sort()}. */
    public ValuesIndices sort() {
        return SortOps.sort(this, -1, false);
    }

    /** The I64 positions that sort this tensor along dim (stable, NaN largest): PyTorch's {@code torch.argsort(x, dim, descending, stable=True)}. */
    public Tensor argsort(int dim, boolean descending) {
        return SortOps.argsort(this, dim, descending);
    }

    /**
     * The k largest (or smallest) elements along dim and their I64 positions: PyTorch's {@code torch.topk(x, k, dim,
     * largest, sorted)}. NaN counts as larger than +inf. Ties go to the lower index first. With {@code sorted} the
     * results are ordered best first; without it they are in ascending position order (PyTorch leaves that order
     * unspecified). k outside [0, size of dim] is an IllegalArgumentException. Gradients flow through gather.
     */
    public ValuesIndices topk(int k, int dim, boolean largest, boolean sorted) {
        return SortOps.topk(this, k, dim, largest, sorted);
    }

    /** The k largest elements along the last dim, largest first: PyTorch's {@code x.topk(k)}. */
    public ValuesIndices topk(int k) {
        return SortOps.topk(this, k, -1, true, true);
    }

    // ============================================================================================ printing

    @Override
    public String toString() {
        if (closed) return "Tensor(closed, shape=" + Shapes.str(shape) + ")";
        StringBuilder sb = new StringBuilder("Tensor(shape=").append(Shapes.str(shape)).append(", ").append(dtype())
                .append(", ").append(device());
        if (gradFn != null) sb.append(", grad_fn=").append(gradFn.op);
        else if (requiresGrad) sb.append(", requires_grad");
        if (numel() <= 16) {
            try (Autograd.Mode off = Autograd.noGrad()) {
                sb.append(", ").append(Arrays.toString(toFloatArray()));
            }
        }
        return sb.append(')').toString();
    }
}

package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

import org.racro4j.core.Backend;
import org.racro4j.core.DType;
import org.racro4j.core.Tensor;

/**
 * Launches attention.cu: the flash-attention forward and backward and the KV-cache decode kernel, with the
 * parameter structs they take by value and the launch rules (pure arithmetic in the static methods, tested
 * without a GPU).
 */
final class CudaAttention {
    /** sizeof(AttnParams) and sizeof(DecodeParams) in attention.cu. */
    static final int PARAMS_BYTES = 248;
    static final int DECODE_PARAMS_BYTES = 160;
    static final int FWD_ROWS = 64;
    static final int BWD_KEYS = 64;
    static final int BWD_ROWS = 32;
    static final int THREADS = 128;
    static final int DECODE_GROUP_MAX = 16;

    /** Copies and fills of the temporaries (the CUDA backend itself). */
    private final Backend backend;
    private final DeviceOps gpu;
    private final ToLongFunction<Tensor> addr;

    CudaAttention(Backend backend, DeviceOps gpu, ToLongFunction<Tensor> addr) {
        this.backend = backend;
        this.gpu = gpu;
        this.addr = addr;
    }

    static boolean supports(DType dt, int headDim) {
        return (dt == DType.BF16 || dt == DType.F16) && (headDim == 64 || headDim == 128);
    }

    static boolean supportsDecode(DType dt, int headDim) {
        return (dt == DType.F32 || dt == DType.BF16 || dt == DType.F16) && (headDim == 64 || headDim == 128);
    }

    /** Dynamic shared memory of attn_fwd: Q, K and V tiles of 64 rows of D + 8 elements. */
    static int forwardSharedBytes(int d) {
        return 3 * FWD_ROWS * (d + 8) * 2;
    }

    /** Dynamic shared memory of attn_bwd: K, V (64 rows), Q, dO (32 rows), dS^T (64 x 40), lse and delta (32 each). */
    static int backwardSharedBytes(int d) {
        return (2 * BWD_KEYS + 2 * BWD_ROWS) * (d + 8) * 2 + BWD_KEYS * (BWD_ROWS + 8) * 2 + 2 * BWD_ROWS * 4;
    }

    static LaunchShape forwardShape(int b, int hq, int t, int d) {
        return new LaunchShape((int) LaunchShape.ceilDiv(t, FWD_ROWS), hq, b, THREADS, forwardSharedBytes(d));
    }

    static LaunchShape backwardShape(int b, int hkv, int s, int d) {
        return new LaunchShape((int) LaunchShape.ceilDiv(s, BWD_KEYS), hkv, b, THREADS, backwardSharedBytes(d));
    }

    /**
     * How decode splits the cache of capacity c over blocks: enough splits that B Hkv splits blocks cover the
     * multiprocessors twice, each at least 64 and at most 512 keys (a multiple of 32). Depends on the capacity,
     * not the lengths, so a captured step stays valid as the sequences grow.
     */
    record DecodeSplit(int chunk, int splits) {}

    static DecodeSplit decodeSplit(int b, int hkv, int c, int sms) {
        long blocksPerSplit = Math.max(1, (long) b * hkv);
        int target = (int) Math.max(1, LaunchShape.ceilDiv(2L * sms, blocksPerSplit));
        int chunk = (int) GemmPlan.roundUp(LaunchShape.ceilDiv(Math.max(c, 1), target), 32);
        chunk = Math.max(64, Math.min(512, chunk));
        return new DecodeSplit(chunk, (int) LaunchShape.ceilDiv(Math.max(c, 1), chunk));
    }

    /** Dynamic shared memory of attn_decode: queries, scores of one split, per-warp outputs, max and sum per head. */
    static int decodeSharedBytes(int group, int d, int chunk) {
        int g = Math.min(group, DECODE_GROUP_MAX);
        return (g * d + g * chunk + 4 * g * d + 2 * g) * 4;
    }

    private static String suffix(DType dt) {
        return GemmPlan.suffix(dt);
    }

    /** Whether a [B, H, T, D] operand's rows can be copied 16 bytes at a time (cp.async). */
    private boolean rowsAligned(Tensor t) {
        long es = t.dtype().byteSize();
        return addr.applyAsLong(t) % 16 == 0 && t.stride(0) * es % 16 == 0 && t.stride(1) * es % 16 == 0 && t.stride(2) * es % 16 == 0
                && t.stride(3) == 1;
    }

    /** t itself when the kernels can read it, else a contiguous copy (added to temps, closed by the caller). */
    private Tensor readable(Tensor t, List<Tensor> temps) {
        return rowsAligned(t) ? t : fresh(t, t.dtype(), temps);
    }

    /** A new contiguous tensor of dtype dt holding t's values, closed by the caller (no autograd: a backend's own copy). */
    private Tensor fresh(Tensor t, DType dt, List<Tensor> temps) {
        Tensor c = temp(Tensor.empty(dt, t.device(), t.shape()), temps);
        backend.copy(t, c);
        return c;
    }

    private static void closeAll(List<Tensor> temps) {
        for (Tensor t : temps) t.close();
    }

    private byte[] params(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor keyMask, Tensor gOut, long dk, long dv, long dqAcc,
                          long delta, boolean causal, float scale) {
        ByteBuffer b = ByteBuffer.allocate(PARAMS_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(addr.applyAsLong(q)).putLong(addr.applyAsLong(k)).putLong(addr.applyAsLong(v)).putLong(addr.applyAsLong(out))
                .putLong(addr.applyAsLong(lse)).putLong(keyMask == null ? 0 : addr.applyAsLong(keyMask))
                .putLong(gOut == null ? 0 : addr.applyAsLong(gOut)).putLong(dk).putLong(dv).putLong(dqAcc).putLong(delta);
        for (Tensor t : new Tensor[] {q, k, v, out}) b.putLong(t.stride(0)).putLong(t.stride(1)).putLong(t.stride(2));
        if (gOut != null) b.putLong(gOut.stride(0)).putLong(gOut.stride(1)).putLong(gOut.stride(2));
        else b.putLong(0).putLong(0).putLong(0);
        b.putLong(keyMask == null ? 0 : keyMask.stride(0));
        b.putInt(q.size(0)).putInt(q.size(1)).putInt(k.size(1)).putInt(q.size(2)).putInt(k.size(2)).putInt(causal ? 1 : 0);
        b.putFloat(scale).putFloat((float) (scale / Math.log(2)));
        return b.array();
    }

    void forward(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale, Tensor out, Tensor lse) {
        int bsz = q.size(0), hq = q.size(1), t = q.size(2), d = q.size(3);
        if (bsz == 0 || hq == 0 || t == 0) return;
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor qr = readable(q, temps), kr = readable(k, temps), vr = readable(v, temps);
            Tensor km = keyMask == null ? null : maskReadable(keyMask, temps);
            boolean outOk = out.stride(3) == 1 && addr.applyAsLong(out) % 4 == 0 && out.stride(0) % 2 == 0 && out.stride(1) % 2 == 0
                    && out.stride(2) % 2 == 0;
            Tensor o = outOk ? out : temp(Tensor.empty(out.dtype(), out.device(), out.shape()), temps);
            Tensor l = lse.isContiguous() ? lse : temp(Tensor.empty(DType.F32, lse.device(), lse.shape()), temps);
            gpu.launch("attention", "attn_fwd_" + suffix(q.dtype()) + "_d" + d, forwardShape(bsz, hq, t, d),
                    new KernelArgs().struct(params(qr, kr, vr, o, l, km, null, 0, 0, 0, 0, causal, scale)));
            if (o != out) backend.copy(o, out);
            if (l != lse) backend.copy(l, lse);
        } finally {
            closeAll(temps);
        }
    }

    void backward(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale, Tensor out, Tensor lse, Tensor gOut,
                  Tensor gq, Tensor gk, Tensor gv) {
        int bsz = q.size(0), hq = q.size(1), t = q.size(2), d = q.size(3), hkv = k.size(1), s = k.size(2);
        if (bsz == 0 || hq == 0 || t == 0 || s == 0) {
            if (gq.numel() > 0) backend.fill(gq, 0);
            if (gk.numel() > 0) backend.fill(gk, 0);
            if (gv.numel() > 0) backend.fill(gv, 0);
            return;
        }
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor qr = readable(q, temps), kr = readable(k, temps), vr = readable(v, temps), dOut = readable(gOut, temps);
            Tensor o = out.stride(3) == 1 ? out : fresh(out, out.dtype(), temps);
            Tensor l = lse.isContiguous() ? lse : fresh(lse, DType.F32, temps);
            Tensor km = keyMask == null ? null : maskReadable(keyMask, temps);
            Tensor dk = gk.isContiguous() && addr.applyAsLong(gk) % 4 == 0 ? gk : temp(Tensor.empty(k.dtype(), k.device(), k.shape()), temps);
            Tensor dv = gv.isContiguous() && addr.applyAsLong(gv) % 4 == 0 ? gv : temp(Tensor.empty(v.dtype(), v.device(), v.shape()), temps);
            Tensor delta = temp(Tensor.empty(DType.F32, q.device(), bsz, hq, t), temps);
            Tensor dqAcc = temp(Tensor.empty(DType.F32, q.device(), bsz, hq, t, d), temps);
            backend.fill(dqAcc, 0);
            byte[] p = params(qr, kr, vr, o, l, km, dOut, addr.applyAsLong(dk), addr.applyAsLong(dv), addr.applyAsLong(dqAcc),
                    addr.applyAsLong(delta), causal, scale);
            long rows = (long) bsz * hq * t;
            gpu.launch("attention", "attn_bwd_delta_" + suffix(q.dtype()), LaunchShape.linear(rows * 32, 256, LaunchShape.MAX_GRID_X),
                    new KernelArgs().struct(p).i32(d));
            gpu.launch("attention", "attn_bwd_" + suffix(q.dtype()) + "_d" + d, backwardShape(bsz, hkv, s, d), new KernelArgs().struct(p));
            backend.copy(dqAcc, gq);
            if (dk != gk) backend.copy(dk, gk);
            if (dv != gv) backend.copy(dv, gv);
        } finally {
            closeAll(temps);
        }
    }

    /** A tensor as the launch checks see it: dtype, shape and element strides (no device needed). */
    record Operand(DType dtype, int[] shape, int[] strides) {
        static Operand of(Tensor t) {
            return t == null ? null : new Operand(t.dtype(), t.shape(), t.strides());
        }

        @Override
        public String toString() {
            return dtype + " " + java.util.Arrays.toString(shape) + " strides " + java.util.Arrays.toString(strides);
        }
    }

    /**
     * What attn_decode reads, checked before anything is queued, so that a tensor it would misread is refused with
     * a message instead: q [B, Hq, 1, D] with unit stride along D (it reads element d of a head at b q_b + h q_h + d);
     * kCache and vCache [B, Hkv, C, D] alike, Hq a multiple of Hkv (their D stride may be anything: a copy is
     * made); lengths [B] of I32 (it reads int32, an I64 tensor would be read as twice as many wrong lengths); keyMask
     * null or [B, C]; out [B, Hq, 1, D]; q, the caches and out of one dtype the kernel exists for.
     */
    static void checkDecode(Operand q, Operand k, Operand v, Operand lengths, Operand keyMask, Operand out) {
        if (q.shape().length != 4 || q.shape()[2] != 1) throw decodeRefused("q", q, "[B, Hq, 1, D]");
        int b = q.shape()[0], hq = q.shape()[1], d = q.shape()[3];
        if (!supportsDecode(q.dtype(), d)) throw decodeRefused("q", q, "F32, BF16 or F16 with head dim 64 or 128");
        if (q.strides()[3] != 1) throw decodeRefused("q", q, "unit-strided along D (the kernel reads each head's D elements in a row)");
        String cache = "[B=" + b + ", Hkv, C, D=" + d + "] of " + q.dtype() + " with Hq=" + hq + " a multiple of Hkv";
        if (k.shape().length != 4 || k.shape()[0] != b || k.shape()[3] != d || k.shape()[1] <= 0 || hq % k.shape()[1] != 0
                || k.dtype() != q.dtype()) {
            throw decodeRefused("kCache", k, cache);
        }
        if (!java.util.Arrays.equals(v.shape(), k.shape()) || v.dtype() != q.dtype()) {
            throw decodeRefused("vCache", v, "the shape of kCache " + java.util.Arrays.toString(k.shape()) + " and dtype " + q.dtype());
        }
        if (lengths.dtype() != DType.I32) throw decodeRefused("lengths", lengths, "I32 (the kernel reads 32-bit lengths)");
        if (lengths.shape().length != 1 || lengths.shape()[0] != b) throw decodeRefused("lengths", lengths, "[B=" + b + "]");
        int c = k.shape()[2];
        if (keyMask != null && (keyMask.shape().length != 2 || keyMask.shape()[0] != b || keyMask.shape()[1] != c)) {
            throw decodeRefused("keyMask", keyMask, "null or [B=" + b + ", C=" + c + "]");
        }
        if (!java.util.Arrays.equals(out.shape(), new int[] {b, hq, 1, d}) || out.dtype() != q.dtype()) {
            throw decodeRefused("out", out, "[" + b + ", " + hq + ", 1, " + d + "] of " + q.dtype());
        }
    }

    private static IllegalArgumentException decodeRefused(String tensor, Operand got, String expected) {
        return new IllegalArgumentException("attn_decode: " + tensor + " must be " + expected + ", got " + got);
    }

    void decode(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, Tensor keyMask, float scale, Tensor out) {
        checkDecode(Operand.of(q), Operand.of(kCache), Operand.of(vCache), Operand.of(lengths), Operand.of(keyMask), Operand.of(out));
        int bsz = q.size(0), hq = q.size(1), d = q.size(3), hkv = kCache.size(1), c = kCache.size(2);
        if (bsz == 0 || hq == 0) return;
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor kc = cacheReadable(kCache, temps), vc = cacheReadable(vCache, temps);
            Tensor len = lengths.isContiguous() ? lengths : fresh(lengths, lengths.dtype(), temps);
            Tensor km = keyMask == null ? null : maskReadable(keyMask, temps);
            Tensor o = out.isContiguous() ? out : temp(Tensor.empty(out.dtype(), out.device(), out.shape()), temps);
            DecodeSplit split = decodeSplit(bsz, hkv, c, gpu.multiprocessors());
            Tensor partO = null, partMl = null;
            if (split.splits() > 1) {
                partO = temp(Tensor.empty(DType.F32, q.device(), bsz, hq, split.splits(), d), temps);
                partMl = temp(Tensor.empty(DType.F32, q.device(), bsz, hq, split.splits(), 2), temps);
            }
            ByteBuffer p = ByteBuffer.allocate(DECODE_PARAMS_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            p.putLong(addr.applyAsLong(q)).putLong(addr.applyAsLong(kc)).putLong(addr.applyAsLong(vc)).putLong(addr.applyAsLong(len))
                    .putLong(km == null ? 0 : addr.applyAsLong(km)).putLong(addr.applyAsLong(o))
                    .putLong(partO == null ? 0 : addr.applyAsLong(partO)).putLong(partMl == null ? 0 : addr.applyAsLong(partMl));
            p.putLong(q.stride(0)).putLong(q.stride(1));
            p.putLong(kc.stride(0)).putLong(kc.stride(1)).putLong(kc.stride(2));
            p.putLong(vc.stride(0)).putLong(vc.stride(1)).putLong(vc.stride(2));
            p.putLong(km == null ? 0 : km.stride(0));
            p.putInt(hq).putInt(hkv).putInt(c).putInt(split.chunk()).putInt(split.splits()).putFloat((float) (scale / Math.log(2)));
            byte[] bytes = p.array();
            String sfx = suffix(q.dtype());
            gpu.launch("attention", "attn_decode_" + sfx + "_d" + d, new LaunchShape(split.splits(), hkv, bsz, THREADS,
                    decodeSharedBytes(hq / hkv, d, split.chunk())), new KernelArgs().struct(bytes));
            if (split.splits() > 1) {
                gpu.launch("attention", "attn_decode_combine_" + sfx, new LaunchShape(hq, bsz, 1, d, 0), new KernelArgs().struct(bytes).i32(d));
            }
            if (o != out) backend.copy(o, out);
        } finally {
            closeAll(temps);
        }
    }

    private Tensor cacheReadable(Tensor t, List<Tensor> temps) {
        return t.stride(3) == 1 ? t : fresh(t, t.dtype(), temps);
    }

    private Tensor maskReadable(Tensor m, List<Tensor> temps) {
        return m.dtype() == DType.F32 && m.stride(1) == 1 ? m : fresh(m, DType.F32, temps);
    }

    private static Tensor temp(Tensor t, List<Tensor> temps) {
        temps.add(t);
        return t;
    }
}

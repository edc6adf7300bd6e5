package org.racro4j.kernels.cuda;

import static org.racro4j.kernels.cuda.LaunchSupport.aligned16;
import static org.racro4j.kernels.cuda.LaunchSupport.code;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.racro4j.core.Backend.AdamWHyper;
import org.racro4j.core.DType;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;

/**
 * Launches adamw.cu's {@code adamw_multi(const AdamWTensor* tensors, int count, AdamWScalars h)}: one launch for
 * every parameter, driven by a table of AdamWTensor entries in device memory, with the step's scalars
 * (AdamWScalars, 8 floats) passed by value.
 */
final class AdamWLauncher {
    /** sizeof(AdamWTensor) in adamw.cu. */
    static final int TENSOR_BYTES = 64;
    /** Elements per block of adamw_multi (ADAMW_CHUNK in adamw.cu). */
    static final int CHUNK = 4096;

    private final LaunchSupport k;
    private final CudaDevice gpu;

    AdamWLauncher(LaunchSupport support) {
        this.k = support;
        this.gpu = support.gpu;
    }

    void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamWHyper h) {
        int count = params.size();
        if (grads.size() != count || m.size() != count || v.size() != count) {
            throw new IllegalArgumentException("adamw: " + count + " params but " + grads.size() + " grads, " + m.size() + " m and "
                    + v.size() + " v");
        }
        ByteBuffer table = ByteBuffer.allocate(count * TENSOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long blocks = 0;
        int entries = 0;
        for (int t = 0; t < count; t++) {
            Tensor p = params.get(t);
            Tensor g = grads.get(t);
            Tensor mt = m.get(t);
            Tensor vt = v.get(t);
            if (!p.isContiguous() || !g.isContiguous() || !mt.isContiguous() || !vt.isContiguous()) {
                throw new IllegalArgumentException("adamw: tensors must be contiguous (param " + t + ", shape " + Shapes.str(p.shape()) + ")");
            }
            if (!p.dtype().isFloatingPoint() || mt.dtype() != DType.F32 || vt.dtype() != DType.F32
                    || (g.dtype() != DType.F32 && g.dtype() != p.dtype())) {
                throw new IllegalArgumentException("adamw: param " + t + " is " + p.dtype() + " with grad " + g.dtype() + ", m " + mt.dtype()
                        + ", v " + vt.dtype() + "; m and v must be F32 and the grad F32 or the param's dtype");
            }
            long n = p.numel();
            if (g.numel() != n || mt.numel() != n || vt.numel() != n) {
                throw new IllegalArgumentException("adamw: param " + t + " has " + n + " elements but its grad/m/v have " + g.numel() + "/"
                        + mt.numel() + "/" + vt.numel());
            }
            if (n == 0) continue;
            long pa = k.addr(p);
            long ga = k.addr(g);
            long ma = k.addr(mt);
            long va = k.addr(vt);
            boolean vec = p.dtype() == DType.F32 && g.dtype() == DType.F32 && aligned16(pa, ga, ma, va);
            table.putLong(pa).putLong(ga).putLong(ma).putLong(va).putLong(n).putLong(blocks);
            table.putInt(code(p.dtype())).putInt(code(g.dtype())).putInt(vec ? 1 : 0).putInt(0);
            blocks += LaunchShape.ceilDiv(n, CHUNK);
            entries++;
        }
        if (entries == 0) return;
        if (blocks > Integer.MAX_VALUE) throw new IllegalArgumentException("adamw: " + blocks + " blocks exceed one launch");
        table.flip();
        double bc1 = 1.0 - Math.pow(h.beta1(), h.step());
        double bc2 = 1.0 - Math.pow(h.beta2(), h.step());
        ByteBuffer scalars = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        scalars.putFloat(h.beta1()).putFloat(h.beta2()).putFloat(1f - h.beta1()).putFloat(1f - h.beta2()).putFloat(h.eps())
                .putFloat((float) (h.lr() / bc1)).putFloat((float) (1.0 / Math.sqrt(bc2))).putFloat(1f - h.lr() * h.weightDecay());
        CachingAllocator.Block tableBlock = gpu.allocator.allocate(table.remaining());
        try {
            gpu.upload(tableBlock.address(), table);
            gpu.launch("adamw", "adamw_multi", new LaunchShape((int) blocks, 1, 1, LaunchShape.THREADS, 0),
                    new KernelArgs().ptr(tableBlock.address()).i32(entries).struct(scalars.array()));
        } finally {
            gpu.allocator.free(tableBlock);
        }
    }
}

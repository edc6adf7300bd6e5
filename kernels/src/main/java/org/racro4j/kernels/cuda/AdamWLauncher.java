package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.Backend.AdamWHyper;
import org.racro4j.core.DType;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;

/**
 * Launches adamw.cu's {@code adamw_multi(const AdamWTensor* tensors, int count, AdamWScalars h)}: one launch for
 * every parameter, driven by the table of AdamWTensor entries ({@link AdamWTable}) kept on the device per parameter
 * set ({@link AdamWTableCache}), with the step's scalars passed by value as AdamWScalars
 * {@code {float b1, b2, one_minus_b1, one_minus_b2, eps, step_size, inv_sqrt_bc2, decay}} (32 bytes).
 *
 * <p>In a CUDA graph. Once a parameter set has been stepped uncaptured (its table uploaded), a call with the same
 * set (the same param, grad, m and v memory, element counts and dtypes) uploads nothing and can be captured. The
 * scalars are kernel arguments, so a captured step replays those of the captured call: the learning rate, betas,
 * eps, weight decay and the step count t are all frozen: a replay standing for step t' still uses
 * step_size = lr / (1 - beta1^t) and inv_sqrt_bc2 = 1 / sqrt(1 - beta2^t) of the captured t, and the captured
 * decay = 1 - lr wd. Replaying it is therefore the AdamW step of step t' only while lr, betas, eps and weight decay
 * keep their captured values and the bias corrections of t and t' agree in float (late in training, once beta^t
 * is below float resolution next to 1); anywhere else (warm-up, a learning-rate schedule, the first steps) capture
 * the step again. The parameter set must also be the captured one: same param, grad, m and v memory (grads kept,
 * not reallocated, between steps). A table a graph reads stays on the device until the backend closes.
 */
final class AdamWLauncher {
    private final LaunchSupport k;
    private final DeviceOps gpu;
    private final AdamWTableCache<CachingAllocator.Block> tables;

    AdamWLauncher(LaunchSupport support) {
        this.k = support;
        this.gpu = support.gpu;
        this.tables = new AdamWTableCache<>(new AdamWTableCache.Store<>() {
            @Override
            public CachingAllocator.Block upload(ByteBuffer table) {
                CachingAllocator.Block block = gpu.allocator().allocate(table.remaining());
                gpu.upload(block.address(), table);
                return block;
            }

            @Override
            public long address(CachingAllocator.Block block) {
                return block.address();
            }

            @Override
            public void free(CachingAllocator.Block block) {
                gpu.allocator().free(block);
            }
        }, AdamWTable::pack);
    }

    void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamWHyper h) {
        int count = params.size();
        if (grads.size() != count || m.size() != count || v.size() != count) {
            throw new IllegalArgumentException("adamw: " + count + " params but " + grads.size() + " grads, " + m.size() + " m and "
                    + v.size() + " v");
        }
        List<AdamWTable.Param> set = new ArrayList<>(count);
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
            set.add(new AdamWTable.Param(k.addr(p), k.addr(g), k.addr(mt), k.addr(vt), n, p.dtype(), g.dtype()));
        }
        if (set.isEmpty()) return;
        AdamWTableCache.Resident<CachingAllocator.Block> table = tables.table(new AdamWTable.Key(set), gpu.capturing());
        gpu.launch("adamw", "adamw_multi", new LaunchShape((int) table.blocks, 1, 1, LaunchShape.THREADS, 0),
                new KernelArgs().ptr(tables.address(table)).i32(table.entries).struct(scalars(h)));
    }

    /** AdamWScalars of adamw.cu, computed as CpuAdamW does (bias corrections in double). */
    static byte[] scalars(AdamWHyper h) {
        double bc1 = 1.0 - Math.pow(h.beta1(), h.step());
        double bc2 = 1.0 - Math.pow(h.beta2(), h.step());
        ByteBuffer scalars = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        scalars.putFloat(h.beta1()).putFloat(h.beta2()).putFloat(1f - h.beta1()).putFloat(1f - h.beta2()).putFloat(h.eps())
                .putFloat((float) (h.lr() / bc1)).putFloat((float) (1.0 / Math.sqrt(bc2))).putFloat(1f - h.lr() * h.weightDecay());
        return scalars.array();
    }
}

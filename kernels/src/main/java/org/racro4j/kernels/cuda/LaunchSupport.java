package org.racro4j.kernels.cuda;

import java.util.function.ToLongFunction;

import org.racro4j.core.DType;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;

/**
 * What every launcher class shares: the device its kernels run on, a tensor's device address, and the small
 * rules of how the kernels take their operands (dtype codes, kernel-name suffixes, 16-byte vector paths).
 */
final class LaunchSupport {
    final DeviceOps gpu;
    private final ToLongFunction<Tensor> addr;

    LaunchSupport(DeviceOps gpu, ToLongFunction<Tensor> addr) {
        this.gpu = gpu;
        this.addr = addr;
    }

    /** The device address of a tensor's first element. */
    long addr(Tensor t) {
        return addr.applyAsLong(t);
    }

    /** The DT_* code of common.cuh for a dtype. */
    static int code(DType d) {
        return d.ordinal();
    }

    /** The suffix of a kernel instantiated per floating dtype (softmax_f32, softmax_bf16, ...). */
    static String suffix(DType d) {
        return switch (d) {
            case F32 -> "f32";
            case BF16 -> "bf16";
            case F16 -> "f16";
            default -> throw new IllegalArgumentException("this CUDA kernel needs a floating tensor, got " + d);
        };
    }

    static boolean aligned16(long... addresses) {
        for (long a : addresses) if ((a & 15) != 0) return false;
        return true;
    }

    /** Elements of a floating dtype in one 16-byte vector. */
    static int floatingPack(DType d) {
        return 16 / d.byteSize();
    }

    /** Whether rows of c elements of dtype d, at these addresses, can move as 16-byte vectors. */
    static boolean vectorRows(int c, DType d, long... addresses) {
        return (long) c * d.byteSize() % 16 == 0 && aligned16(addresses);
    }

    static void requireContiguous(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && !t.isContiguous()) {
                throw new IllegalArgumentException(op + ": the CUDA kernel needs contiguous tensors, got shape " + Shapes.str(t.shape())
                        + " with strides " + Shapes.str(t.strides()));
            }
        }
    }

    static void sameDtype(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t.dtype() != ts[0].dtype()) {
                throw new IllegalArgumentException(op + ": the CUDA kernel needs one dtype, got " + ts[0].dtype() + " and " + t.dtype());
            }
        }
    }
}

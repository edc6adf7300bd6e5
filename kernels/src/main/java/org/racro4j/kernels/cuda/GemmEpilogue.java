package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.racro4j.core.DType;
import org.racro4j.core.Tensor;

/**
 * What the GEMM kernels do to each accumulator before the one rounding to the output dtype (gemm.cuh):
 * {@code y = act(alpha * acc + bias[col] + beta * C_old[row, col]) + residual[row, col]}.
 *
 * @param bias       null or [N], contiguous, F32 or the output's dtype
 * @param activation applied after bias and beta C
 * @param residual   null or [batch, M, N] / [M, N] (shared by every batch) in the output's dtype, last stride 1
 */
public record GemmEpilogue(float alpha, float beta, Tensor bias, Activation activation, Tensor residual) {
    /** Activation codes of gemm.cuh (ACT_*), in ordinal order. */
    public enum Activation { NONE, RELU, GELU_TANH, GELU_ERF, SILU }

    /** sizeof(GemmEpilogue) in gemm.cuh. */
    static final int BYTES = 48;

    public GemmEpilogue {
        if (activation == null) activation = Activation.NONE;
    }

    /** Backend.matmul's alpha A B + beta C. */
    public static GemmEpilogue plain(float alpha, float beta) {
        return new GemmEpilogue(alpha, beta, null, Activation.NONE, null);
    }

    /** Whether anything beyond alpha and beta is asked for (cuBLAS, rung 0, does only those). */
    public boolean fused() {
        return bias != null || activation != Activation.NONE || residual != null;
    }

    /** Checks the operands against an output [batch, m, n] of dtype dt. */
    void validate(DType dt, int batch, int m, int n) {
        if (bias != null) {
            if (bias.dim() != 1 || bias.size(0) != n || !bias.isContiguous() || (bias.dtype() != DType.F32 && bias.dtype() != dt)) {
                throw new IllegalArgumentException("gemm bias must be a contiguous [" + n + "] tensor of F32 or " + dt + ", got "
                        + bias.dtype() + " " + java.util.Arrays.toString(bias.shape()));
            }
        }
        if (residual != null) {
            boolean shapeOk = residual.dim() == 3 ? residual.size(0) == batch && residual.size(1) == m && residual.size(2) == n
                    : residual.dim() == 2 && residual.size(0) == m && residual.size(1) == n;
            if (!shapeOk || residual.dtype() != dt || (residual.numel() > 0 && residual.stride(-1) != 1)) {
                throw new IllegalArgumentException("gemm residual must be [" + batch + ", " + m + ", " + n + "] or [" + m + ", " + n
                        + "] of " + dt + " with last stride 1, got " + residual.dtype() + " " + java.util.Arrays.toString(residual.shape()));
            }
        }
    }

    /** The 48 bytes of gemm.cuh's struct GemmEpilogue, given the device addresses of bias and residual (0 = none). */
    byte[] pack(long biasAddress, long residualAddress) {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(biasAddress).putLong(residualAddress);
        long resBatch = 0;
        long resRow = 0;
        if (residual != null) {
            resBatch = residual.dim() == 3 ? residual.stride(0) : 0;
            resRow = residual.stride(residual.dim() - 2);
        }
        b.putLong(resBatch).putLong(resRow);
        b.putFloat(alpha).putFloat(beta).putInt(activation.ordinal()).putInt(bias == null ? 0 : bias.dtype().ordinal());
        return b.array();
    }
}

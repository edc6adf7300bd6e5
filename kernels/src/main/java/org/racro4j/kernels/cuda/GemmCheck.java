package org.racro4j.kernels.cuda;

import org.racro4j.core.DType;

/**
 * The pure half of a tensor-core kernel's first-use check ({@link CudaGemm}): the product it is checked on and
 * the verdict on its result against the tiled kernel's. Tested without a GPU.
 *
 * <p>The shape: two full block tiles plus a ragged edge in M and N, and a K that wraps the kernel's ring of shared
 * memory stages at least twice over plus a ragged remainder, K = (stages + 2) BK + 5/8 BK: a barrier phase or
 * stage-index bug only shows once a stage is reused, and the remainder exercises the partial last K tile.
 *
 * <p>The verdict: both must hold.
 * <ul>
 * <li>Every element: |got - want| &le; atol + rtol |want|, the worst case. Both kernels round their result once to
 * the output dtype (unit roundoff u_out), so they may land one output ulp apart: rtol = 2 u_out. Both accumulate K
 * products in FP32 in different orders, each off by at most K u_acc &Sigma;|a_p b_p|, and a TF32 kernel rounds both
 * inputs (u_in each, against the tiled kernel's exact FP32): atol = (2 K u_acc + 2 u_in) S, where S = K |alpha| rms(a)
 * rms(b) stands in for &Sigma;|a_p b_p| (random normal inputs: its mean is 2/&pi; of that).</li>
 * <li>The whole product: ||got - want||_F &le; 2 (u_out + u_in + &radic;K u_acc) ||want||_F. Independent rounding
 * errors add up as a root sum of squares, far below the worst case: this catches an error spread thinly over every
 * element, which the loose per-element TF32 bound would let through, while the per-element bound catches one bad
 * element that is lost in the norm of a large product.</li>
 * </ul>
 */
final class GemmCheck {
    /** FP32's unit roundoff: the accumulators. */
    static final double U_F32 = 0x1p-24;

    private GemmCheck() {}

    /** The check product: batch x [m, k] @ [k, n]. */
    record Shape(int m, int n, int k, int batch) {}

    /** The tolerance of a check, see the class comment. */
    record Bound(double atol, double rtol, double frobenius) {}

    /** The dtype of c's operands and result: F32 for a TF32 kernel, F16 or BF16 from its name. */
    static DType dtype(GemmPlan.Choice c) {
        return c.kernel().contains("_tf32_") ? DType.F32 : c.kernel().contains("_f16_") ? DType.F16 : DType.BF16;
    }

    /** Shared-memory stages of c's K pipeline (gemm_wgmma.cu's STAGES, gemm_mma.cu's MMA_STAGES). */
    static int stages(GemmPlan.Choice c) {
        return switch (c.rung()) {
            case WGMMA -> c.config().stages;
            case MMA -> GemmPlan.MMA_STAGES;
            default -> throw new IllegalArgumentException(c.describe() + " is not a pipelined tensor-core kernel");
        };
    }

    /** K elements per stage: 64 for wgmma, 64 bytes of each row for mma.sync. */
    static int kTile(GemmPlan.Choice c) {
        return switch (c.rung()) {
            case WGMMA -> GemmPlan.WGMMA_BK;
            case MMA -> 64 / dtype(c).byteSize();
            default -> throw new IllegalArgumentException(c.describe() + " is not a pipelined tensor-core kernel");
        };
    }

    static Shape shape(GemmPlan.Choice c) {
        int bm = c.config() != null ? c.config().bm : GemmPlan.MMA_TILE;
        int bn = c.config() != null ? c.config().bn : GemmPlan.MMA_TILE;
        int bk = kTile(c);
        return new Shape(2 * bm + 37, 2 * bn + 46, (stages(c) + 2) * bk + bk * 5 / 8, 2);
    }

    /** Unit roundoff of a stored dtype. */
    static double unitRoundoff(DType dt) {
        return switch (dt) {
            case BF16 -> 0x1p-8;
            case F16 -> 0x1p-11;
            case F32 -> U_F32;
            default -> throw new IllegalArgumentException("no GEMM check for " + dt);
        };
    }

    /**
     * The bound for a product of dtype dt over k, against a reference that reads the same inputs exactly; tf32 when the
     * kernel under check rounds F32 inputs to TF32 (10 mantissa bits, 2^-10 covers truncation as well as rounding);
     * scale = |alpha| rms(a) rms(b).
     */
    static Bound bound(DType dt, boolean tf32, int k, double scale) {
        double uOut = unitRoundoff(dt);
        double uIn = tf32 ? 0x1p-10 : 0;
        double sumAbs = k * scale;
        return new Bound((2.0 * k * U_F32 + 2 * uIn) * sumAbs, 2 * uOut, 2 * (uOut + uIn + Math.sqrt(k) * U_F32));
    }

    /**
     * Null when got passes both halves of the bound against want (each [batch, m, n]), else one line: the worst
     * element (its index, got, want and its bound) or the relative Frobenius error and its bound.
     */
    static String compare(float[] got, float[] want, int batch, int m, int n, Bound b) {
        if (got.length != want.length || got.length != batch * m * n) {
            return got.length + " results, want " + want.length + " (" + batch + " x " + m + " x " + n + ")";
        }
        int worst = -1;
        double worstRatio = 0;
        int over = 0;
        double errSq = 0, wantSq = 0;
        for (int i = 0; i < got.length; i++) {
            double diff = Math.abs((double) got[i] - want[i]);
            double ratio = diff / (b.atol() + b.rtol() * Math.abs(want[i]));
            if (!(ratio <= 1)) over++;   // NaN too
            double rank = Double.isNaN(ratio) ? Double.POSITIVE_INFINITY : ratio;
            if (worst < 0 || rank > worstRatio) {
                worst = i;
                worstRatio = rank;
            }
            errSq += diff * diff;
            wantSq += (double) want[i] * want[i];
        }
        if (over > 0) {
            int t = worst / (m * n), r = worst % (m * n);
            double allowed = b.atol() + b.rtol() * Math.abs(want[worst]);
            return String.format("element [%d, %d, %d] is %s, want %s: |difference| %.4g > bound %.4g (atol %.3g + rtol %.3g |want|); %d of %d"
                    + " elements over", t, r / n, r % n, got[worst], want[worst], Math.abs((double) got[worst] - want[worst]), allowed, b.atol(),
                    b.rtol(), over, got.length);
        }
        double rel = Math.sqrt(errSq) / Math.max(Math.sqrt(wantSq), Double.MIN_NORMAL);
        if (!(rel <= b.frobenius())) {
            return String.format("relative Frobenius error %.4g > bound %.4g (every element within its own bound)", rel, b.frobenius());
        }
        return null;
    }
}

package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * Decode attention's two dot-product kernels must give the same bits for every key (a step's scores may not depend on
 * whether a key fell in a full block of transposed keys or in the tail), so the block kernel is compared bit for bit
 * with the per-key kernel, on head dims that are and are not multiples of the vector length, keys at an awkward
 * stride, and values that make the order of additions show: wide magnitude ranges, signed zeros, subnormals,
 * infinities and NaNs.
 */
class LaneAttentionTest {
    @Test
    void keyBlocksGiveThePerKeyKernelsBits() {
        SplittableRandom rnd = new SplittableRandom(17);
        int block = LaneAttention.KEY_BLOCK;
        for (int d : new int[] {1, 3, 16, 17, 31, 32, 33, 48, 64, 100, 128}) {
            for (int kind = 0; kind < 5; kind++) {
                int blocks = 1 + rnd.nextInt(4);
                int n = blocks * block;
                int stride = d + rnd.nextInt(5);
                int k0 = rnd.nextInt(7);
                int q0 = rnd.nextInt(7);
                float[] k = new float[k0 + n * stride];
                float[] q = new float[q0 + d];
                for (int i = 0; i < k.length; i++) k[i] = value(kind, rnd);
                for (int i = 0; i < q.length; i++) q[i] = value(kind, rnd);

                float[] perKey = new float[n + 3];
                LaneAttention.dots(q, q0, k, k0, stride, n, d, perKey, 3, new float[LaneAttention.LANES_SCRATCH]);
                float[] kt = new float[n * d];
                LaneAttention.transposeKeys(k, k0, stride, blocks, d, kt);
                float[] blocked = new float[n];
                LaneAttention.keyBlockDots(q, q0, kt, blocks, d, blocked, new double[block]);
                for (int s = 0; s < n; s++) {
                    assertEquals(Float.floatToIntBits(perKey[3 + s]), Float.floatToIntBits(blocked[s]),
                            "d " + d + ", kind " + kind + ", key " + s + ": " + perKey[3 + s] + " vs " + blocked[s]);
                }
            }
        }
    }

    /**
     * Gaussian; magnitudes over 60 binades; special values; signs only; signed powers of two 30 binades apart, whose
     * products cancel and absorb each other, so that a sum in another order, even in double, gives other bits.
     */
    private static float value(int kind, SplittableRandom r) {
        return switch (kind) {
            case 0 -> (float) r.nextGaussian();
            case 1 -> (float) (r.nextGaussian() * Math.pow(2, r.nextInt(60) - 30));
            case 2 -> switch (r.nextInt(10)) {
                case 0 -> -0f;
                case 1 -> 0f;
                case 2 -> Float.MIN_VALUE * (1 + r.nextInt(100));
                case 3 -> r.nextInt(50) == 0 ? Float.POSITIVE_INFINITY : 1e30f;
                case 4 -> r.nextInt(80) == 0 ? Float.NaN : -1e30f;
                default -> (float) r.nextGaussian();
            };
            case 3 -> r.nextBoolean() ? 1f : -1f;
            default -> (r.nextBoolean() ? 1f : -1f) * (float) Math.pow(2, 30 * (r.nextInt(4) - 1));
        };
    }
}

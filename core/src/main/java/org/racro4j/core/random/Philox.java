package org.racro4j.core.random;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the counter-based
 * generator behind every random tensor in racro4j. It is specified here exactly so that a GPU kernel produces
 * the same numbers as the CPU for the same (seed, offset).
 *
 * <h2>The block function</h2>
 * State: counter c = (c0, c1, c2, c3) and key k = (k0, k1), all unsigned 32-bit. Ten rounds; before every
 * round but the first the key is bumped: k0 += 0x9E3779B9, k1 += 0xBB67AE85 (mod 2^32). One round, with
 * M0 = 0xD2511F53, M1 = 0xCD9E8D57 and hi/lo the upper/lower 32 bits of the 64-bit product:
 * <pre>
 *   p0 = M0 * c0;  p1 = M1 * c2
 *   c  = (hi(p1) ^ c1 ^ k0,  lo(p1),  hi(p0) ^ c3 ^ k1,  lo(p0))
 * </pre>
 * The output is the final counter (w0, w1, w2, w3). Known answers (Random123's kat_vectors) are in the tests.
 *
 * <h2>The stream of a fill</h2>
 * A fill of n elements with seed s and offset o uses blocks b = 0 .. ceil(n/4)-1 with key (lo32(s), hi32(s))
 * and counter (lo32(o + b), hi32(o + b), 0, 0). Element i takes word w[i mod 4] of block i / 4. The generator
 * then advances its offset by ceil(n/4), so consecutive fills never reuse a block.
 * <ul>
 * <li>Uniform in [a, b): u = (w &gt;&gt;&gt; 8) * 2^-24 (exact in float), value = a + (b - a) * u computed in float.</li>
 * <li>Normal(mean a, std b): words pair up within a block, (w0, w1) and (w2, w3). For a pair (x, y):
 * u1 = ((x &gt;&gt;&gt; 8) + 1) * 2^-24 in (0, 1], u2 = (y &gt;&gt;&gt; 8) * 2^-24, r = sqrt(-2 ln u1), θ = 2π u2, both
 * computed in double; the even element is a + b * (float)(r cos θ), the odd one a + b * (float)(r sin θ).</li>
 * </ul>
 * Uniform values are bit-identical across backends; normal values agree to within float rounding of the same
 * double-precision formula (CUDA's double log/cos/sin are within 1-2 ulp of Java's).
 */
public final class Philox {
    public static final int M0 = 0xD2511F53;
    public static final int M1 = 0xCD9E8D57;
    public static final int W0 = 0x9E3779B9;
    public static final int W1 = 0xBB67AE85;
    public static final int ROUNDS = 10;

    private Philox() {}

    /** Runs the block function; writes (w0, w1, w2, w3) to out. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int r = 0; r < ROUNDS; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xffffffffL) * (c0 & 0xffffffffL);
            long p1 = (M1 & 0xffffffffL) * (c2 & 0xffffffffL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** The 24-bit uniform in [0, 1) of one word. */
    public static float uniform(int w) {
        return (w >>> 8) * 0x1p-24f;
    }

    /**
     * Fills dst[from, to) — positions of the whole fill, so work can be split across threads — with the stream
     * defined above.
     */
    public static void fill(float[] dst, int dstOffset, long seed, long offset, boolean normal, float a, float b, int from, int to) {
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int[] w = new int[4];
        int i = from;
        while (i < to) {
            long blockIndex = i >>> 2;
            long ctr = offset + blockIndex;
            block((int) ctr, (int) (ctr >>> 32), 0, 0, k0, k1, w);
            int firstInBlock = (int) (blockIndex << 2);
            int end = Math.min(to, firstInBlock + 4);
            if (normal) {
                for (int p = 0; p < 4; p += 2) {
                    double u1 = ((w[p] >>> 8) + 1) * 0x1p-24;
                    double u2 = (w[p + 1] >>> 8) * 0x1p-24;
                    double r = Math.sqrt(-2.0 * Math.log(u1));
                    double theta = 2.0 * Math.PI * u2;
                    int e0 = firstInBlock + p;
                    if (e0 >= i && e0 < end) dst[dstOffset + e0] = a + b * (float) (r * Math.cos(theta));
                    if (e0 + 1 >= i && e0 + 1 < end) dst[dstOffset + e0 + 1] = a + b * (float) (r * Math.sin(theta));
                }
            } else {
                for (int e = i; e < end; e++) dst[dstOffset + e] = a + (b - a) * uniform(w[e - firstInBlock]);
            }
            i = end;
        }
    }

    /** Number of blocks (offset advance) a fill of n elements uses. */
    public static long blocksFor(long n) {
        return (n + 3) / 4;
    }
}

package org.racro4j.core.random;

/**
 * A seeded source of random tensors: a Philox key (the seed) and the next unused counter (the offset). Its whole
 * state is these two numbers, so saving them in a checkpoint and restoring them resumes the exact stream.
 */
public final class Generator {
    private final long seed;
    private long offset;

    public Generator(long seed) {
        this(seed, 0);
    }

    public Generator(long seed, long offset) {
        this.seed = seed;
        this.offset = offset;
    }

    public long seed() {
        return seed;
    }

    public synchronized long offset() {
        return offset;
    }

    public synchronized void setOffset(long offset) {
        this.offset = offset;
    }

    /** Reserves the blocks for n values and returns the offset they start at. */
    public synchronized long reserve(long n) {
        long start = offset;
        offset += Philox.blocksFor(n);
        return start;
    }

    /** A uniform float in [0, 1) drawn from the stream (one block), for host-side decisions such as sampling. */
    public float nextFloat() {
        float[] one = new float[1];
        Philox.fill(one, 0, seed, reserve(1), false, 0f, 1f, 0, 1);
        return one[0];
    }

    /** A uniform int in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("nextInt: bound must be positive, got " + bound);
        int[] w = new int[4];
        long ctr = reserve(4);
        Philox.block((int) ctr, (int) (ctr >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), w);
        long r = ((w[0] & 0xffffffffL) << 32) | (w[1] & 0xffffffffL);
        return (int) Long.remainderUnsigned(r, bound);
    }

    @Override
    public String toString() {
        return "Generator(seed=" + seed + ", offset=" + offset() + ")";
    }
}

package org.racro4j.kernels.cuda;

/**
 * A kernel's grid, block and dynamic shared memory, and the rules the backend uses to choose them. Pure
 * arithmetic, tested without a GPU.
 */
public record LaunchShape(int gridX, int gridY, int gridZ, int blockX, int sharedBytes) {
    /** CUDA's limits on grid.y and grid.z. */
    static final int MAX_GRID_YZ = 65535;
    /** grid.x may go to 2^31 - 1; capping it keeps grid-stride loops busy without absurd launches. */
    static final int MAX_GRID_X = 1 << 30;
    /** Threads per block of the elementwise and strided kernels. */
    static final int THREADS = 256;

    public LaunchShape {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || blockX < 1 || blockX > 1024 || sharedBytes < 0
                || gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException("invalid launch shape grid (" + gridX + ", " + gridY + ", " + gridZ + ") block "
                    + blockX + " shared " + sharedBytes);
        }
    }

    /** A 1-D grid of {@code threads}-thread blocks covering {@code work} items (at least one block), at most maxBlocks. */
    static LaunchShape linear(long work, int threads, long maxBlocks) {
        long blocks = Math.max(1, ceilDiv(work, threads));
        return new LaunchShape((int) Math.min(blocks, Math.min(maxBlocks, MAX_GRID_X)), 1, 1, threads, 0);
    }

    /** The launch of a kernel that walks a {@link StridedSpace} with for_each_strided (common.cuh). */
    static LaunchShape strided(StridedSpace space) {
        if (space.rowsMode()) {
            long inner = space.innerSize();
            long outer = space.numel() / Math.max(1, inner);
            int gx = (int) Math.min(Math.max(1, ceilDiv(inner, THREADS)), MAX_GRID_X);
            int gy = (int) Math.max(1, Math.min(outer, MAX_GRID_YZ));
            return new LaunchShape(gx, gy, 1, THREADS, 0);
        }
        return linear(space.numel(), THREADS, MAX_GRID_X);
    }

    /**
     * Threads for one block per row of {@code cols} elements: about {@code perThread} elements per thread, a
     * multiple of 32 between 32 and 1024.
     */
    static int rowThreads(long cols, int perThread) {
        long t = ceilDiv(Math.max(1, cols), perThread);
        t = ceilDiv(t, 32) * 32;
        return (int) Math.max(32, Math.min(1024, t));
    }

    /** One block per row. */
    static LaunchShape rows(long rows, long cols) {
        if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException(rows + " rows exceed one launch");
        return new LaunchShape((int) Math.max(1, rows), 1, 1, rowThreads(cols, 16), 0);
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    @Override
    public String toString() {
        return "grid (" + gridX + ", " + gridY + ", " + gridZ + ") block (" + blockX + ", 1, 1) shared " + sharedBytes + " B";
    }
}

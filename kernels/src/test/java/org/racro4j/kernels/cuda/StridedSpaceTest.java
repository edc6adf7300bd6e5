package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

/** Host-side shape collapsing, struct packing and launch shapes. */
class StridedSpaceTest {
    @Test
    void contiguousTensorsCollapseToOneDim() {
        StridedSpace s = StridedSpace.of(new int[] {3, 5, 7}, new int[] {35, 7, 1}, new int[] {35, 7, 1});
        assertEquals(1, s.rank());
        assertArrayEquals(new long[] {105}, s.sizes());
        assertTrue(s.isDense(0) && s.isDense(1));
        assertTrue(s.rowsMode());
    }

    @Test
    void sizeOneDimsAreDropped() {
        StridedSpace s = StridedSpace.of(new int[] {1, 4, 1, 6}, new int[] {999, 6, 77, 1});
        assertArrayEquals(new long[] {24}, s.sizes());
        assertArrayEquals(new long[] {1}, s.strides(0));
    }

    @Test
    void transposedViewKeepsTwoDims() {
        // out contiguous [4, 6], x a transposed view of a [6, 4] tensor
        StridedSpace s = StridedSpace.of(new int[] {4, 6}, new int[] {6, 1}, new int[] {1, 4});
        assertEquals(2, s.rank());
        assertArrayEquals(new long[] {4, 6}, s.sizes());
        assertArrayEquals(new long[] {1, 4}, s.strides(1));
        assertFalse(s.isDense(1));
        assertFalse(s.rowsMode(), "an inner dim of 6 walks the flat path");
    }

    @Test
    void broadcastRowAndScalar() {
        // [1000, 300] + [300] broadcast along dim 0
        StridedSpace s = StridedSpace.of(new int[] {1000, 300}, new int[] {300, 1}, new int[] {300, 1}, new int[] {0, 1});
        assertEquals(2, s.rank());
        assertTrue(s.rowsMode());
        assertEquals(300, s.innerSize());
        assertFalse(s.isBroadcastScalar(2));
        StridedSpace scalar = StridedSpace.of(new int[] {10, 20}, new int[] {20, 1}, new int[] {20, 1}, new int[] {0, 0});
        assertEquals(1, scalar.rank());
        assertTrue(scalar.isBroadcastScalar(2));
        assertTrue(scalar.isDense(0) && scalar.isDense(1));
    }

    @Test
    void tooManyDimsIsAClearError() {
        int[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        int[] strides = {1024, 256, 64, 16, 4, 1, 4096, 16384, 65536};   // nothing merges
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StridedSpace.of(shape, strides));
        assertTrue(e.getMessage().contains("contiguous()"), e.getMessage());
    }

    @Test
    void packedStructIsInnermostFirst() {
        StridedSpace s = StridedSpace.of(new int[] {4, 6}, new int[] {6, 1}, new int[] {1, 4});
        byte[] packed = s.pack();
        assertEquals(328, packed.length);
        ByteBuffer b = ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2, b.getInt(0));
        assertEquals(0, b.getInt(4));
        assertEquals(6, b.getLong(8));        // size[0]: innermost
        assertEquals(4, b.getLong(16));       // size[1]
        assertEquals(1, b.getLong(24));       // unused dims are 1
        int strideBase = 8 + 64;
        assertEquals(1, b.getLong(strideBase));            // operand 0, innermost
        assertEquals(6, b.getLong(strideBase + 8));        // operand 0, outer
        assertEquals(4, b.getLong(strideBase + 64));       // operand 1, innermost
        assertEquals(1, b.getLong(strideBase + 64 + 8));   // operand 1, outer
    }

    @Test
    void launchShapes() {
        LaunchShape flat = LaunchShape.strided(StridedSpace.of(new int[] {4, 6}, new int[] {6, 1}, new int[] {1, 4}));
        assertEquals(1, flat.gridX());
        assertEquals(256, flat.blockX());
        StridedSpace rows = StridedSpace.of(new int[] {100000, 1000}, new int[] {1000, 1}, new int[] {0, 1});
        LaunchShape r = LaunchShape.strided(rows);
        assertEquals(4, r.gridX());
        assertEquals(65535, r.gridY(), "grid.y is capped; the kernel strides over the rest");
        LaunchShape lin = LaunchShape.linear(1_000_001, 256, LaunchShape.MAX_GRID_X);
        assertEquals(3907, lin.gridX());
        assertEquals(1, LaunchShape.linear(0, 256, 100).gridX());
        assertEquals(32, LaunchShape.rowThreads(1, 16));
        assertEquals(32, LaunchShape.rowThreads(500, 16));
        assertEquals(64, LaunchShape.rowThreads(513, 16));
        assertEquals(256, LaunchShape.rowThreads(4096, 16));
        assertEquals(1024, LaunchShape.rowThreads(151936, 16));
        assertThrows(IllegalArgumentException.class, () -> new LaunchShape(1, 70000, 1, 256, 0));
        assertEquals("grid (3, 2, 1) block (128, 1, 1) shared 0 B", new LaunchShape(3, 2, 1, 128, 0).toString());
    }
}

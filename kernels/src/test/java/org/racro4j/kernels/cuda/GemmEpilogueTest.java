package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;
import org.racro4j.core.DType;
import org.racro4j.core.Tensor;

/** The epilogue struct's packing (gemm.cuh's GemmEpilogue) and its operand checks. */
class GemmEpilogueTest {
    @Test
    void packsTheKernelStruct() {
        Tensor residual = Tensor.zeros(DType.F32, org.racro4j.core.Device.CPU, 3, 5, 7);
        GemmEpilogue ep = new GemmEpilogue(0.5f, 2f, Tensor.zeros(7), GemmEpilogue.Activation.SILU, residual);
        ByteBuffer b = ByteBuffer.wrap(ep.pack(0x1000, 0x2000)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(GemmEpilogue.BYTES, b.capacity());
        assertEquals(0x1000, b.getLong(0));
        assertEquals(0x2000, b.getLong(8));
        assertEquals(35, b.getLong(16), "residual batch stride");
        assertEquals(7, b.getLong(24), "residual row stride");
        assertEquals(0.5f, b.getFloat(32));
        assertEquals(2f, b.getFloat(36));
        assertEquals(GemmEpilogue.Activation.SILU.ordinal(), b.getInt(40));
        assertEquals(DType.F32.ordinal(), b.getInt(44));
        assertTrue(ep.fused());
        assertFalse(GemmEpilogue.plain(1f, 0f).fused());
        ep.validate(DType.F32, 3, 5, 7);
    }

    @Test
    void sharedResidualHasBatchStrideZero() {
        GemmEpilogue ep = new GemmEpilogue(1f, 0f, null, null, Tensor.zeros(5, 7));
        ByteBuffer b = ByteBuffer.wrap(ep.pack(0, 0x40)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, b.getLong(16));
        assertEquals(7, b.getLong(24));
        assertEquals(GemmEpilogue.Activation.NONE, ep.activation());
        ep.validate(DType.F32, 4, 5, 7);
    }

    @Test
    void rejectsOperandsThatDoNotFit() {
        assertThrows(IllegalArgumentException.class, () -> new GemmEpilogue(1f, 0f, Tensor.zeros(6), null, null).validate(DType.F32, 1, 5, 7));
        assertThrows(IllegalArgumentException.class, () -> new GemmEpilogue(1f, 0f, null, null, Tensor.zeros(5, 6)).validate(DType.F32, 1, 5, 7));
        assertThrows(IllegalArgumentException.class,
                () -> new GemmEpilogue(1f, 0f, null, null, Tensor.zeros(7, 5).t()).validate(DType.F32, 1, 5, 7), "last stride must be 1");
    }
}

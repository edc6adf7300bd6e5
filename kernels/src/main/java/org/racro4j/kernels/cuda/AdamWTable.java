package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.racro4j.core.DType;

/**
 * The parameter table of adamw.cu's adamw_multi: one 64-byte AdamWTensor per non-empty parameter, packed from a
 * parameter set by a pure function (no device), so the bytes can be checked against the struct on the host.
 *
 * <pre>
 * struct AdamWTensor {          // offset
 *     u64 p, g, m, v;           //  0, 8, 16, 24: device addresses
 *     i64 n;                    // 32: elements
 *     i64 first_block;          // 40: the first block of the launch that works on this tensor
 *     int p_dt, g_dt;           // 48, 52: DT_* codes
 *     int vec;                  // 56: 1 when p and g are F32 and p, g, m, v are 16-byte aligned
 *     int pad_;                 // 60
 * };                            // 64 bytes
 * </pre>
 */
final class AdamWTable {
    /** sizeof(AdamWTensor) in adamw.cu. */
    static final int TENSOR_BYTES = 64;
    /** Elements per block of adamw_multi (ADAMW_CHUNK in adamw.cu). */
    static final int CHUNK = 4096;

    private AdamWTable() {}

    /** One parameter as the table sees it: the addresses of p, its gradient, m and v, its element count and dtypes. */
    record Param(long p, long g, long m, long v, long n, DType pType, DType gType) {
        /** Whether the kernel may move float4s: F32 parameter and gradient, every address 16-byte aligned. */
        boolean vectorised() {
            return pType == DType.F32 && gType == DType.F32 && LaunchSupport.aligned16(p, g, m, v);
        }
    }

    /** A parameter set: the cache key of a table on the device (records compare by value). Empty tensors are left out. */
    record Key(List<Param> params) {
        Key {
            params = List.copyOf(params);
        }
    }

    /** The packed table, how many entries it has and how many blocks the launch takes. */
    record Packed(byte[] bytes, int entries, long blocks) {}

    /** The AdamWTensor entries of a parameter set, little-endian, blocks numbered in the set's order. */
    static Packed pack(Key key) {
        List<Param> ts = key.params();
        ByteBuffer table = ByteBuffer.allocate(ts.size() * TENSOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long blocks = 0;
        for (Param t : ts) {
            table.putLong(t.p()).putLong(t.g()).putLong(t.m()).putLong(t.v()).putLong(t.n()).putLong(blocks);
            table.putInt(LaunchSupport.code(t.pType())).putInt(LaunchSupport.code(t.gType())).putInt(t.vectorised() ? 1 : 0).putInt(0);
            blocks += LaunchShape.ceilDiv(t.n(), CHUNK);
        }
        if (blocks > Integer.MAX_VALUE) throw new IllegalArgumentException("adamw: " + blocks + " blocks exceed one launch");
        return new Packed(table.array(), ts.size(), blocks);
    }
}

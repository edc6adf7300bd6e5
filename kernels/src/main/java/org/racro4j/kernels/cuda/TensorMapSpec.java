package org.racro4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

import org.lwjgl.system.JNI;
import org.lwjgl.system.Library;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.SharedLibrary;

/**
 * The arguments of cuTensorMapEncodeTiled for a 3-D tiled tensor map (a TMA descriptor): element type, global
 * address, sizes (innermost first), byte strides of dims 1 and 2, box (the tile one copy moves) and swizzle; no
 * interleave, unit element strides, L2 promotion of 256 bytes, no NaN fill (out-of-bounds elements read as zero).
 * {@link #validate} checks the driver's documented limits so a bad map fails here with a message rather than as
 * CUDA_ERROR_INVALID_VALUE; {@link Encoder#encode} asks the driver for the 128 opaque bytes a kernel takes by value.
 *
 * <p>JCuda's driver binding has no cuTensorMapEncodeTiled; LWJGL's has, but initialising its CU class resolves 136
 * driver functions. So the function is looked up by name in the same libcuda.so.1 the backend loaded, and called
 * through LWJGL's generic JNI trampoline with the signature LWJGL's own binding uses.
 */
public record TensorMapSpec(int dataType, long address, long[] dims, long[] strides, int[] box, int swizzle) {
    /** CUtensorMapDataType values. */
    public static final int FLOAT16 = 6;
    public static final int FLOAT32 = 7;
    public static final int BFLOAT16 = 9;
    /** CUtensorMapSwizzle values. */
    public static final int SWIZZLE_NONE = 0;
    public static final int SWIZZLE_128B = 3;
    static final int INTERLEAVE_NONE = 0;
    static final int L2_PROMOTION_256B = 3;
    static final int OOB_FILL_NONE = 0;
    /** sizeof(CUtensorMap). */
    public static final int BYTES = 128;

    public TensorMapSpec {
        if (dims.length != 3 || strides.length != 2 || box.length != 3) {
            throw new IllegalArgumentException("a 3-D tensor map needs 3 sizes, 2 strides and 3 box sizes");
        }
        dims = dims.clone();
        strides = strides.clone();
        box = box.clone();
    }

    public int elementSize() {
        return switch (dataType) {
            case FLOAT16, BFLOAT16 -> 2;
            case FLOAT32 -> 4;
            default -> throw new IllegalArgumentException("tensor map data type " + dataType);
        };
    }

    /** Bytes one box copy delivers to shared memory (out-of-bounds elements included: they arrive as zeros). */
    public long boxBytes() {
        return (long) box[0] * box[1] * box[2] * elementSize();
    }

    /** Throws IllegalArgumentException naming the first limit of cuTensorMapEncodeTiled this map breaks. */
    public void validate() {
        if (address % 16 != 0) fail("global address " + address + " is not 16-byte aligned");
        for (int i = 0; i < 3; i++) {
            if (dims[i] < 1 || dims[i] > (1L << 32)) fail("size " + dims[i] + " of dim " + i + " is outside [1, 2^32]");
            if (box[i] < 1 || box[i] > 256) fail("box size " + box[i] + " of dim " + i + " is outside [1, 256]");
        }
        for (int i = 0; i < 2; i++) {
            if (strides[i] % 16 != 0) fail("byte stride " + strides[i] + " of dim " + (i + 1) + " is not a multiple of 16");
            if (strides[i] <= 0 || strides[i] >= (1L << 40)) fail("byte stride " + strides[i] + " of dim " + (i + 1) + " is outside (0, 2^40)");
        }
        long innerBytes = (long) box[0] * elementSize();
        if (innerBytes % 16 != 0) fail("the box's inner extent (" + innerBytes + " bytes) is not a multiple of 16 bytes");
        if (swizzle == SWIZZLE_128B && innerBytes > 128) fail("128-byte swizzle needs a box inner extent of at most 128 bytes, got " + innerBytes);
    }

    private void fail(String why) {
        throw new IllegalArgumentException("tensor map " + this + ": " + why);
    }

    @Override
    public String toString() {
        return "TensorMapSpec[type " + dataType + ", address 0x" + Long.toHexString(address) + ", dims " + Arrays.toString(dims)
                + ", strides " + Arrays.toString(strides) + ", box " + Arrays.toString(box) + ", swizzle " + swizzle + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorMapSpec t && t.dataType == dataType && t.address == address && Arrays.equals(t.dims, dims)
                && Arrays.equals(t.strides, strides) && Arrays.equals(t.box, box) && t.swizzle == swizzle;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new long[] {dataType, address, Arrays.hashCode(dims), Arrays.hashCode(strides), Arrays.hashCode(box), swizzle});
    }

    /** The driver's cuTensorMapEncodeTiled, found in libcuda.so.1. */
    static final class Encoder {
        private final long function;
        private final String description;

        private Encoder(long function, String description) {
            this.function = function;
            this.description = description;
        }

        /** The encoder of the driver at {@code libcuda}, or null with the reason appended to whyNot. */
        static Encoder open(Path libcuda, StringBuilder whyNot) {
            try {
                SharedLibrary lib = Library.loadNative(TensorMapSpec.class, "org.lwjgl.cuda", libcuda.toAbsolutePath().toString());
                long f = lib.getFunctionAddress("cuTensorMapEncodeTiled");
                if (f == 0) {
                    whyNot.append(libcuda).append(" has no cuTensorMapEncodeTiled (a driver older than CUDA 12)");
                    return null;
                }
                return new Encoder(f, "cuTensorMapEncodeTiled of " + libcuda);
            } catch (Throwable t) {
                whyNot.append("cannot look up cuTensorMapEncodeTiled in ").append(libcuda).append(": ").append(t);
                return null;
            }
        }

        String description() {
            return description;
        }

        /** The 128-byte CUtensorMap for spec (validated first). */
        byte[] encode(TensorMapSpec spec) {
            spec.validate();
            ByteBuffer map = MemoryUtil.memAlignedAlloc(64, BYTES);
            try (MemoryStack stack = MemoryStack.stackPush()) {
                java.nio.LongBuffer dims = stack.longs(spec.dims);
                java.nio.LongBuffer strides = stack.longs(spec.strides);
                java.nio.IntBuffer box = stack.ints(spec.box);
                java.nio.IntBuffer elementStrides = stack.ints(1, 1, 1);
                int rc = JNI.callPPPPPPI(MemoryUtil.memAddress(map), spec.dataType, 3, spec.address, MemoryUtil.memAddress(dims),
                        MemoryUtil.memAddress(strides), MemoryUtil.memAddress(box), MemoryUtil.memAddress(elementStrides), INTERLEAVE_NONE,
                        spec.swizzle, L2_PROMOTION_256B, OOB_FILL_NONE, function);
                if (rc != 0) {
                    throw new CudaException(CudaException.callMessage("cuTensorMapEncodeTiled(" + spec + ")", rc, CudaDriver.errorString(rc)), rc);
                }
                byte[] out = new byte[BYTES];
                map.order(ByteOrder.LITTLE_ENDIAN).get(0, out);
                return out;
            } finally {
                MemoryUtil.memAlignedFree(map);
            }
        }
    }
}

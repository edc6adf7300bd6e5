package org.racro4j.kernels.cuda;

import java.nio.file.Path;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Loading and initialising the CUDA driver through JCuda, and the few driver queries the backend needs. Nothing
 * here is touched until {@link CudaLibraries} has found libcuda.so.1: JCuda's native library links against it,
 * and loading it first (by absolute path) lets the dynamic loader satisfy that dependency from wherever it is.
 */
final class CudaDriver {
    private static volatile boolean loaded;

    private CudaDriver() {}

    /** Loads libcuda.so.1 from {@code libcuda}, then JCuda's driver binding, and calls cuInit. Returns cuInit's result. */
    static synchronized int load(Path libcuda) {
        if (!loaded) {
            System.load(libcuda.toAbsolutePath().toString());
            // Return codes, not exceptions: every call is checked by CudaException.check with a message.
            JCudaDriver.setExceptionsEnabled(false);
            loaded = true;
        }
        return JCudaDriver.cuInit(0);
    }

    /** The driver's description of an error, or null when the driver is not loaded. */
    static String errorString(int code) {
        if (!loaded) return null;
        try {
            String[] s = new String[1];
            return JCudaDriver.cuGetErrorString(code, s) == CUresult.CUDA_SUCCESS ? s[0] : null;
        } catch (Throwable t) {
            return null;
        }
    }

    static int deviceCount() {
        int[] n = new int[1];
        CudaException.check(JCudaDriver.cuDeviceGetCount(n), "cuDeviceGetCount");
        return n[0];
    }

    /** The driver's CUDA version, e.g. 13000 for 13.0. */
    static int driverVersion() {
        int[] v = new int[1];
        CudaException.check(JCudaDriver.cuDriverGetVersion(v), "cuDriverGetVersion");
        return v[0];
    }

    static CUdevice device(int index) {
        CUdevice d = new CUdevice();
        CudaException.check(JCudaDriver.cuDeviceGet(d, index), "cuDeviceGet(" + index + ")");
        return d;
    }

    static int attribute(CUdevice d, int attribute) {
        int[] v = new int[1];
        CudaException.check(JCudaDriver.cuDeviceGetAttribute(v, attribute, d), "cuDeviceGetAttribute(" + attribute + ")");
        return v[0];
    }

    static String name(CUdevice d) {
        byte[] b = new byte[256];
        CudaException.check(JCudaDriver.cuDeviceGetName(b, b.length, d), "cuDeviceGetName");
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    static long totalMemory(CUdevice d) {
        long[] v = new long[1];
        CudaException.check(JCudaDriver.cuDeviceTotalMem(v, d), "cuDeviceTotalMem");
        return v[0];
    }

    /** The device's architecture, e.g. {9, 0} for Hopper. */
    static int[] computeCapability(CUdevice d) {
        return new int[] {attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)};
    }

    /** One line per device, for availability descriptions. */
    static String describeDevice(int index) {
        CUdevice d = device(index);
        int[] cc = computeCapability(d);
        return String.format("cuda:%d %s (sm_%d%d, %d SMs, %.1f GiB)", index, name(d), cc[0], cc[1],
                attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), totalMemory(d) / (double) (1L << 30));
    }

    /** A CUdeviceptr for a raw address (JCuda adds a pointer's byte offset to its base, here 0). */
    static CUdeviceptr pointer(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    /**
     * A CUdeviceptr for cuMemAlloc to fill in whose raw address can be read back: JCuda keeps the address in a
     * protected field, which a subclass may read.
     */
    static final class AllocatedPointer extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }
}

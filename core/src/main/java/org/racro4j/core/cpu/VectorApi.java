package org.racro4j.core.cpu;

/**
 * Whether the CPU kernels may use the Vector API. It is an incubator module that the JVM only resolves when asked
 * ({@code --add-modules jdk.incubator.vector}); without it every class that mentions a vector type fails to load.
 * So the vector loops live in classes of their own ({@link LaneElementwise}, {@link LaneSums}, {@link LaneExp},
 * {@link LaneHalf}, {@link CpuGemmKernel} and {@link CpuMatmul}, which packs for it), reached only when {@link #ENABLED}; the other
 * CPU classes never name a vector type and have plain loops for everything. Without the module the engine gives the
 * same results (up to summation order), only slower, and says once on standard error which flag makes it fast.
 */
public final class VectorApi {
    public static final String MODULE = "jdk.incubator.vector";
    public static final String FLAG = "--add-modules " + MODULE;
    /** The one line printed, once per JVM, when the module is missing. */
    public static final String WARNING = "racro4j: the Vector API is not enabled, so the CPU kernels run as plain loops"
            + " (several times slower); run java with " + FLAG + " to make them fast";
    /** True when the incubator module is in the boot layer (the JVM was started with the flag). */
    public static final boolean ENABLED = ModuleLayer.boot().findModule(MODULE).isPresent();

    static {
        if (!ENABLED) System.err.println(WARNING);
    }

    private VectorApi() {}

    /** "Vector API 512-bit", or that it is off and which flag turns it on. */
    public static String describe() {
        return ENABLED ? "Vector API " + LaneSums.vectorBits() + "-bit" : "Vector API off (plain loops; " + FLAG + " makes them fast)";
    }
}

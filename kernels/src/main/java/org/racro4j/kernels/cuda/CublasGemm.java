package org.racro4j.kernels.cuda;

import java.util.ArrayList;
import java.util.List;

import jcuda.Pointer;
import jcuda.cudaDataType;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasComputeType;
import jcuda.jcublas.cublasGemmAlgo;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

import org.racro4j.core.DType;

/**
 * Matmul through cuBLAS (JCublas2): cublasGemmStridedBatchedEx with F32 accumulation, on the backend's stream.
 * Optional: JCublas 12.6's native links libcublas.so.12, which a CUDA 13 machine may not have; when it cannot
 * load, {@link #open} returns null with the reason in {@code whyNot} and the backend uses its own tiled kernel.
 */
final class CublasGemm implements AutoCloseable {
    /** A cuBLAS call that returned an error status (a cublasStatus, not a CUresult). */
    static final class Failure extends RuntimeException {
        final int status;

        Failure(String message, int status) {
            super(message);
            this.status = status;
        }
    }

    private final cublasHandle handle;
    private final String description;

    private CublasGemm(cublasHandle handle, String description) {
        this.handle = handle;
        this.description = description;
    }

    /**
     * Loads cuBLAS (preloading each library found so that the dynamic loader can resolve JCublas's dependency)
     * and creates a handle bound to {@code stream}. Returns null, and appends the reason to whyNot, on any failure.
     */
    static CublasGemm open(List<CudaLibraries.Cublas> found, cudaStream_t stream, StringBuilder whyNot) {
        if (found.isEmpty()) {
            whyNot.append("no libcublas found (or -D").append(CudaLibraries.PROP_CUBLAS).append("=off)");
            return null;
        }
        List<String> loaded = new ArrayList<>();
        for (CudaLibraries.Cublas c : found) {
            try {
                // libcublasLt lives beside libcublas; load it first so libcublas's own dependency resolves too.
                java.nio.file.Path lt = c.library().resolveSibling(c.library().getFileName().toString().replace("libcublas", "libcublasLt"));
                if (java.nio.file.Files.isRegularFile(lt)) System.load(lt.toAbsolutePath().toString());
                System.load(c.library().toAbsolutePath().toString());
                loaded.add(c.library().toString());
            } catch (Throwable t) {
                whyNot.append("cannot load ").append(c.library()).append(": ").append(t.getMessage()).append("; ");
            }
        }
        if (loaded.isEmpty()) return null;
        try {
            JCublas2.setExceptionsEnabled(false);
            cublasHandle h = new cublasHandle();
            int st = JCublas2.cublasCreate(h);
            if (st != cublasStatus.CUBLAS_STATUS_SUCCESS) {
                whyNot.append("cublasCreate failed: ").append(cublasStatus.stringFor(st));
                return null;
            }
            st = JCublas2.cublasSetStream(h, stream);
            if (st != cublasStatus.CUBLAS_STATUS_SUCCESS) {
                JCublas2.cublasDestroy(h);
                whyNot.append("cublasSetStream failed: ").append(cublasStatus.stringFor(st));
                return null;
            }
            int[] version = new int[1];
            JCublas2.cublasGetVersion(h, version);
            return new CublasGemm(h, "cuBLAS " + version[0] + " (" + String.join(", ", loaded) + ")");
        } catch (Throwable t) {
            whyNot.append("JCublas could not load (it links libcublas.so.12; loaded ").append(loaded).append("): ").append(t);
            return null;
        }
    }

    String description() {
        return description;
    }

    static boolean supports(DType dtype) {
        return dtype == DType.F32 || dtype == DType.BF16 || dtype == DType.F16;
    }

    /** C = alpha A B + beta C for the layout's batch; a, b, c are device addresses of element 0 of batch 0. */
    void gemm(GemmLayout l, DType dtype, int batch, long a, long b, long c, float alpha, float beta) {
        int type = switch (dtype) {
            case F32 -> cudaDataType.CUDA_R_32F;
            case BF16 -> cudaDataType.CUDA_R_16BF;
            case F16 -> cudaDataType.CUDA_R_16F;
            default -> throw new IllegalArgumentException("cuBLAS matmul: unsupported dtype " + dtype);
        };
        int st = JCublas2.cublasGemmStridedBatchedEx_new(handle, l.opFirst(), l.opSecond(), l.m(), l.n(), l.k(),
                Pointer.to(new float[] {alpha}),
                CudaDriver.pointer(b), type, l.ldFirst(), l.strideFirst(),
                CudaDriver.pointer(a), type, l.ldSecond(), l.strideSecond(),
                Pointer.to(new float[] {beta}),
                CudaDriver.pointer(c), type, l.ldc(), l.strideC(),
                batch, cublasComputeType.CUBLAS_COMPUTE_32F, cublasGemmAlgo.CUBLAS_GEMM_DEFAULT);
        if (st != cublasStatus.CUBLAS_STATUS_SUCCESS) {
            throw new Failure("cublasGemmStridedBatchedEx(" + dtype + ", m=" + l.m() + " n=" + l.n() + " k=" + l.k() + " batch="
                    + batch + ") failed: " + cublasStatus.stringFor(st), st);
        }
    }

    @Override
    public void close() {
        JCublas2.cublasDestroy(handle);
    }
}

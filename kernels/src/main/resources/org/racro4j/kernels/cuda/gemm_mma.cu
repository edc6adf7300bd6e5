// gemm_mma.cu: rung 2 of the GEMM ladder: tensor-core GEMM with mma.sync and ldmatrix (sm_80 and newer).
//
// Math (CPU reference: core/cpu/CpuMatmul.java; ladder and rules: GemmPlan.java, kernels/README.md)
//   C[b] = epilogue(A[b] B[b]) with the fused epilogue of gemm.cuh (alpha, bias, beta C, activation, residual),
//   F32 accumulation. BF16 and F16 inputs use mma.m16n8k16; F32 inputs use TF32 (mma.m16n8k8, inputs rounded to
//   10 mantissa bits: relative error ~1e-3, so the engine uses it for F32 only when asked, -Dracro4j.cuda.tf32=true).
//   Kernel names: gemm_mma_<dtype>_a<k|m>b<k|n>: A K-major (row-major) or M-major (a transposed view), B K-major
//   (the rows of B^T, as Linear's weight) or N-major (row-major B).
//
// Launch
//   256 threads = 8 warps as 2 x 4, each warp a 64 x 32 piece of the 128 x 128 block tile; K in steps of 64 bytes
//   (32 halves or 16 floats) through a 4-stage cp.async pipeline (16-byte copies, zero-filled past M, N and K, so
//   any sizes work; the host requires 16-byte aligned rows). Shared tiles are padded by 16 bytes per row (32 for
//   F32 M/N-major), which makes ldmatrix and the TF32 scalar fragment loads bank-conflict free.
//   grid = (ceil(M/128) * ceil(N/128) in grouped raster order, 1, min(batch, 65535)); dynamic shared memory
//   80 KiB for K-major tiles; one block of about 190 registers per thread per SM (capping at 128 for two
//   blocks spilled).
//
// Bytes moved
//   Each A tile is read ceil(N/128) times and each B tile ceil(M/128) times (mostly from L2), C written once (read
//   once more when beta != 0, plus the residual): 2 M N K flops per batch against ~ (M K + K N + 2 M N) * size
//   bytes of DRAM traffic, compute bound from a few hundred on each side.

#include "gemm.cuh"

#define MMA_BM 128
#define MMA_BN 128
#define MMA_STAGES 4
#define MMA_THREADS 256

// Tile geometry per element type and operand majorness (pitches in elements).
template <typename T, bool A_K, bool B_K>
struct MmaTiles {
    static constexpr int BK = 64 / (int)sizeof(T);   // K per stage: 64 bytes of every row
    static constexpr int EPC = 16 / (int)sizeof(T);  // elements per 16-byte copy
    static constexpr int MN_PAD = sizeof(T) == 4 ? 8 : EPC;
    static constexpr int A_PITCH = A_K ? BK + EPC : MMA_BM + MN_PAD;
    static constexpr int B_PITCH = B_K ? BK + EPC : MMA_BN + MN_PAD;
    static constexpr int A_ELEMS = A_K ? MMA_BM * A_PITCH : BK * A_PITCH;
    static constexpr int B_ELEMS = B_K ? MMA_BN * B_PITCH : BK * B_PITCH;
    static constexpr int STAGE_ELEMS = A_ELEMS + B_ELEMS;
    static constexpr int SMEM_BYTES = STAGE_ELEMS * (int)sizeof(T) * MMA_STAGES;
    static constexpr int CHUNKS = MMA_BM * 4;        // 16-byte copies per operand tile (128 rows x 64 bytes)
};

// Queues the cp.async copies of the A and B tiles at k0 into one stage.
template <typename T, bool A_K, bool B_K>
__device__ __forceinline__ void mma_load_stage(T* sA, T* sB, const T* A, const T* B, int m0, int n0, int k0, int M, int N, int K,
                                               i64 lda, i64 ldb) {
    using G = MmaTiles<T, A_K, B_K>;
    constexpr int S = (int)sizeof(T);
#pragma unroll
    for (int it = 0; it < G::CHUNKS / MMA_THREADS; ++it) {
        const int i = threadIdx.x + it * MMA_THREADS;
        int bytes;
        const T* src;
        T* dst;
        if (A_K) {  // 128 rows of M, 4 chunks of K each
            const int r = i >> 2, c = i & 3;
            const int gm = m0 + r, gk = k0 + c * G::EPC;
            bytes = gm < M && gk < K ? min(16, (K - gk) * S) : 0;
            src = bytes ? A + gm * lda + gk : A;
            dst = sA + r * G::A_PITCH + c * G::EPC;
        } else {    // BK rows of K, 128 elements of M each
            constexpr int PER_ROW = MMA_BM / G::EPC;
            const int r = i / PER_ROW, c = i % PER_ROW;
            const int gk = k0 + r, gm = m0 + c * G::EPC;
            bytes = gk < K && gm < M ? min(16, (M - gm) * S) : 0;
            src = bytes ? A + gk * lda + gm : A;
            dst = sA + r * G::A_PITCH + c * G::EPC;
        }
        cp_async16(smem_u32(dst), src, bytes);
        if (B_K) {  // 128 rows of N (B^T), 4 chunks of K each
            const int r = i >> 2, c = i & 3;
            const int gn = n0 + r, gk = k0 + c * G::EPC;
            bytes = gn < N && gk < K ? min(16, (K - gk) * S) : 0;
            src = bytes ? B + gn * ldb + gk : B;
            dst = sB + r * G::B_PITCH + c * G::EPC;
        } else {    // BK rows of K, 128 elements of N each
            constexpr int PER_ROW = MMA_BN / G::EPC;
            const int r = i / PER_ROW, c = i % PER_ROW;
            const int gk = k0 + r, gn = n0 + c * G::EPC;
            bytes = gk < K && gn < N ? min(16, (N - gn) * S) : 0;
            src = bytes ? B + gk * ldb + gn : B;
            dst = sB + r * G::B_PITCH + c * G::EPC;
        }
        cp_async16(smem_u32(dst), src, bytes);
    }
}

// One stage of 16-bit operands: BK / 16 k-steps per warp, each loading the 4 B fragments (ldmatrix) and then, per
// 16-row slice, one A fragment and its 4 mma.m16n8k16 (fragments loaded just before use keep registers free).
template <typename T, bool A_K, bool B_K>
__device__ __forceinline__ void mma_compute_stage16(const T* sA, const T* sB, float (&acc)[4][4][4], int wm0, int wn0, int lane) {
    using G = MmaTiles<T, A_K, B_K>;
    const int j = lane >> 3, r = lane & 7;
#pragma unroll
    for (int ks = 0; ks < G::BK / 16; ++ks) {
        u32 bfr[4][2];
#pragma unroll
        for (int p2 = 0; p2 < 2; ++p2) {
            u32 t[4];
            if (B_K) {
                const T* p = sB + (wn0 + (2 * p2 + (j >> 1)) * 8 + r) * G::B_PITCH + ks * 16 + (j & 1) * 8;
                ldmatrix_x4(t, smem_u32(p));
            } else {
                const T* p = sB + (ks * 16 + (j & 1) * 8 + r) * G::B_PITCH + wn0 + (2 * p2 + (j >> 1)) * 8;
                ldmatrix_x4_trans(t, smem_u32(p));
            }
            bfr[2 * p2][0] = t[0];
            bfr[2 * p2][1] = t[1];
            bfr[2 * p2 + 1][0] = t[2];
            bfr[2 * p2 + 1][1] = t[3];
        }
#pragma unroll
        for (int mi = 0; mi < 4; ++mi) {
            u32 af[4];
            if (A_K) {
                const T* p = sA + (wm0 + mi * 16 + (lane & 15)) * G::A_PITCH + ks * 16 + (lane >> 4) * 8;
                ldmatrix_x4(af, smem_u32(p));
            } else {
                const T* p = sA + (ks * 16 + (j >> 1) * 8 + r) * G::A_PITCH + wm0 + mi * 16 + (j & 1) * 8;
                ldmatrix_x4_trans(af, smem_u32(p));
            }
#pragma unroll
            for (int nj = 0; nj < 4; ++nj) mma_16816<T>(acc[mi][nj], af, bfr[nj]);
        }
    }
}

// One stage of F32 operands as TF32: BK / 8 k-steps of scalar fragment loads and 4 x 4 mma.m16n8k8 per warp.
template <bool A_K, bool B_K>
__device__ __forceinline__ void mma_compute_stage_tf32(const float* sA, const float* sB, float (&acc)[4][4][4], int wm0, int wn0,
                                                       int lane) {
    using G = MmaTiles<float, A_K, B_K>;
    const int g = lane >> 2, q = lane & 3;
#pragma unroll
    for (int ks = 0; ks < G::BK / 8; ++ks) {
        u32 bfr[4][2];
#pragma unroll
        for (int nj = 0; nj < 4; ++nj) {
#pragma unroll
            for (int e = 0; e < 2; ++e) {
                const int n = wn0 + nj * 8 + g;
                const int k = ks * 8 + q + e * 4;
                bfr[nj][e] = to_tf32(B_K ? sB[n * G::B_PITCH + k] : sB[k * G::B_PITCH + n]);
            }
        }
#pragma unroll
        for (int mi = 0; mi < 4; ++mi) {
            u32 af[4];
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int m = wm0 + mi * 16 + g + (e & 1) * 8;
                const int k = ks * 8 + q + (e >> 1) * 4;
                af[e] = to_tf32(A_K ? sA[m * G::A_PITCH + k] : sA[k * G::A_PITCH + m]);
            }
#pragma unroll
            for (int nj = 0; nj < 4; ++nj) mma_1688_tf32(acc[mi][nj], af, bfr[nj]);
        }
    }
}

template <typename T, bool A_K, bool B_K>
__device__ __forceinline__ void gemm_mma(const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C, int M, int N, int K,
                                         i64 lda, i64 ldb, i64 a_batch, i64 b_batch, int batch, const GemmEpilogue& ep) {
    using G = MmaTiles<T, A_K, B_K>;
    extern __shared__ __align__(128) unsigned char gemm_smem[];
    T* smem = reinterpret_cast<T*>(gemm_smem);
    const int tiles_m = (M + MMA_BM - 1) / MMA_BM;
    const int tiles_n = (N + MMA_BN - 1) / MMA_BN;
    int tm, tn;
    gemm_tile_of(blockIdx.x, tiles_m, tiles_n, tm, tn);
    const int m0 = tm * MMA_BM, n0 = tn * MMA_BN;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int wm0 = (warp >> 2) * 64, wn0 = (warp & 3) * 32;
    const int ktiles = (K + G::BK - 1) / G::BK;
    for (int bi = blockIdx.z; bi < batch; bi += gridDim.z) {
        const T* a = A + bi * a_batch;
        const T* b = B + bi * b_batch;
        T* c = C + (i64)bi * M * N;
        float acc[4][4][4];
#pragma unroll
        for (int mi = 0; mi < 4; ++mi)
#pragma unroll
            for (int nj = 0; nj < 4; ++nj)
#pragma unroll
                for (int e = 0; e < 4; ++e) acc[mi][nj][e] = 0.0f;
#pragma unroll
        for (int s = 0; s < MMA_STAGES - 1; ++s) {
            if (s < ktiles) {
                T* st = smem + s * G::STAGE_ELEMS;
                mma_load_stage<T, A_K, B_K>(st, st + G::A_ELEMS, a, b, m0, n0, s * G::BK, M, N, K, lda, ldb);
            }
            cp_async_commit();
        }
        for (int kt = 0; kt < ktiles; ++kt) {
            cp_async_wait<MMA_STAGES - 2>();
            __syncthreads();   // stage kt is in; every warp is done with the stage the next load overwrites
            const int next = kt + MMA_STAGES - 1;
            if (next < ktiles) {
                T* st = smem + (next % MMA_STAGES) * G::STAGE_ELEMS;
                mma_load_stage<T, A_K, B_K>(st, st + G::A_ELEMS, a, b, m0, n0, next * G::BK, M, N, K, lda, ldb);
            }
            cp_async_commit();
            const T* st = smem + (kt % MMA_STAGES) * G::STAGE_ELEMS;
            if constexpr (sizeof(T) == 4) {
                mma_compute_stage_tf32<A_K, B_K>(reinterpret_cast<const float*>(st), reinterpret_cast<const float*>(st + G::A_ELEMS),
                                                 acc, wm0, wn0, lane);
            } else {
                mma_compute_stage16<T, A_K, B_K>(st, st + G::A_ELEMS, acc, wm0, wn0, lane);
            }
        }
        cp_async_wait<0>();
        __syncthreads();   // the next batch matrix reuses the stages
        const int g = lane >> 2, q = lane & 3;
#pragma unroll
        for (int mi = 0; mi < 4; ++mi) {
#pragma unroll
            for (int nj = 0; nj < 4; ++nj) {
                const int row = m0 + wm0 + mi * 16 + g;
                const int col = n0 + wn0 + nj * 8 + 2 * q;
                gemm_store_pair<T, false>(c, ep, bi, row, col, M, N, acc[mi][nj][0], acc[mi][nj][1]);
                gemm_store_pair<T, false>(c, ep, bi, row + 8, col, M, N, acc[mi][nj][2], acc[mi][nj][3]);
            }
        }
    }
}

#define DEFINE_GEMM_MMA(SUFFIX, T, AK, BK_, NAME)                                                                         \
    extern "C" __global__ void __launch_bounds__(MMA_THREADS, 1)                                                          \
        gemm_mma_##SUFFIX##_##NAME(const T* A, const T* B, T* C, int M, int N, int K, i64 lda, i64 ldb, i64 a_batch,       \
                                   i64 b_batch, int batch, GemmEpilogue ep) {                                            \
        gemm_mma<T, AK, BK_>(A, B, C, M, N, K, lda, ldb, a_batch, b_batch, batch, ep);                                    \
    }

#define DEFINE_GEMM_MMA_ALL(SUFFIX, T)                  \
    DEFINE_GEMM_MMA(SUFFIX, T, true, true, akbk)        \
    DEFINE_GEMM_MMA(SUFFIX, T, true, false, akbn)       \
    DEFINE_GEMM_MMA(SUFFIX, T, false, true, ambk)       \
    DEFINE_GEMM_MMA(SUFFIX, T, false, false, ambn)

DEFINE_GEMM_MMA_ALL(bf16, bf16_t)
DEFINE_GEMM_MMA_ALL(f16, f16_t)
DEFINE_GEMM_MMA_ALL(tf32, float)

// matmul_tiled.cu: rung 1 of the GEMM ladder: batched GEMM with any strides and alignment, plain FMA.
//
// Math (CPU reference: core/cpu/CpuMatmul.java)
//   C[b] = epilogue(A[b] B[b]) with gemm.cuh's epilogue (alpha, bias, beta C, activation, residual);  A[b] is
//   M x K with element (i, p) at i * a_row + p * a_col, B[b] is K x N with (p, j) at p * b_row + j * b_col (any
//   strides; the batch strides may be 0), C[b] row-major and contiguous. F32 accumulation; beta == 0 never reads
//   C. The always-available fallback of the tensor-core rungs (gemm_mma.cu, gemm_wgmma.cu) and the reference
//   the backend checks them against on first use.
//
// Launch
//   64 x 64 output tile per block, K in steps of 16 through shared memory, 256 threads each computing a 4 x 4
//   micro-tile. grid = (ceil(N / 64), ceil(M / 64), min(batch, 65535)), the batch walked with a stride.
//   Tile loads follow each operand's layout so that neighbouring threads read neighbouring addresses.
//
// Bytes moved
//   ~ batch * (M K N / 64 * 2 * size) (each A tile read N / 64 times, each B tile M / 64 times) + C;
//   compute bound for large matrices: 2 M N K flops per batch.

#include "gemm.cuh"

#define TM 64
#define TN 64
#define TK 16

template <typename T>
__device__ __forceinline__ void matmul_tiled(const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C, int M, int N,
                                             int K, i64 a_batch, i64 a_row, i64 a_col, i64 b_batch, i64 b_row, i64 b_col,
                                             int batch, const GemmEpilogue& ep) {
    __shared__ float As[TK][TM + 4];
    __shared__ float Bs[TK][TN + 4];
    const int tid = threadIdx.x;
    const int tx = tid % 16;
    const int ty = tid / 16;
    const int i0 = blockIdx.y * TM;
    const int j0 = blockIdx.x * TN;
    const bool a_row_major = a_col == 1;
    const bool fused = ep.bias != nullptr || ep.act != ACT_NONE || ep.residual != nullptr;
    const bool b_row_major = b_col == 1;
    for (int bi = blockIdx.z; bi < batch; bi += gridDim.z) {
        const T* a = A + bi * a_batch;
        const T* b = B + bi * b_batch;
        T* c = C + (i64)bi * M * N;
        float acc[4][4];
#pragma unroll
        for (int r = 0; r < 4; ++r)
#pragma unroll
            for (int q = 0; q < 4; ++q) acc[r][q] = 0.0f;
        for (int k0 = 0; k0 < K; k0 += TK) {
#pragma unroll
            for (int q = 0; q < 4; ++q) {
                const int e = tid + 256 * q;   // 0 .. 1023 over the 64 x 16 A tile and the 16 x 64 B tile
                const int ai = a_row_major ? e / TK : e % TM;
                const int ap = a_row_major ? e % TK : e / TM;
                const int gi = i0 + ai, gp = k0 + ap;
                As[ap][ai] = gi < M && gp < K ? to_f32(a[gi * a_row + gp * a_col]) : 0.0f;
                const int bp = b_row_major ? e / TN : e % TK;
                const int bj = b_row_major ? e % TN : e / TK;
                const int gq = k0 + bp, gj = j0 + bj;
                Bs[bp][bj] = gq < K && gj < N ? to_f32(b[gq * b_row + gj * b_col]) : 0.0f;
            }
            __syncthreads();
#pragma unroll
            for (int k = 0; k < TK; ++k) {
                float av[4], bv[4];
#pragma unroll
                for (int r = 0; r < 4; ++r) av[r] = As[k][ty * 4 + r];
#pragma unroll
                for (int q = 0; q < 4; ++q) bv[q] = Bs[k][tx * 4 + q];
#pragma unroll
                for (int r = 0; r < 4; ++r)
#pragma unroll
                    for (int q = 0; q < 4; ++q) acc[r][q] += av[r] * bv[q];
            }
            __syncthreads();
        }
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int i = i0 + ty * 4 + r;
            if (i >= M) continue;
#pragma unroll
            for (int q = 0; q < 4; ++q) {
                const int j = j0 + tx * 4 + q;
                if (j >= N) continue;
                if (fused) {
                    gemm_store_pair_fused<T>(c, ep, bi, i, j, N, 1, acc[r][q], 0.0f);
                } else {
                    T* at = c + (i64)i * N + j;
                    float v = ep.alpha * acc[r][q];
                    if (ep.beta != 0.0f) v += ep.beta * to_f32(*at);
                    *at = from_f32<T>(v);
                }
            }
        }
    }
}

#define DEFINE_MATMUL(SUFFIX, T)                                                                                          \
    extern "C" __global__ void __launch_bounds__(256)                                                                     \
        matmul_tiled_##SUFFIX(const T* A, const T* B, T* C, int M, int N, int K, i64 a_batch, i64 a_row, i64 a_col,        \
                              i64 b_batch, i64 b_row, i64 b_col, int batch, GemmEpilogue ep) {                       \
        matmul_tiled<T>(A, B, C, M, N, K, a_batch, a_row, a_col, b_batch, b_row, b_col, batch, ep);                       \
    }

DEFINE_MATMUL(f32, float)
DEFINE_MATMUL(bf16, bf16_t)
DEFINE_MATMUL(f16, f16_t)

// gemm_wgmma.cu: rung 3 of the GEMM ladder: Hopper GEMM, wgmma fed by the bulk tensor copy engine (sm_90a only).
//
// Math (CPU reference: core/cpu/CpuMatmul.java; ladder and rules: GemmPlan.java, kernels/README.md)
//   C[b] = epilogue(A[b] B[b]) with the fused epilogue of gemm.cuh, BF16 inputs, F32 accumulation in registers
//   (wgmma.m64nNk16; F16 and TF32 products take rung 2). Operands K-major or M/N-major (wgmma's transpose
//   bits), as in gemm_mma.cu.
//   Kernel names: gemm_wgmma_bf16_<BM>x<BN>_a<k|m>b<k|n>.
//
// Launch
//   Warp-specialised, one block per BM x BN output tile (grouped raster order), grid.z = batch (at most 65535):
//   - warpgroup 0 is the producer: one thread issues TMA loads (cp.async.bulk.tensor.3d, 128-byte swizzle, tensor
//     maps passed by value as __grid_constant__ parameters) of K-slices of 64 elements into a ring of STAGES
//     shared-memory stages, each completing on its "full" mbarrier (arrive.expect_tx with the stage's bytes; TMA
//     zero-fills whatever lies outside the matrices, so ragged M, N and K need no code);
//   - warpgroups 1..BM/64 are consumers: each waits on "full", issues 4 wgmma.m64nBNk16 (A and B straight from the
//     swizzled tiles through shared-memory descriptors), keeps one wgmma group in flight (wait_group 1) and
//     releases the previous stage on its "empty" mbarrier (one arrive per consumer warp), then runs the epilogue
//     from its accumulator registers straight to global memory.
//   With two consumers, setmaxnreg moves registers from the producer (40) to the consumers (232): 128 F32
//   accumulators per thread for BN = 256.
//   Configurations: 128x256 (4 stages, 192 KiB), 128x128 (6 stages, 192 KiB), 64x128 (8 stages, 192 KiB) for
//   short M (decode batches). Shared tiles are 1024-byte aligned (the 128-byte swizzle atom).
//   Shared-memory layouts per stage: a K-major operand tile is rows x 128 bytes (64 elements of K), swizzled in
//   8-row atoms (descriptor SBO 1024, LBO unused, +32 bytes per k16 step); an M/N-major tile is panels of 64
//   elements of M/N x 64 rows of K, 8 KiB each (LBO 8192 between panels, SBO 1024 between 8-row groups of K,
//   +2048 bytes per k16 step).
//
// Bytes moved
//   As gemm_mma.cu: A read ceil(N/BN) times and B ceil(M/BM) times, mostly from L2; C written once (and read when
//   beta != 0, plus the residual). 2 M N K flops per batch; on an H200 (~990 dense BF16 TFLOP/s, 4.8 TB/s) a
//   product is compute bound when M N K / (M K + K N + M N) exceeds ~ 400.

#include "gemm.cuh"

// Compiled for plain sm_90 the kernels would silently be traps: make that a compile error instead.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ == 900 && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "gemm_wgmma.cu needs the arch-specific target sm_90a (wgmma, setmaxnreg): compile with compute_90a / sm_90a"
#endif

#define WG_THREADS 128
#define WG_BK 64   // K elements per stage: one 128-byte swizzle row of a 16-bit type

// ------------------------------------------------------------------------------------------ wgmma wrappers
// d: the warpgroup's accumulators (N / 2 floats per thread), desc_a / desc_b: shared-memory matrix descriptors,
// TA / TB: 1 for an M-major A / N-major B (the transpose bits). scale-d is 1: accumulate (d starts at zero).

template <int TA, int TB>
__device__ __forceinline__ void wgmma_m64n128k16_bf16(float* d, u64 desc_a, u64 desc_b) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
        "%64, %65, p, 1, 1, %67, %68;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "l"(desc_a), "l"(desc_b), "r"(1), "n"(TA), "n"(TB));
}

template <int TA, int TB>
__device__ __forceinline__ void wgmma_m64n256k16_bf16(float* d, u64 desc_a, u64 desc_b) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
        "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
        "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
        "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
        "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, "
        "%128, %129, p, 1, 1, %131, %132;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
          "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
          "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
          "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
          "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
        : "l"(desc_a), "l"(desc_b), "r"(1), "n"(TA), "n"(TB));
}

template <int BN, int TA, int TB>
__device__ __forceinline__ void wgmma_tile(float* d, u64 da, u64 db) {
    if constexpr (BN == 256) wgmma_m64n256k16_bf16<TA, TB>(d, da, db);
    else wgmma_m64n128k16_bf16<TA, TB>(d, da, db);
}

__device__ __forceinline__ void wgmma_fence() {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}

__device__ __forceinline__ void wgmma_commit() {
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}

template <int N>
__device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}

// Keeps the compiler from moving accumulator reads or writes across the asynchronous wgmma.
template <int N>
__device__ __forceinline__ void fence_accumulators(float* d) {
#pragma unroll
    for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// A shared-memory matrix descriptor with the 128-byte swizzle: start address, leading and stride byte offsets.
__device__ __forceinline__ u64 smem_desc(u32 addr, u32 lbo, u32 sbo) {
    return (u64)((addr & 0x3FFFF) >> 4) | ((u64)(lbo >> 4) << 16) | ((u64)(sbo >> 4) << 32) | (1ull << 62);
}

// ------------------------------------------------------------------------------------------ the kernel

template <typename T, int BM, int BN, int STAGES, bool A_K, bool B_K>
struct WgmmaConfig {
    static constexpr int CONSUMERS = BM / 64;
    static constexpr int THREADS = WG_THREADS * (CONSUMERS + 1);
    static constexpr int A_BYTES = BM * WG_BK * 2;
    static constexpr int B_BYTES = BN * WG_BK * 2;
    static constexpr int STAGE_BYTES = A_BYTES + B_BYTES;
    // Tiles, then 2 * STAGES barriers; plus 1 KiB to align the dynamic shared memory to the swizzle atom.
    static constexpr int SMEM_BYTES = STAGES * STAGE_BYTES + 2 * STAGES * 8 + 1024;
};

template <typename T, int BM, int BN, int STAGES, bool A_K, bool B_K>
__device__ __forceinline__ void gemm_wgmma(const TensorMap* tma_a, const TensorMap* tma_b, T* __restrict__ C, int M, int N, int K,
                                           int a_batch_on, int b_batch_on, const GemmEpilogue& ep) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    using G = WgmmaConfig<T, BM, BN, STAGES, A_K, B_K>;
    extern __shared__ __align__(1024) unsigned char gemm_smem[];
    const u32 base = (smem_u32(gemm_smem) + 1023u) & ~1023u;
    const u32 bars = base + STAGES * G::STAGE_BYTES;   // full[s] at bars + 8 s, empty[s] at bars + 8 (STAGES + s)
    const int tiles_m = (M + BM - 1) / BM;
    const int tiles_n = (N + BN - 1) / BN;
    int tm, tn;
    gemm_tile_of(blockIdx.x, tiles_m, tiles_n, tm, tn);
    const int m0 = tm * BM, n0 = tn * BN;
    const int bi = blockIdx.z;
    const int ktiles = (K + WG_BK - 1) / WG_BK;
    const int wg = threadIdx.x / WG_THREADS;

    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) {
            mbar_init(bars + 8 * s, 1);                              // the producer's arrive.expect_tx
            mbar_init(bars + 8 * (STAGES + s), 4 * G::CONSUMERS);   // one arrive per consumer warp
        }
        mbar_fence_init();
    }
    __syncthreads();

    if (wg == 0) {
        // ---------------------------------------------------------------- producer
        if (G::CONSUMERS == 2) asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n");
        if (threadIdx.x == 0) {
            tma_prefetch_descriptor(tma_a);
            tma_prefetch_descriptor(tma_b);
            const int za = a_batch_on ? bi : 0;
            const int zb = b_batch_on ? bi : 0;
            for (int kt = 0; kt < ktiles; ++kt) {
                const int s = kt % STAGES;
                const u32 phase = (kt / STAGES) & 1;
                const u32 full = bars + 8 * s;
                mbar_wait(bars + 8 * (STAGES + s), phase ^ 1);
                mbar_arrive_expect_tx(full, G::STAGE_BYTES);
                const u32 sa = base + s * G::STAGE_BYTES;
                const u32 sb = sa + G::A_BYTES;
                const int k0 = kt * WG_BK;
                if (A_K) {
                    tma_load_3d(sa, tma_a, full, k0, m0, za);
                } else {
#pragma unroll
                    for (int p = 0; p < BM / 64; ++p) tma_load_3d(sa + p * 8192, tma_a, full, m0 + 64 * p, k0, za);
                }
                if (B_K) {
                    tma_load_3d(sb, tma_b, full, k0, n0, zb);
                } else {
#pragma unroll
                    for (int p = 0; p < BN / 64; ++p) tma_load_3d(sb + p * 8192, tma_b, full, n0 + 64 * p, k0, zb);
                }
            }
        }
    } else {
        // ---------------------------------------------------------------- consumers
        if (G::CONSUMERS == 2) asm volatile("setmaxnreg.inc.sync.aligned.u32 232;\n");
        const int c = wg - 1;
        const int lane = threadIdx.x & 31;
        const int wq = (threadIdx.x / 32) & 3;   // warp within the warpgroup: rows 16 wq .. 16 wq + 15
        float d[BN / 2];
#pragma unroll
        for (int i = 0; i < BN / 2; ++i) d[i] = 0.0f;
        for (int kt = 0; kt < ktiles; ++kt) {
            const int s = kt % STAGES;
            mbar_wait(bars + 8 * s, (kt / STAGES) & 1);
            const u32 sa = base + s * G::STAGE_BYTES;
            const u32 sb = sa + G::A_BYTES;
            fence_accumulators<BN / 2>(d);
            wgmma_fence();
#pragma unroll
            for (int kk = 0; kk < WG_BK / 16; ++kk) {
                const u64 da = A_K ? smem_desc(sa + c * 64 * 128 + kk * 32, 16, 1024)
                                   : smem_desc(sa + c * 8192 + kk * 2048, 8192, 1024);
                const u64 db = B_K ? smem_desc(sb + kk * 32, 16, 1024) : smem_desc(sb + kk * 2048, 8192, 1024);
                wgmma_tile<BN, A_K ? 0 : 1, B_K ? 0 : 1>(d, da, db);
            }
            wgmma_commit();
            fence_accumulators<BN / 2>(d);
            wgmma_wait<1>();   // the previous k-slice's products are done: its stage can be refilled
            if (kt > 0 && lane == 0) mbar_arrive(bars + 8 * (STAGES + (kt - 1) % STAGES));
        }
        wgmma_wait<0>();
        fence_accumulators<BN / 2>(d);
        T* cb = C + (i64)bi * M * N;
        const int g = lane >> 2, q = lane & 3;
        const int row = m0 + c * 64 + wq * 16 + g;
#pragma unroll
        for (int j = 0; j < BN / 8; ++j) {
            const int col = n0 + 8 * j + 2 * q;
            gemm_store_pair<T, true>(cb, ep, bi, row, col, M, N, d[4 * j], d[4 * j + 1]);
            gemm_store_pair<T, true>(cb, ep, bi, row + 8, col, M, N, d[4 * j + 2], d[4 * j + 3]);
        }
    }
#else
    __trap();   // sm_90a only: the host never launches this family elsewhere
#endif
}

#define DEFINE_GEMM_WGMMA(SUFFIX, T, BM, BN, STAGES, AK, BK_, NAME)                                                            \
    extern "C" __global__ void __launch_bounds__(WgmmaConfig<T, BM, BN, STAGES, AK, BK_>::THREADS, 1)                          \
        gemm_wgmma_##SUFFIX##_##BM##x##BN##_##NAME(const __grid_constant__ TensorMap tma_a, const __grid_constant__ TensorMap tma_b, \
                                                  T* C, int M, int N, int K, int a_batch_on, int b_batch_on, GemmEpilogue ep) {   \
        gemm_wgmma<T, BM, BN, STAGES, AK, BK_>(&tma_a, &tma_b, C, M, N, K, a_batch_on, b_batch_on, ep);                           \
    }

#define DEFINE_GEMM_WGMMA_LAYOUTS(SUFFIX, T, BM, BN, STAGES)            \
    DEFINE_GEMM_WGMMA(SUFFIX, T, BM, BN, STAGES, true, true, akbk)      \
    DEFINE_GEMM_WGMMA(SUFFIX, T, BM, BN, STAGES, true, false, akbn)     \
    DEFINE_GEMM_WGMMA(SUFFIX, T, BM, BN, STAGES, false, true, ambk)     \
    DEFINE_GEMM_WGMMA(SUFFIX, T, BM, BN, STAGES, false, false, ambn)

DEFINE_GEMM_WGMMA_LAYOUTS(bf16, bf16_t, 128, 256, 4)
DEFINE_GEMM_WGMMA_LAYOUTS(bf16, bf16_t, 128, 128, 6)
DEFINE_GEMM_WGMMA_LAYOUTS(bf16, bf16_t, 64, 128, 8)
